// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// A single-actuator hard disk: seek, rotational latency, transfer; optionally a write cache.
///
/// - Seek: zero for the same position, else `settle + (fullStroke − settle)·√(distance / capacity)`, the
///   usual fit of arm acceleration (short seeks are dominated by settling, long ones grow with the
///   square root of distance). Averaged over uniform random pairs, √ has mean 8/15, so the mean seek is
///   about `settle + 0.53·(fullStroke − settle)`.
/// - Rotation: the platter's phase is a function of simulated time (`now mod period`), and a byte
///   offset's angle is its position within a revolution's worth of bytes (`transferRate · period`), so
///   the wait is the angular distance still to travel: uniform over a revolution for random I/O, and
///   exact rather than averaged.
/// - An I/O that starts where the previous one ended pays neither (track buffer and read-ahead), which
///   gives sequential streams the media rate.
/// - Variability: each seek's time is multiplied by a lognormal factor of mean 1 and shape
///   `seekVariation` (seeks of one distance differ with the settle and the arm's load); 0 keeps the
///   curve exact. Rotation needs no draw: the phase already varies with time.
/// - With `writeCache`, writes are acknowledged after `ackLatency` plus the interface transfer and do not
///   move the head. Destaging is not modelled: this is the optimistic bound of a battery-backed cache.
public struct RotatingDiskModel: DiskModel {
  public struct WriteCache: Sendable, Equatable {
    public var ackLatency: SimTime
    /// Interface bytes per second (SATA 3: 600 MB/s).
    public var interfaceRate: Double
    public init(ackLatency: SimTime = .microseconds(50), interfaceRate: Double = 600e6) {
      self.ackLatency = ackLatency
      self.interfaceRate = interfaceRate
    }
  }

  public var rpm: Double
  /// Track-to-track seek, including settling.
  public var settle: SimTime
  public var fullStrokeSeek: SimTime
  /// Media transfer rate, bytes per second.
  public var transferRate: Double
  public var capacityBytes: UInt64
  public var writeCache: WriteCache?
  /// σ of the lognormal seek-time factor (mean 1); 0: exact seeks.
  public var seekVariation: Double
  /// Byte offset under the head (end of the last media access).
  public private(set) var headOffset: UInt64 = 0
  var variates = DiskVariates()

  public init(
    rpm: Double, settle: SimTime, fullStrokeSeek: SimTime, transferRate: Double, capacityBytes: UInt64,
    writeCache: WriteCache? = nil, seekVariation: Double = 0
  ) {
    self.seekVariation = seekVariation
    self.rpm = rpm
    self.settle = settle
    self.fullStrokeSeek = fullStrokeSeek
    self.transferRate = transferRate
    self.capacityBytes = capacityBytes
    self.writeCache = writeCache
  }

  public var parallelism: Int { 1 }

  public mutating func reseed(_ seed: UInt64) { variates = DiskVariates(seed: seed) }

  /// The same disk with exact seeks (`variability: off`).
  public var deterministic: RotatingDiskModel {
    var m = self
    m.seekVariation = 0
    return m
  }
  public var rotationPeriod: SimTime { SimTime(nanoseconds: Int64((60e9 / rpm).rounded())) }

  public func seekTime(from a: UInt64, to b: UInt64) -> SimTime {
    if a == b { return .zero }
    let distance = Double(a > b ? a - b : b - a) / Double(capacityBytes)
    let span = Double((fullStrokeSeek - settle).nanoseconds)
    return settle + SimTime(nanoseconds: Int64((span * Swift.min(1, distance).squareRoot()).rounded()))
  }

  public mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
    var t = now
    let period = rotationPeriod.nanoseconds
    let bytesPerRevolution = UInt64(transferRate * Double(period) / 1e9)
    for op in ops {
      if op.isWrite, let cache = writeCache {
        t += cache.ackLatency + SimTime(nanoseconds: transferNanoseconds(op.length, cache.interfaceRate))
        continue
      }
      if op.offset != headOffset {
        var seek = seekTime(from: headOffset, to: op.offset)
        if seekVariation > 0 {
          let factor = exp(
            seekVariation * standardNormalQuantile(variates.uniform()) - seekVariation * seekVariation / 2)
          seek = SimTime(nanoseconds: Int64((Double(seek.nanoseconds) * factor).rounded()))
        }
        t += seek
        let target = Int64(op.offset % bytesPerRevolution) * period / Int64(bytesPerRevolution)
        let phase = t.nanoseconds % period
        var wait = target - phase
        if wait < 0 { wait += period }
        t += SimTime(nanoseconds: wait)
      }
      t += SimTime(nanoseconds: transferNanoseconds(op.length, transferRate))
      headOffset = op.offset + op.length
    }
    return t - now
  }

  /// A 7200 rpm SATA disk (2 TB nearline class): 0.6 ms track-to-track, 15 ms full stroke (mean random
  /// seek about 8.3 ms; each seek varies by a lognormal factor of σ 0.1, an assumed spread), 8.33 ms revolution (4.17 ms mean rotational wait), 160 MB/s media rate, no
  /// write cache (XCP's safe default for a local SR). Measured with `DiskCalibration` over the whole
  /// disk: random 4 KiB reads 65–100 IOPS at any queue depth (FIFO, no reordering); sequential 1 MiB
  /// reads 140–165 MB/s.
  public static let sata7200 = RotatingDiskModel(
    rpm: 7200, settle: .microseconds(600), fullStrokeSeek: .milliseconds(15), transferRate: 160e6,
    capacityBytes: 2_000_000_000_000, seekVariation: 0.1)
}
