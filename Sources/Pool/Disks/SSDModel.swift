// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A flash device: a per-operation latency drawn for the operation and its size class (flash read, or
/// the write buffer's acknowledgement; `SizeClassLatency`), optional write stalls, then a transfer over
/// a bus whose bandwidth every channel shares.
///
/// Latency is paid per I/O on one of `channels` independent units, which is where an SSD's random-IOPS
/// advantage comes from; the transfer goes over one bus every channel shares (a `BusCalendar`), so many
/// channels streaming large I/Os together still add up to `readBandwidth`/`writeBandwidth`, not a
/// multiple of it. (Read and write share the bus at their own rates: a simplification of a device whose
/// directions have different internal limits.) Latencies are drawn from the model's own variates
/// (docs/simulation.md#disk-profiles), one per I/O and one more per write when stalls are on.
public struct SSDModel: DiskModel {
  public var read: SizeClassLatency
  public var write: SizeClassLatency
  /// Bytes per second.
  public var readBandwidth: Double
  public var writeBandwidth: Double
  /// Internal parallelism: requests served at once.
  public var channels: Int
  public var capacityBytes: UInt64
  public var writeStall: WriteStall?
  /// The file system of a file SR in front of the device (calibrated on a file); nil: a raw device,
  /// where allocating writes are plain writes and a zeroing writes its zeros.
  public var fileSystem: FileSystemAllocation?
  /// How latency grows with the I/Os in flight (a calibrated profile); nil: it does not, each of
  /// `channels` units serves at its depth-1 latency.
  public var queueDepthScaling: QueueDepthScaling?
  var inFlight = InFlightIOs()
  var bus = BusCalendar()
  var variates = DiskVariates()
  /// Of a burst reaching the device at once (`arriveTogether`), the I/Os not served yet and the
  /// writes among them.
  var burstLeft = 0
  var burstWritesLeft = 0

  public init(
    read: SizeClassLatency, write: SizeClassLatency, readBandwidth: Double, writeBandwidth: Double,
    channels: Int, capacityBytes: UInt64, writeStall: WriteStall? = nil,
    fileSystem: FileSystemAllocation? = nil, queueDepthScaling: QueueDepthScaling? = nil
  ) {
    precondition(channels > 0, "SSDModel needs at least one channel")
    self.queueDepthScaling = queueDepthScaling
    self.read = read
    self.write = write
    self.readBandwidth = readBandwidth
    self.writeBandwidth = writeBandwidth
    self.channels = channels
    self.capacityBytes = capacityBytes
    self.writeStall = writeStall
    self.fileSystem = fileSystem
  }

  /// Fixed latencies (no variability).
  public init(
    readLatency: SimTime, writeLatency: SimTime, readBandwidth: Double, writeBandwidth: Double, channels: Int,
    capacityBytes: UInt64
  ) {
    self.init(
      read: SizeClassLatency(.fixed(readLatency)), write: SizeClassLatency(.fixed(writeLatency)),
      readBandwidth: readBandwidth, writeBandwidth: writeBandwidth, channels: channels,
      capacityBytes: capacityBytes)
  }

  public var parallelism: Int { channels }

  /// Queue-depth scaling and a file system's exclusive operations depend on the I/Os in flight.
  public var timesIOsAsTheyStart: Bool { queueDepthScaling != nil || fileSystem != nil }

  public func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
    fileSystem?.submitterHeld(op, service: service, at: now) ?? .zero
  }

  public mutating func reseed(_ seed: UInt64) { variates = DiskVariates(seed: seed) }

  public mutating func arriveTogether(count: Int, writes: Int) {
    burstLeft = count
    burstWritesLeft = writes
  }

  public mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
    var t = now
    // Asked once: comparing the optional with nil copies the whole allocation model.
    let hasFileSystem = fileSystem != nil
    for op in ops {
      if hasFileSystem {
        if op.space != .none {
          t = fileSystem!.serveExclusive(op, ready: t, at: variates.uniform(), now: now)
          if op.space == .punchesHole { continue }
          let start = t
          t = bus.reserve(ready: t, duration: transferNanoseconds(op.length, writeBandwidth), now: now)
          fileSystem!.inFlight(op, until: t)
          if queueDepthScaling != nil { inFlight.add(from: start, to: t, isWrite: op.isWrite) }
          continue
        }
        t = fileSystem!.shared(op, ready: t)
      }
      let start = t
      // Each side asked in place: a copy of the chosen side would retain its class array per I/O.
      let u = variates.uniform()
      var latency = op.isWrite ? write.value(bytes: op.length, at: u) : read.value(bytes: op.length, at: u)
      if let scaling = queueDepthScaling {
        let others = inFlight.count(at: t, now: now)
        // This I/O counts itself; in a burst, also the burst's I/Os served after it.
        let (n, writes) =
          burstLeft > 0
          ? (others.all + burstLeft, others.writes + burstWritesLeft)
          : (others.all + 1, others.writes + (op.isWrite ? 1 : 0))
        latency *= scaling.factor(isWrite: op.isWrite, inFlight: n, writes: writes)
      }
      if burstLeft > 0 {
        burstLeft -= 1
        if op.isWrite { burstWritesLeft = Swift.max(0, burstWritesLeft - 1) }
      }
      t += SimTime(nanoseconds: Int64(latency.rounded()))
      if op.isWrite, let stall = writeStall, variates.uniform() < stall.probability {
        t += SimTime(nanoseconds: Int64(stall.duration.value(at: variates.uniform()).rounded()))
      }
      t = bus.reserve(
        ready: t, duration: transferNanoseconds(op.length, op.isWrite ? writeBandwidth : readBandwidth),
        now: now)
      if hasFileSystem { fileSystem!.inFlight(op, until: t) }
      if queueDepthScaling != nil { inFlight.add(from: start, to: t, isWrite: op.isWrite) }
    }
    return t - now
  }

  /// The same device without the spread: every latency its mean, no stalls (`variability: off`).
  public var deterministic: SSDModel {
    var m = self
    m.read = read.deterministic
    m.write = write.deterministic
    m.writeStall = nil
    m.fileSystem = fileSystem?.deterministic
    return m
  }

  /// A datacenter NVMe drive (U.2, PCIe 3 ×4 class, e.g. Intel P4510): 80 µs mean read latency, 20 µs
  /// mean write acknowledgement (power-loss-protected DRAM buffer), 3.0 GB/s read and 2.0 GB/s write,
  /// 32 channels, 4 TB. The means are the data sheet's; the spread (lognormal, σ 0.25 read, 0.35 write)
  /// is an assumed shape, not a measurement: calibrate a profile for measured tails. Measured with
  /// `DiskCalibration` at queue depth 32: random 4 KiB reads 300k–450k IOPS; sequential 1 MiB reads
  /// 2.5–3.1 GB/s, writes 1.7–2.1 GB/s. Its profile file is `Profiles/disks/nvme.yaml`.
  public static let nvmeDatacenter = SSDModel(
    read: SizeClassLatency(.lognormal(mean: .microseconds(80), sigma: 0.25)),
    write: SizeClassLatency(.lognormal(mean: .microseconds(20), sigma: 0.35)), readBandwidth: 3.0e9,
    writeBandwidth: 2.0e9, channels: 32, capacityBytes: 4_000_000_000_000)

  /// A SATA SSD (enterprise class): 100 µs read, 40 µs write (means; lognormal σ 0.3 and 0.4, assumed),
  /// 530/500 MB/s, 8 channels, 2 TB. The backend of the `iscsi10GbE` preset's array is four of these
  /// striped (see `ISCSIModel`).
  public static let sataSSD = SSDModel(
    read: SizeClassLatency(.lognormal(mean: .microseconds(100), sigma: 0.3)),
    write: SizeClassLatency(.lognormal(mean: .microseconds(40), sigma: 0.4)), readBandwidth: 530e6,
    writeBandwidth: 500e6, channels: 8, capacityBytes: 2_000_000_000_000)
}
