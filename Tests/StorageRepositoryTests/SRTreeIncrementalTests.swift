// SPDX-License-Identifier: GPL-3.0-or-later

import Foundation
import SeededRandom
import Testing
import VHD

@testable import StorageRepository

/// The SR's tree updated from the names and files that changed (`SRTreeScanner`,
/// `VHDTree+Update`) against a fresh scanner's full scan, after every step of random sequences of
/// snapshots, clones, deletes, GC steps (coalesce renames, `OLD_` leaves), journals coming and
/// going, unreadable node files and parents renamed away and back: equal trees (every node, link,
/// child and root order, orphans) or the same error, in both modes.
@Suite struct SRTreeIncrementalTests {
  enum Backing: CaseIterable { case metadataOnly, inMemory, files }

  /// Scanners kept across the steps (one per mode, as the SR keeps one) and the SR under test.
  final class Run {
    let sr: SR
    var random: SplitMix64
    let scanners: [Bool: SRTreeScanner]
    var inFlight: (step: (Int) throws(SRError) -> GCStepWork, done: () -> Bool)?
    var renamedAway: (from: String, to: String)?
    var bogus = 0
    /// Each kept scanner's tree number and tree at the last check, and how often a number stayed.
    var last: [Bool: (number: UInt64, tree: Result<VHDTree, SRError>)] = [:]
    var numberKept = 0

    init(sr: SR, seed: UInt64) {
      self.sr = sr
      random = SplitMix64(seed: seed)
      scanners = Dictionary(
        uniqueKeysWithValues: [false, true].map {
          (
            $0,
            SRTreeScanner(storage: sr.storage, directory: sr.directory, kind: sr.kind, engineOptions: .init())
          )
        })
    }

    func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int(random.next() % UInt64(items.count))] }

    var visible: [String] { sr.records.values.filter { !$0.hidden }.map(\.uuid).sorted() }

    /// One random step; steps the SR refuses (space, a parent renamed away) just do nothing.
    func step() {
      let storage = sr.storage
      switch random.next() % 10 {
      case 0: _ = try? sr.createVDI(nameLabel: "disk", virtualSize: 8 * miB)
      case 1: if let v = pick(visible) { try? write(v) }
      case 2: if let v = pick(visible) { _ = try? sr.snapshot(v) }
      case 3: if let v = pick(visible) { _ = try? sr.clone(v) }
      case 4: if let v = pick(visible) { try? sr.delete(v) }
      case 5: advanceGC()
      case 6:
        // A journal (a name that is no node) comes or goes.
        if let j = try? sr.journals.all().first {
          try? sr.journals.remove(j.kind, key: j.key)
        } else if let v = pick(visible) {
          try? sr.journals.add(.relink, key: v, value: "x")
        }
      case 7:
        // An unreadable file under a node name, or one such file gone.
        let path = sr.path(of: "bogus-\(bogus % 3)")
        bogus += 1
        if storage.exists(path) {
          try? storage.remove(path)
        } else if let device = try? storage.create(path) {
          try? [UInt8](repeating: 0xEE, count: 1024).withUnsafeBytes {
            try device.write($0, at: 0, kind: .data)
          }
        }
      case 8:
        // A node renamed away (a parent's children orphaned) and back at the next such step.
        if let r = renamedAway {
          try? storage.rename(r.to, to: r.from)
          renamedAway = nil
        } else if let node = pick((try? sr.scanTree(orphansAsRoots: true).nodes) ?? []) {
          let to = sr.path(of: "OLD_" + node.uuid)
          if !node.uuid.hasPrefix("OLD_"), !storage.exists(to),
            (try? storage.rename(node.path, to: to)) != nil
          {
            renamedAway = (node.path, to)
          }
        }
      default: _ = try? sr.scanTree()
      }
    }

    func write(_ uuid: String) throws {
      try sr.attach(uuid, writable: true)
      let chain = try VHDChain.open(sr.path(of: uuid), storage: sr.storage, writable: true)
      let sector = random.next() % (8 * miB / 512 - 64)
      try chain.write(sector: sector, bytes: [UInt8](repeating: UInt8(sector & 0xFF), count: 64 * 512))
      try chain.close()
      try sr.detach(uuid, writable: true)
    }

    /// One step of the coalesce (or leaf coalesce) in flight, or a new one, or a GC iteration.
    func advanceGC() {
      if let op = inFlight {
        if (try? op.step(64 << 10)) == nil || op.done() { inFlight = nil }
        return
      }
      guard let plan = try? sr.plan() else { return }
      if let child = plan.coalesceable.first, let op = try? CoalesceOperation(sr: sr, child: child) {
        inFlight = ({ (n) throws(SRError) in try op.step(maxCopyBytes: n) }, { op.phase == .done })
      } else if let leaf = plan.leafCoalesceable.first,
        let op = try? LeafCoalesceOperation(sr: sr, leaf: leaf)
      {
        inFlight = ({ (n) throws(SRError) in try op.step(maxCopyBytes: n) }, { op.phase == .done })
      } else {
        _ = try? GarbageCollector(sr: sr).step()
      }
    }

    /// Whether every kept scanner (and the SR's own) gives what a fresh one gives now, and a kept
    /// scanner's tree number stayed only where its tree did.
    func agrees() -> Bool {
      let full = [false: fresh(false), true: fresh(true)]
      var same = true
      for (orphansAsRoots, scanner) in scanners {
        let kept = Result { () throws(SRError) in try scanner.tree(orphansAsRoots: orphansAsRoots) }
        same = same && kept == full[orphansAsRoots]
        guard let number = scanner.treeGenerations[orphansAsRoots] else { continue }
        if let before = last[orphansAsRoots], before.number == number {
          numberKept += 1
          same = same && before.tree == kept
        }
        last[orphansAsRoots] = (number, kept)
      }
      let own = Result { () throws(SRError) in try sr.scanTree() }
      return same && own == full[false]
    }

    func fresh(_ orphansAsRoots: Bool) -> Result<VHDTree, SRError> {
      let scanner = SRTreeScanner(
        storage: sr.storage, directory: sr.directory, kind: sr.kind, engineOptions: .init())
      return Result { () throws(SRError) in try scanner.tree(orphansAsRoots: orphansAsRoots) }
    }
  }

  static func sr(_ kind: SRKind, on backing: Backing) throws -> SR {
    switch backing {
    case .metadataOnly:
      return SR(
        storage: MemoryStorage(flavour: .metadataOnly), directory: "/sr", kind: kind, capacity: 64 * giB)
    case .inMemory:
      return SR(storage: MemoryStorage(), directory: "/sr", kind: kind, capacity: 64 * giB)
    case .files:
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srtree-\(UUID().uuidString)")
        .path
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      return SR(storage: FileStorage(), directory: dir, kind: kind, capacity: 64 * giB)
    }
  }

  /// 150 random steps per seed: after each, the kept scanners' trees are the fresh scan's. On
  /// memory storages most scans are answered by updating the last tree; the file storage cannot
  /// say what changed, so there every scan is a full one.
  @Test(arguments: [SRKind.file, .lvm(.thin)], Backing.allCases)
  func updatedTreeIsTheFullScansAfterEveryStep(kind: SRKind, backing: Backing) throws {
    let seeds: [UInt64] = backing == .files ? [1] : [1, 2, 3]
    for seed in seeds {
      let run = Run(sr: try Self.sr(kind, on: backing), seed: seed)
      defer { if backing == .files { try? FileManager.default.removeItem(atPath: run.sr.directory) } }
      for _ in 0..<3 { _ = try run.sr.createVDI(nameLabel: "disk", virtualSize: 8 * miB) }
      for i in 0..<150 {
        run.step()
        #expect(run.agrees(), "seed \(seed), step \(i)")
      }
      let updates = run.scanners.values.map(\.updates).reduce(0, +)
      if backing == .files {
        #expect(updates == 0 && run.numberKept == 0)
      } else {
        #expect(updates > 150, "seed \(seed): \(updates) of 300 scans updated")
        #expect(run.numberKept > 20, "seed \(seed): \(run.numberKept) checks kept the tree's number")
      }
      #expect(run.sr.records.count > 3, "seed \(seed): the SR grew")
    }
  }

  /// A node whose file names a parent that is no node of the SR (here a parent file without a node
  /// name) is an orphan: the error a full scan raises, or (force mode) a root, linked under the
  /// node of that uuid once one comes and a root again when it goes. A node whose parent outside
  /// the SR goes is read again (and is then unreadable).
  @Test func orphansAreLinkedWhenANodeOfTheirParentsUUIDComes() throws {
    let sr = makeSR(.file)
    let run = Run(sr: sr, seed: 9)
    let storage = sr.storage
    let raw = try VHDImage.createDynamic("/sr/base.img", size: 8 * miB, storage: storage)
    _ = try VHDImage.createDifferencing("/sr/c.vhd", parent: .init(image: raw), storage: storage)
    let outside = try VHDImage.createDynamic("/other/p.vhd", size: 8 * miB, storage: storage)
    _ = try VHDImage.createDifferencing("/sr/d.vhd", parent: .init(image: outside), storage: storage)
    #expect(throws: SRError.missingParent(node: "c")) { try run.scanners[false]!.tree(orphansAsRoots: false) }
    var forced = try run.scanners[true]!.tree(orphansAsRoots: true)
    #expect(forced.roots == ["c", "d"] && forced.orphans == ["c": "base.img", "d": "/other/p.vhd"])
    #expect(run.agrees())
    _ = try VHDImage.createDynamic("/sr/base.img.vhd", size: 8 * miB, storage: storage)
    forced = try run.scanners[true]!.tree(orphansAsRoots: true)
    #expect(forced.roots == ["base.img", "d"] && forced.children(of: "base.img") == ["c"])
    #expect(run.agrees())
    try storage.remove("/sr/base.img.vhd")
    try storage.remove("/other/p.vhd")
    forced = try run.scanners[true]!.tree(orphansAsRoots: true)
    #expect(forced.roots == ["c", "d"] && forced.orphans == ["c": "base.img"])
    #expect(forced.node("d")?.scanError == true)
    #expect(run.agrees())
    #expect(run.scanners[true]!.updates == 5)
  }
}
