// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One pass over a trace before it drives anything: every line is parsed once (so a malformed line is
/// an error when the study is loaded, not halfway through a run), and what a replay needs to know in
/// advance is kept — the devices in order of first appearance, each device's request count, last
/// timestamp and highest sector, so a VM per device can be made, the address space scaled to fit and a
/// repeated trace given its period.
public struct TraceProfile: Hashable, Sendable {
  public struct Device: Hashable, Sendable {
    public var name: String
    /// Requests (reads, writes, flushes) of the device.
    public var requests = 0
    /// One past the highest sector a data request touched.
    public var endSector: UInt64 = 0
    /// The device's last request time, unscaled.
    public var lastTime = SimTime.zero
  }

  public var format: TraceFormat
  public var devices: [Device] = []

  /// Reads the whole trace at `path` (in `format`, blkparse lines of `action`).
  public static func scan(path: String, format: TraceFormat, action: String = "Q") throws(TraceError)
    -> TraceProfile
  {
    var profile = TraceProfile(format: format)
    var replay = try TraceReplay(path: path, format: format, options: TraceReplayOptions(action: action))
    var index: [String: Int] = [:]
    while let r = try replay.nextRequest() {
      let name = replay.lastDevice
      let i: Int
      if let known = index[name] {
        i = known
      } else {
        i = profile.devices.count
        index[name] = i
        profile.devices.append(Device(name: name))
      }
      profile.devices[i].requests += 1
      profile.devices[i].lastTime = Swift.max(profile.devices[i].lastTime, r.time)
      if r.operation != .flush {
        profile.devices[i].endSector = Swift.max(profile.devices[i].endSector, r.endLBA)
      }
    }
    guard !profile.devices.isEmpty else {
      throw TraceError(file: path, line: 0, expected: "at least one request in the trace", found: "")
    }
    return profile
  }

  /// The device called `name`, or every device merged when nil.
  public func device(_ name: String?) -> Device? {
    guard let name else {
      var all = Device(name: "")
      for d in devices {
        all.requests += d.requests
        all.endSector = Swift.max(all.endSector, d.endSector)
        all.lastTime = Swift.max(all.lastTime, d.lastTime)
      }
      return all
    }
    return devices.first { $0.name == name }
  }
}
