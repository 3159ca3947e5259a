// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A trace driving a VM (``TraceWorkloadSpec``): the trace's requests, re-timed, re-addressed onto a
/// disk of `diskSectors`, renumbered across passes when the trace repeats.
///
/// The trace was parsed whole when the spec was made, so a replay error here is unexpected (the file
/// changed); it ends the stream and is kept in ``error``.
public struct TraceWorkload: RequestGenerator {
  public let spec: TraceWorkloadSpec
  let options: TraceReplayOptions
  var replay: TraceReplay
  /// Where the current pass starts on the simulated clock, and how far apart passes start.
  var passStart = SimTime.zero
  let period: SimTime
  var sequence = 0
  /// Passes begun (1 during the first).
  public private(set) var passes = 1
  public private(set) var error: TraceError?

  public init(spec: TraceWorkloadSpec, diskSectors: UInt64) throws(TraceError) {
    guard let device = spec.profile.device(spec.device), device.requests > 0 else {
      throw TraceError(
        file: spec.path, line: 0,
        expected: "requests of device \(spec.device ?? "any") (the trace has: "
          + spec.profile.devices.map(\.name).joined(separator: ", ") + ")", found: "")
    }
    guard spec.timeScale.isFinite, spec.timeScale >= 0 else {
      throw TraceError(file: spec.path, line: 0, expected: "a finite time scale not below 0", found: "")
    }
    var o = TraceReplayOptions(action: spec.action, timeScale: spec.timeScale, device: spec.device)
    switch spec.mapping {
    case .offset:
      o.addressOffset = Int64(clamping: spec.offsetSectors)
      guard device.endSector <= diskSectors, spec.offsetSectors <= diskSectors - device.endSector else {
        throw TraceError(
          file: spec.path, line: 0,
          expected: "sectors up to \(device.endSector) plus offset \(spec.offsetSectors) to fit the "
            + "\(diskSectors)-sector disk (use scale or wrap)", found: "")
      }
    case .scale:
      if device.endSector > 0 { o.addressScale = Double(diskSectors) / Double(device.endSector) }
      o.wrapSectors = diskSectors
    case .wrap:
      o.addressOffset = Int64(clamping: spec.offsetSectors)
      o.wrapSectors = diskSectors
    }
    let last = Double(device.lastTime.nanoseconds) * spec.timeScale
    let gap = device.requests > 1 ? last / Double(device.requests - 1) : 0
    period = SimTime(nanoseconds: Int64((last + gap).rounded()))
    if spec.repeats, spec.pacing == .timestamps, period <= .zero {
      throw TraceError(
        file: spec.path, line: 0,
        expected: "timestamps that advance, to repeat the trace open loop (or give an iodepth)", found: "")
    }
    self.spec = spec
    options = o
    replay = try TraceReplay(path: spec.path, format: spec.format, options: o)
  }

  public var loop: LoopKind {
    switch spec.pacing {
    case .timestamps: .open
    case .closedLoop(let depth): .closed(ioDepth: depth)
    }
  }

  public mutating func next(now: SimTime) -> GuestRequest? {
    while error == nil {
      if var r = replay.next(now: now) {
        r.sequence = sequence
        sequence += 1
        r.time = spec.pacing == .timestamps ? passStart + r.time : now
        return r
      }
      if let e = replay.error {
        error = e
        return nil
      }
      guard spec.repeats else { return nil }
      do {
        replay = try TraceReplay(path: spec.path, format: spec.format, options: options)
      } catch {
        self.error = error
        return nil
      }
      passStart = passStart + period
      passes += 1
    }
    return nil
  }
}
