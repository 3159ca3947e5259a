// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A flash device: a fixed per-operation latency (flash read, or the write buffer's acknowledgement),
/// then a transfer over a bus whose bandwidth every channel shares.
///
/// Latency is paid per I/O on one of `channels` independent units, which is where an SSD's random-IOPS
/// advantage comes from; the transfer goes over one bus every channel shares (a `BusCalendar`), so many
/// channels streaming large I/Os together still add up to `readBandwidth`/`writeBandwidth`, not a
/// multiple of it. (Read and write share the bus at their own rates: a simplification of a device whose
/// directions have different internal limits.)
public struct SSDModel: DiskModel {
  public var readLatency: SimTime
  public var writeLatency: SimTime
  /// Bytes per second.
  public var readBandwidth: Double
  public var writeBandwidth: Double
  /// Internal parallelism: requests served at once.
  public var channels: Int
  public var capacityBytes: UInt64
  var bus = BusCalendar()

  public init(
    readLatency: SimTime, writeLatency: SimTime, readBandwidth: Double, writeBandwidth: Double, channels: Int,
    capacityBytes: UInt64
  ) {
    precondition(channels > 0, "SSDModel needs at least one channel")
    self.readLatency = readLatency
    self.writeLatency = writeLatency
    self.readBandwidth = readBandwidth
    self.writeBandwidth = writeBandwidth
    self.channels = channels
    self.capacityBytes = capacityBytes
  }

  public var parallelism: Int { channels }

  public mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
    var t = now
    for op in ops {
      t += op.isWrite ? writeLatency : readLatency
      t = bus.reserve(
        ready: t, duration: transferNanoseconds(op.length, op.isWrite ? writeBandwidth : readBandwidth),
        now: now)
    }
    return t - now
  }

  /// A datacenter NVMe drive (U.2, PCIe 3 ×4 class, e.g. Intel P4510): 80 µs read latency, 20 µs write
  /// acknowledgement (power-loss-protected DRAM buffer), 3.0 GB/s read and 2.0 GB/s write, 32 channels,
  /// 4 TB. Measured with `DiskCalibration` at queue depth 32: random 4 KiB reads 300k–450k IOPS;
  /// sequential 1 MiB reads 2.5–3.1 GB/s, writes 1.7–2.1 GB/s.
  public static let nvmeDatacenter = SSDModel(
    readLatency: .microseconds(80), writeLatency: .microseconds(20), readBandwidth: 3.0e9,
    writeBandwidth: 2.0e9,
    channels: 32, capacityBytes: 4_000_000_000_000)

  /// A SATA SSD (enterprise class): 100 µs read, 40 µs write, 530/500 MB/s, 8 channels, 2 TB. The
  /// backend of the `iscsi10GbE` preset's array is four of these striped (see `ISCSIModel`).
  public static let sataSSD = SSDModel(
    readLatency: .microseconds(100), writeLatency: .microseconds(40), readBandwidth: 530e6,
    writeBandwidth: 500e6,
    channels: 8, capacityBytes: 2_000_000_000_000)
}
