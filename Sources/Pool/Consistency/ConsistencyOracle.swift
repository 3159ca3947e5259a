// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// Where a snapshot's content differs from what the writes before it made.
public struct ConsistencyMismatch: Sendable, Equatable, CustomStringConvertible {
  public var snapshot: Int
  public var vdi: Int
  public var lba: UInt64
  /// The `SectorTag` the oracle expects (0: never written before the snapshot).
  public var expected: UInt64
  /// The first 64-bit word of the sector that differs from the expected tag.
  public var found: UInt64

  public var description: String {
    "snapshot \(snapshot) of VDI \(vdi): LBA \(lba) expected \(hex(expected)) (\(SectorTag.describe(expected))), "
      + "found \(hex(found)) (\(SectorTag.describe(found)))"
  }
}

func hex(_ v: UInt64) -> String {
  let digits = String(v, radix: 16)
  return "0x" + String(repeating: "0", count: Swift.max(0, 16 - digits.count)) + digits
}

/// One snapshot checked against the write log.
public struct SnapshotVerification: Sendable, Equatable {
  public var snapshot: Int
  public var vdi: Int
  /// Writes the expected state is made of (the log before the cut).
  public var writesChecked: Int
  /// Sectors compared (every sector any write of the VDI's log touched).
  public var sectorsChecked: Int
  /// Writes before the cut that completed after the snapshot was taken: zero when the tapdisk drained.
  public var lateWrites: Int
  public var stall: SimTime?
  public var mismatch: ConsistencyMismatch?

  public var consistent: Bool { mismatch == nil && lateWrites == 0 }
}

/// The verdict over every snapshot taken in a run.
public struct ConsistencyReport: Sendable, Equatable {
  public var results: [SnapshotVerification]
  /// Snapshots scheduled but not taken before the run stopped (not checked).
  public var notTaken: Int

  public var snapshots: Int { results.count }
  public var consistent: Bool { results.allSatisfy(\.consistent) }
  public var writesChecked: Int { results.reduce(0) { $0 + $1.writesChecked } }
  public var sectorsChecked: Int { results.reduce(0) { $0 + $1.sectorsChecked } }
  public var lateWrites: Int { results.reduce(0) { $0 + $1.lateWrites } }
  public var maxStall: SimTime { results.compactMap(\.stall).max() ?? .zero }
  public var firstMismatch: ConsistencyMismatch? { results.lazy.compactMap(\.mismatch).first }
}

/// A file a guest wrote, for the file-level check: the sectors that hold it, and the guest request
/// whose completion made it durable (the `GuestRequest.sequence` of the write that completes its rename,
/// e.g. the journal commit).
public struct FileExtents: Sendable, Equatable {
  public var name: String
  public var vdi: Int
  public var sectors: [Range<UInt64>]
  public var durableBySequence: Int

  public init(name: String, vdi: Int = 0, sectors: [Range<UInt64>], durableBySequence: Int) {
    self.name = name
    self.vdi = vdi
    self.sectors = sectors
    self.durableBySequence = durableBySequence
  }
}

/// A durable file that is not whole in a snapshot.
public struct FileMismatch: Sendable, Equatable {
  public var file: String
  public var sector: ConsistencyMismatch
}

/// The crash-consistency oracle: each snapshot's content, read back through the real engine (the chain
/// ending at the snapshot image), must equal exactly the state the VDI's write log makes up to the
/// snapshot's cut, and nothing after it.
///
/// The cut: the writes the tapdisk had taken when it paused, i.e. those that completed before the pause
/// and those in flight at the pause. A correct snapshot drains the in-flight writes before it is made,
/// so every write before the cut has completed when the snapshot is taken (`lateWrites` counts those
/// that had not), and no write after the cut reaches the engine until the tapdisk runs on the new leaf.
/// The expected state replays the log before the cut in log order (the order the data reached the
/// engine) into a flat array of `SectorTag`s; sectors no write touched before the cut must read as
/// zeros, so a run must start on an empty chain. Only sectors some write of the VDI's log touched are
/// compared, so a snapshot that picked up a later write, or lost an earlier one, is caught.
public struct ConsistencyOracle {
  public let storage: any Storage
  public let engine: EngineOptions
  public let logs: [[WriteRecord]]
  public let snapshots: [SnapshotRecord]
  let diskSectors: [UInt64]

  public init(pool: PoolSimulation) throws {
    if let memory = pool.storage as? MemoryStorage, memory.flavour != .inMemory {
      throw PoolError("consistency checks need a device that keeps data (MemoryStorage .inMemory)")
    }
    guard pool.recordWrites else { throw PoolError("the pool did not record its writes (recordWrites)") }
    storage = pool.storage
    engine = pool.engine
    snapshots = pool.snapshots
    var logs: [[WriteRecord]] = []
    var sizes: [UInt64] = []
    var vdi = 0
    while let log = pool.writeLogIfAttached(vdi: vdi) {
      logs.append(log)
      // A run that ends during a snapshot leaves the chain closed (size 0): the log still bounds it.
      let written = log.map { $0.lba + UInt64($0.sectors) }.max() ?? 0
      sizes.append(max(pool.chain(vdi: vdi).leaf.sizeSectors, written))
      vdi += 1
    }
    self.logs = logs
    diskSectors = sizes
  }

  /// Checks every snapshot that was taken.
  public func verify() throws -> ConsistencyReport {
    var results: [SnapshotVerification] = []
    var notTaken = 0
    for vdi in logs.indices {
      let log = logs[vdi]
      let mine = snapshots.filter { $0.vdi == vdi }
      notTaken += mine.filter { $0.takenAt == nil }.count
      let taken = mine.filter { $0.takenAt != nil }.sorted { $0.cut < $1.cut }
      guard !taken.isEmpty else { continue }
      let touched = Self.touchedSectors(log, sectors: diskSectors[vdi])
      var state = [UInt64](repeating: 0, count: Int(diskSectors[vdi]))
      var applied = 0
      for snap in taken {
        Self.replay(log, from: applied, to: snap.cut, into: &state)
        applied = snap.cut
        var late = 0
        for w in log[0..<snap.cut] where w.completed.map({ $0 > snap.takenAt! }) ?? true { late += 1 }
        let (checked, mismatch) = try compare(
          snapshot: snap, state: state, runs: touched, diskSectors: diskSectors[vdi])
        results.append(
          SnapshotVerification(
            snapshot: snap.index, vdi: vdi, writesChecked: snap.cut, sectorsChecked: checked,
            lateWrites: late,
            stall: snap.stall, mismatch: mismatch))
      }
    }
    results.sort { $0.snapshot < $1.snapshot }
    return ConsistencyReport(results: results, notTaken: notTaken)
  }

  /// The file-level check: every file made durable before the snapshot's cut (its `durableBySequence`
  /// write is in the log before the cut) must be whole in the snapshot, i.e. each of its sectors holds
  /// what the log before the cut put there. Files made durable later are not checked.
  public func verifyFiles(snapshot index: Int, extents files: [FileExtents]) throws -> [FileMismatch] {
    try checkFiles(snapshot: index, extents: files).mismatches
  }

  /// `verifyFiles`, also counting the files that were durable before the snapshot (those checked).
  public func checkFiles(snapshot index: Int, extents files: [FileExtents]) throws -> (
    checked: Int, mismatches: [FileMismatch]
  ) {
    guard let snap = snapshots.first(where: { $0.index == index }), snap.takenAt != nil else {
      throw PoolError("snapshot \(index) was not taken")
    }
    let log = logs[snap.vdi]
    var logIndex: [Int: Int] = [:]
    for w in log where w.guestSequence >= 0 { logIndex[w.guestSequence] = w.sequence }
    var state = [UInt64](repeating: 0, count: Int(diskSectors[snap.vdi]))
    Self.replay(log, from: 0, to: snap.cut, into: &state)
    var out: [FileMismatch] = []
    var checked = 0
    for file in files where file.vdi == snap.vdi {
      guard let w = logIndex[file.durableBySequence], w < snap.cut else { continue }
      checked += 1
      let runs = file.sectors.map { ($0.lowerBound, $0.upperBound) }
      let (_, mismatch) = try compare(
        snapshot: snap, state: state, runs: runs, diskSectors: diskSectors[snap.vdi])
      if let mismatch { out.append(FileMismatch(file: file.name, sector: mismatch)) }
    }
    return (checked, out)
  }

  static func replay(_ log: [WriteRecord], from: Int, to: Int, into state: inout [UInt64]) {
    guard from < to else { return }
    for w in log[from..<to] {
      for s in 0..<w.sectors {
        let lba = w.lba + UInt64(s)
        state[Int(lba)] = SectorTag.tag(write: w.sequence, lba: lba)
      }
    }
  }

  /// Sorted, merged runs [start, end) of sectors any write in `log` touched.
  static func touchedSectors(_ log: [WriteRecord], sectors: UInt64) -> [(UInt64, UInt64)] {
    var bits = [UInt64](repeating: 0, count: Int((sectors + 63) / 64))
    for w in log {
      for s in 0..<UInt64(w.sectors) {
        let lba = w.lba + s
        bits[Int(lba >> 6)] |= 1 << (lba & 63)
      }
    }
    var runs: [(UInt64, UInt64)] = []
    var start: UInt64?
    for lba in 0..<sectors {
      let on = bits[Int(lba >> 6)] & (1 << (lba & 63)) != 0
      if on, start == nil { start = lba }
      if !on, let s = start {
        runs.append((s, lba))
        start = nil
      }
    }
    if let s = start { runs.append((s, sectors)) }
    return runs
  }

  /// Reads `runs` of the snapshot's chain through the engine and compares each sector with `state`.
  func compare(
    snapshot snap: SnapshotRecord, state: [UInt64], runs: [(UInt64, UInt64)], diskSectors: UInt64
  ) throws -> (checked: Int, mismatch: ConsistencyMismatch?) {
    let chain = try VHDChain.open(snap.imagePath!, storage: storage, writable: false, options: engine)
    defer { try? chain.close() }
    let chunk = 4096
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk * 512, alignment: 4096)
    defer { buffer.deallocate() }
    let words = buffer.assumingMemoryBound(to: UInt64.self)
    var accounting = RequestAccounting()
    var checked = 0
    for (start, end) in runs {
      var lba = start
      while lba < end {
        let n = Int(Swift.min(UInt64(chunk), end - lba))
        try chain.read(sector: lba, count: n, into: buffer, accounting: &accounting)
        for s in 0..<n {
          let sector = lba + UInt64(s)
          let expected = state[Int(sector)]
          checked += 1
          for k in 0..<64 where UInt64(littleEndian: words[s * 64 + k]) != expected {
            return (
              checked,
              ConsistencyMismatch(
                snapshot: snap.index, vdi: snap.vdi, lba: sector, expected: expected,
                found: UInt64(littleEndian: words[s * 64 + k]))
            )
          }
        }
        lba += UInt64(n)
      }
    }
    return (checked, nil)
  }
}
