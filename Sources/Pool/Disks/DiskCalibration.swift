// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Measures a disk model the way fio measures a device: `queueDepth` outstanding single-I/O requests,
/// each replaced by the next as it completes, random (uniform over the device, aligned to the I/O size)
/// or sequential (one stream advancing through the device). The presets' documented bands are figures
/// from this harness, and the tests hold them to those bands.
public enum DiskCalibration {
  public enum Pattern: Sendable { case random, sequential }

  public struct Figures: Sendable, Equatable {
    public var iops: Double
    public var bytesPerSecond: Double
    public var meanLatency: SimTime
  }

  public static func measure(
    _ model: any DiskModel, pattern: Pattern, isWrite: Bool = false, readPercent: Int? = nil, ioBytes: UInt64,
    queueDepth: Int, ios: Int, seed: UInt64 = 1
  ) -> Figures {
    // fio's streaming jobs (each I/O submitted as it is ready, collected as soon as one completes)
    // are what the per-I/O part of a profile was fitted to; its rounds, to the batched jobs
    // (docs/simulation.md#completion-rounds).
    var device: any DiskModel = (model as? SSDModel)?.withoutRounds ?? model
    device.reseed(SplitMix64.mix(seed))
    var harness = Harness(
      disk: SimulatedDisk(model: device), pattern: pattern, isWrite: isWrite, readPercent: readPercent,
      ioBytes: ioBytes, target: ios,
      random: IteratedSplitMix64(state: seed | 1), issueTime: Array(repeating: .zero, count: queueDepth))
    var sim = Simulator<Harness.Event>(capacity: queueDepth * 2)
    for slot in 0..<queueDepth { harness.issue(Int32(slot), sim: &sim) }
    sim.run(&harness)
    let elapsed = sim.now.seconds
    return Figures(
      iops: Double(harness.done) / elapsed, bytesPerSecond: Double(harness.done) * Double(ioBytes) / elapsed,
      meanLatency: harness.latencySum / Swift.max(1, harness.done))
  }

  struct Harness: SimulationModel {
    enum Event { case done(Int32) }
    var disk: SimulatedDisk
    let pattern: Pattern
    let isWrite: Bool
    /// A mix, as fio's `--rwmixread`: each I/O a read with this chance in percent (nil: `isWrite`).
    let readPercent: Int?
    let ioBytes: UInt64
    let target: Int
    var random: IteratedSplitMix64
    var issueTime: [SimTime]
    var ops: [DiskOp] = []
    var issued = 0
    var done = 0
    var next: UInt64 = 0
    var latencySum = SimTime.zero

    mutating func op() -> DiskOp {
      let slots = disk.model.capacityBytes / ioBytes
      var offset: UInt64
      switch pattern {
      case .random:
        offset = (random.next() % slots) * ioBytes
      case .sequential:
        offset = next
        next = (next + ioBytes) % (slots * ioBytes)
      }
      if offset + ioBytes > disk.model.capacityBytes { offset = 0 }
      let write = readPercent.map { random.next() % 100 >= UInt64($0) } ?? isWrite
      return DiskOp(offset: offset, length: ioBytes, isWrite: write)
    }

    mutating func start(_ slot: Int32, sim: inout Simulator<Event>) {
      let o = op()
      let t = withUnsafePointer(to: o) { disk.service(UnsafeBufferPointer(start: $0, count: 1), at: sim.now) }
      sim.schedule(.done(slot), after: t)
    }

    mutating func issue(_ slot: Int32, sim: inout Simulator<Event>) {
      guard issued < target else { return }
      issued += 1
      issueTime[Int(slot)] = sim.now
      if disk.arrive(slot, at: sim.now) { start(slot, sim: &sim) }
    }

    mutating func handle(_ event: Event, at time: SimTime, sim: inout Simulator<Event>) {
      switch event {
      case .done(let slot):
        done += 1
        latencySum += time - issueTime[Int(slot)]
        if let next = disk.depart(arrivedAt: issueTime[Int(slot)], at: time) { start(next, sim: &sim) }
        issue(slot, sim: &sim)
      }
    }
  }
}
