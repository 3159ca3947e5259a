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
  /// Non-nil: the device completes in rounds (`CompletionRounds`), a round of n I/Os taking the
  /// depth-1 latency times these factors at n (`batch_scaling`, docs/simulation.md#completion-rounds).
  public var batchScaling: QueueDepthScaling?
  var inFlight = InFlightIOs()
  var bus = BusCalendar()
  var variates = DiskVariates()
  var rounds = CompletionRounds()
  /// Of a burst reaching the device at once (`arriveTogether`), the I/Os not served yet and the
  /// writes among them.
  var burst = (left: 0, writes: 0)

  public init(
    read: SizeClassLatency, write: SizeClassLatency, readBandwidth: Double, writeBandwidth: Double,
    channels: Int, capacityBytes: UInt64, writeStall: WriteStall? = nil,
    fileSystem: FileSystemAllocation? = nil, queueDepthScaling: QueueDepthScaling? = nil,
    batchScaling: QueueDepthScaling? = nil
  ) {
    precondition(channels > 0, "SSDModel needs at least one channel")
    self.queueDepthScaling = queueDepthScaling
    self.batchScaling = batchScaling
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

  /// Queue-depth scaling, rounds and a file system's exclusive operations depend on the I/Os in
  /// flight.
  public var timesIOsAsTheyStart: Bool {
    queueDepthScaling != nil || fileSystem != nil || batchScaling != nil
  }

  public var completesInRounds: Bool { batchScaling != nil }

  public func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
    fileSystem?.submitterHeld(op, service: service, at: now) ?? .zero
  }

  public mutating func reseed(_ seed: UInt64) { variates = DiskVariates(seed: seed) }

  public mutating func arriveTogether(count: Int, writes: Int) {
    burst = (count, writes)
  }

  public mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
    var t = now
    var inRound = false
    // Asked once: comparing the optional with nil copies the whole allocation model.
    let hasFileSystem = fileSystem != nil
    for op in ops {
      if hasFileSystem {
        if op.space != .none {
          let u = variates.uniform()
          if batchScaling != nil, let sent = fileSystem!.serveAllocation(op, ready: t, at: u, now: now) {
            // The allocation is made in io_submit; the write then goes to the device as any other.
            served(op)
            joinRound(op, ready: sent, now: now)
            inRound = true
            continue
          }
          t = fileSystem!.serveExclusive(op, ready: t, at: u, now: now)
          served(op)
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
      if batchScaling != nil {
        served(op)
        joinRound(op, ready: t, now: now)
        inRound = true
        continue
      }
      // Each side asked in place: a copy of the chosen side would retain its class array per I/O.
      let u = variates.uniform()
      var latency = op.isWrite ? write.value(bytes: op.length, at: u) : read.value(bytes: op.length, at: u)
      if let scaling = queueDepthScaling {
        let others = inFlight.count(at: t, now: now)
        // This I/O counts itself; in a burst, also the burst's I/Os served after it.
        let (n, writes) =
          burst.left > 0
          ? (others.all + burst.left, others.writes + burst.writes)
          : (others.all + 1, others.writes + (op.isWrite ? 1 : 0))
        latency *= scaling.factor(isWrite: op.isWrite, inFlight: n, writes: writes)
      }
      served(op)
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
    // An I/O in a round completes when the round ends (`SimulatedDisk.hold`); a file system's
    // allocation or punch takes its own time.
    return inRound ? SimulatedDisk.heldForRound : t - now
  }

  /// One of a burst's I/Os, or one alone, has been served.
  private mutating func served(_ op: DiskOp) {
    guard burst.left > 0 else { return }
    burst.left -= 1
    if op.isWrite { burst.writes = Swift.max(0, burst.writes - 1) }
  }

  /// Where the device completes in rounds: `op`, ready at `t`, opens a round (the device is idle) or
  /// joins the round in service, which it lengthens to its new size; it completes when its round
  /// ends (`roundEnd` as it stands once no I/O joins any more). A round takes one draw when it opens: each direction among its I/Os its
  /// depth-1 latency at that draw for the round's largest I/O times its batch factor at the round's
  /// size, the slower deciding, plus that I/O's transfer, and no less than its transfers one after
  /// another on the bus; its first write may bring a stall.
  private mutating func joinRound(_ op: DiskOp, ready t: SimTime, now: SimTime) {
    if rounds.isIdle(at: t) { rounds.open(at: t, u: variates.uniform()) }
    if rounds.add(op), let stall = writeStall, variates.uniform() < stall.probability {
      rounds.stall = SimTime(nanoseconds: Int64(stall.duration.value(at: variates.uniform()).rounded()))
    }
    let transfer = transferNanoseconds(op.length, op.isWrite ? writeBandwidth : readBandwidth)
    rounds.busEnd = Swift.max(rounds.busEnd, bus.reserve(ready: t, duration: transfer, now: now))
    let largestTransfer = transferNanoseconds(
      rounds.largest, rounds.writes == rounds.count ? writeBandwidth : readBandwidth)
    rounds.end = Swift.max(
      rounds.opened + roundLatency() + rounds.stall + SimTime(nanoseconds: largestTransfer), rounds.busEnd)
    if fileSystem != nil { fileSystem!.inFlight(op, until: rounds.end) }
    if queueDepthScaling != nil { inFlight.add(from: t, to: rounds.end, isWrite: op.isWrite) }
  }

  public var roundEnd: SimTime { rounds.end }
  public var roundSerial: Int { rounds.serial }

  /// The round in service's latency, without transfers and stall: at its draw, each direction among
  /// its I/Os its depth-1 latency for the largest I/O times its batch factor at the round's size, the
  /// slower deciding. For a write into a file hole the depth-1 latency is `allocating_write` less
  /// `allocating_submit` at the draw (its allocation was served before it joined), where that is
  /// longer than the plain write's.
  private mutating func roundLatency() -> SimTime {
    let n = rounds.count
    let writes = rounds.writes
    var latency = 0.0
    if n > writes {
      latency =
        read.value(bytes: rounds.largest, at: rounds.u)
        * batchScaling!.factor(isWrite: false, inFlight: n, writes: writes)
    }
    if writes > 0 {
      var base = write.value(bytes: rounds.largest, at: rounds.u)
      if rounds.largestAllocating > 0, let fs = fileSystem, let submit = fs.allocatingSubmit {
        // A write into a hole takes what its depth-1 latency leaves after its allocation (the
        // unwritten extent's conversion at completion included).
        base = Swift.max(
          base,
          fs.allocatingWrite.value(bytes: rounds.largestAllocating, at: rounds.u)
            - submit.value(bytes: rounds.largestAllocating, at: rounds.u))
      }
      latency = Swift.max(latency, base * batchScaling!.factor(isWrite: true, inFlight: n, writes: writes))
    }
    return SimTime(nanoseconds: Int64(latency.rounded()))
  }

  /// The same device completing each I/O on its own (no `batchScaling`): what fio's streaming jobs
  /// measured.
  public var withoutRounds: SSDModel {
    var m = self
    m.batchScaling = nil
    return m
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
