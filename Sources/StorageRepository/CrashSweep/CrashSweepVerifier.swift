// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// The checks after a restart: data, node health and accounting right after recovery, then the
/// GC runs to completion and data and health are checked again (now with no journal or garbage
/// left at all).
public enum CrashSweepVerifier {
  public static func verify(_ sr: SR, oracle: inout CrashSweepOracle) -> CrashSweepFindings {
    var f = CrashSweepFindings()
    f.note(\.dataMismatch, oracle.firstMismatch(sr).map { "after recovery: \($0)" })
    f.note(\.checkFailure, nodeProblem(sr, exceptGarbage: true).map { "after recovery: \($0)" })
    f.note(\.orphan, orphan(sr, afterGC: false).map { "after recovery: \($0)" })
    oracle.settle(on: sr)
    do {
      try GarbageCollector(sr: sr).runToCompletion()
    } catch {
      f.note(\.recoveryFailure, "GC after recovery failed: \(error)")
      return f
    }
    f.note(\.dataMismatch, oracle.firstMismatch(sr).map { "after GC: \($0)" })
    f.note(\.checkFailure, nodeProblem(sr, exceptGarbage: false).map { "after GC: \($0)" })
    f.note(\.orphan, orphan(sr, afterGC: true).map { "after GC: \($0)" })
    return f
  }

  /// The first unhealthy node: unreadable, failing `vhd-util check`, a visible VDI whose footer is
  /// hidden (the GC would take it for garbage), an LV smaller than the VHD it holds, or an over-full SR.
  /// With `exceptGarbage`, nodes the GC plan lists as garbage are not checked: they are accounted
  /// leftovers the GC deletes (e.g. `OLD_<L>` of a swap cut just after its journal went, whose
  /// locator names the renamed parent, docs/storage-manager.md#scan-and-tree); after the GC every
  /// node is checked.
  static func nodeProblem(_ sr: SR, exceptGarbage: Bool) -> String? {
    let tree: VHDTree
    let garbage: Set<String>
    do {
      tree = try sr.scanTree()
      garbage = exceptGarbage ? Set(try sr.plan().garbage) : []
    } catch { return "scan failed: \(error)" }
    let options = CheckOptions(now: sr.stamps.unixTime)
    for node in tree.nodes where !garbage.contains(node.uuid) {
      if node.scanError { return "node \(node.uuid) cannot be opened" }
      if let p = VHDCheck.check(path: node.path, storage: sr.storage, options: options).first {
        return "vhd-util check: \(p)"
      }
      if case .lvm = sr.kind {
        let need = VHDSpace.lvSize(node.physicalSize)
        guard let lv = sr.lvSizes[node.uuid] else { return "node \(node.uuid) has no LV size" }
        if lv < need { return "LV of \(node.uuid) is \(lv) bytes, its VHD needs \(need)" }
      }
    }
    for uuid in CrashSweepOracle.visibleVDIs(sr) {
      guard let node = tree.node(uuid) else { return "visible VDI \(uuid) has no node" }
      if node.hidden { return "visible VDI \(uuid) has its footer's hidden bit set" }
    }
    if let used = try? sr.space.physicalUtilisation(), used > sr.capacity {
      return "SR over-full: \(used) bytes used of \(sr.capacity)"
    }
    return nil
  }

  /// The first thing in the SR folder nothing accounts for. Every entry must be a node or a journal;
  /// every node an ancestor of (or) a visible VDI, garbage the GC plan lists, or named by a journal.
  /// After the GC, no journal and no garbage may be left.
  static func orphan(_ sr: SR, afterGC: Bool) -> String? {
    let names: [String]
    let tree: VHDTree
    let journals: [SRJournal]
    let garbage: Set<String>
    do {
      names = try sr.folderNames()
      tree = try sr.scanTree()
      journals = try sr.journals.all()
      garbage = Set(try sr.plan().garbage)
    } catch {
      return "cannot list the SR: \(error)"
    }
    for name in names where sr.kind.uuid(ofNodeName: name) == nil {
      let isJournal: Bool
      switch sr.kind {
      case .file: isJournal = SRJournal.parseFileName(name) != nil
      case .lvm: isJournal = SRJournal.parseLVName(name) != nil
      }
      if !isJournal { return "stray entry \(name)" }
    }
    if afterGC, let j = journals.first { return "journal \(j) left after the GC" }
    if afterGC, let g = garbage.sorted().first { return "garbage \(g) left after the GC" }
    var named: Set<String> = []
    for j in journals {
      named.insert(j.key)
      for part in j.value.split(separator: "_") { named.insert(String(part)) }
    }
    var needed: Set<String> = []
    for uuid in CrashSweepOracle.visibleVDIs(sr) {
      var current: String? = uuid
      while let c = current, tree.node(c) != nil, needed.insert(c).inserted { current = tree.parent(of: c) }
    }
    for node in tree.nodes where !needed.contains(node.uuid) && !garbage.contains(node.uuid) {
      if named.contains(node.uuid) || named.contains(where: { node.uuid == "OLD_" + $0 }) { continue }
      return "node \(node.uuid) (hidden: \(node.hidden)) is under no visible VDI, not garbage, in no journal"
    }
    return nil
  }
}
