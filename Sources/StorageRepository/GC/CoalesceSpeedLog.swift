// SPDX-License-Identifier: GPL-3.0-or-later

/// The SR's coalesce speed samples (docs/storage-manager.md#speed-log, `/run/<sr>.speed_log`): one
/// per `vhd-util coalesce` run, leaf or not, the last `capacity` kept. Live leaf coalesce is
/// planned from their mean, so a few slow copies on a busy disk make the GC fall back to
/// snapshot-coalesce.
///
/// The storage manager stores bytes ÷ seconds per run and averages those speeds (not total bytes ÷
/// total time). The log lives in tmpfs: a host restart starts with an empty one.
public struct CoalesceSpeedLog: Equatable, Sendable {
  /// One coalesce run.
  public struct Sample: Equatable, Sendable {
    public var bytes: UInt64
    public var seconds: Double
    /// Bytes per second.
    public var speed: Double { Double(bytes) / seconds }
  }

  /// `N_RUNNING_AVERAGE`.
  public static let defaultCapacity = 10

  public let capacity: Int
  /// Ring storage; `next` is where the following sample goes once it is full.
  private var ring: [Sample] = []
  private var next = 0

  /// An empty log keeping at most `capacity` samples (at least 1).
  public init(capacity: Int = defaultCapacity) {
    self.capacity = max(1, capacity)
    ring.reserveCapacity(self.capacity)
  }

  /// Records a run of `bytes` in `seconds`. A run that took no time (or a non-finite or negative
  /// duration) records nothing, as in SM. Zero bytes is recorded (vhd-util printed no count).
  public mutating func record(bytes: UInt64, seconds: Double) {
    guard seconds > 0, seconds.isFinite else { return }
    let sample = Sample(bytes: bytes, seconds: seconds)
    if ring.count < capacity {
      ring.append(sample)
    } else {
      ring[next] = sample
      next = (next + 1) % capacity
    }
  }

  /// Kept samples, oldest first.
  public var samples: [Sample] { Array(ring[next...] + ring[..<next]) }

  public var count: Int { ring.count }

  /// Forgets every sample (host restart: the file was in tmpfs).
  public mutating func removeAll() {
    ring.removeAll(keepingCapacity: true)
    next = 0
  }

  /// Mean speed in bytes per second, or nil ("no estimate": the 20 MiB rule applies) when there are
  /// no samples or the mean is not positive.
  public var estimate: Double? {
    guard !ring.isEmpty else { return nil }
    var sum = 0.0
    for sample in ring { sum += sample.speed }
    let mean = sum / Double(ring.count)
    return mean > 0 && mean.isFinite ? mean : nil
  }
}
