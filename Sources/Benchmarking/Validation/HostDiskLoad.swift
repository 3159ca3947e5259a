// SPDX-License-Identifier: GPL-3.0-or-later

/// What the host's block device did while a case's real runs went on (`HostDiskCounters`, summed
/// over the runs): the I/Os it completed per request (beside the engine's physical I/Os per request:
/// more means the host added I/O, fewer that it merged), the mean number of requests in its queue,
/// and by Little's law the time each spent there; and per direction the mean time of a read and of
/// a write, which tell which of the two the device served slower than the profile says. Other
/// processes' I/O on the same device counts too, so this is a figure of a quiet machine.
public struct HostDiskLoad: Sendable, Equatable {
  public var iosPerRequest: Double
  public var meanQueue: Double
  public var usPerIO: Double
  /// Mean µs of a completed read and of a completed write (0 where there were none).
  public var usPerRead: Double
  public var usPerWrite: Double

  public init(
    iosPerRequest: Double, meanQueue: Double, usPerIO: Double, usPerRead: Double = 0, usPerWrite: Double = 0
  ) {
    self.iosPerRequest = iosPerRequest
    self.meanQueue = meanQueue
    self.usPerIO = usPerIO
    self.usPerRead = usPerRead
    self.usPerWrite = usPerWrite
  }

  /// Over runs that each made `requests` requests in `seconds`; nil if any run has no counters.
  init?(runs: [(counters: HostDiskCounters?, requests: Int, seconds: Double)]) {
    var ios: UInt64 = 0
    var queueMs: UInt64 = 0
    var (reads, writes, readMs, writeMs): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var requests = 0
    var seconds = 0.0
    for run in runs {
      guard let c = run.counters else { return nil }
      ios += c.ios
      queueMs += c.queueMs
      reads += c.reads
      writes += c.writes
      readMs += c.readMs
      writeMs += c.writeMs
      requests += run.requests
      seconds += run.seconds
    }
    guard !runs.isEmpty, requests > 0, seconds > 0 else { return nil }
    self.init(
      iosPerRequest: Double(ios) / Double(requests), meanQueue: Double(queueMs) / 1000 / seconds,
      usPerIO: ios > 0 ? 1000 * Double(queueMs) / Double(ios) : 0,
      usPerRead: reads > 0 ? 1000 * Double(readMs) / Double(reads) : 0,
      usPerWrite: writes > 0 ? 1000 * Double(writeMs) / Double(writes) : 0)
  }
}
