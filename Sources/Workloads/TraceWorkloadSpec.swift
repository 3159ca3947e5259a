// SPDX-License-Identifier: GPL-3.0-or-later

/// A VM's workload read from a block trace (docs/scenarios.md#trace-workloads): which file and
/// device, how its clock and addresses map onto the simulated VM and VDI, and whether it repeats.
public struct TraceWorkloadSpec: Hashable, Sendable {
  /// When requests are issued.
  public enum Pacing: Hashable, Sendable {
    /// Open loop, at the trace's timestamps (times `timeScale`), whatever the simulated disk does.
    case timestamps
    /// Closed loop: `ioDepth` requests outstanding, each completion issues the trace's next request.
    case closedLoop(ioDepth: Int)
  }

  /// How trace sectors become VDI sectors.
  public enum AddressMapping: String, Hashable, Sendable, CaseIterable {
    /// Shifted by `offsetSectors`; a request past the end of the VDI is an error.
    case offset
    /// Multiplied so the trace's highest sector lands at the VDI's end (a big production disk onto a
    /// small VDI, or a small one spread out).
    case scale
    /// Shifted by `offsetSectors`, then taken modulo the VDI's size.
    case wrap
  }

  /// Absolute path of the trace.
  public var path: String
  public var format: TraceFormat
  /// The trace as scanned when the workload was made (devices, extents, duration).
  public var profile: TraceProfile
  /// Only this device's requests; nil: every device's, as one stream.
  public var device: String?
  /// Trace time is multiplied by this (2: half speed).
  public var timeScale: Double = 1
  public var pacing = Pacing.timestamps
  public var mapping = AddressMapping.offset
  public var offsetSectors: UInt64 = 0
  /// Start again from the first request when the trace ends (until the run ends); false: once.
  public var repeats = false
  /// blkparse: the action whose lines are requests.
  public var action = "Q"

  public init(path: String, format: TraceFormat, profile: TraceProfile) {
    self.path = path
    self.format = format
    self.profile = profile
  }

  /// Scans the trace at `path` (its format detected from the content unless given).
  public static func scanning(path: String, format: TraceFormat? = nil, action: String = "Q")
    throws(TraceError) -> TraceWorkloadSpec
  {
    let f: TraceFormat
    if let format { f = format } else { f = try TraceFormat.detect(path: path) }
    let profile = try TraceProfile.scan(path: path, format: f, action: action)
    var spec = TraceWorkloadSpec(path: path, format: f, profile: profile)
    spec.action = action
    return spec
  }

  /// Requests one pass of the chosen device (or of every device) makes.
  public var requestsPerPass: Int { profile.device(device)?.requests ?? 0 }
}
