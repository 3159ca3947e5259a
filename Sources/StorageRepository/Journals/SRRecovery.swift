// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Undoing or finishing what an interrupted operation left, from its journals
/// (docs/storage-manager.md#interrupted-coalesce; `_handleInterruptedCoalesceLeaf`,
/// docs/storage-manager.md#interrupted-leaf-coalesce;
/// docs/storage-manager.md#interrupted-snapshot). The rule throughout: every visible VDI reads
/// afterwards exactly what it held before the interrupted operation. It takes the SR (`SR.recover()`
/// runs it from `reopen`; the coalesce and leaf-coalesce operations finish or undo through it).
struct SRRecovery {
  let sr: SR

  /// On attach or scan: undo or finish every interrupted operation, in the storage manager's
  /// order (clone, inflate, grow, leaf coalesce), drop the `coalesce` markers and the `relink` entries
  /// whose node is gone. A `relink` entry of an existing node stays: the GC resumes it first.
  /// Returns one human-readable line per action.
  @discardableResult
  func recover() throws(SRError) -> [String] {
    var log: [String] = []
    if case .file = sr.kind {
      for name in try sr.folderNames() where name.hasPrefix("tmp-journal-") {
        let path = VHDPath.join(sr.directory, name)
        try SRError.engine(path) { try sr.storage.remove(path) }
        log.append("removed half-written journal \(name)")
      }
    }
    for j in try sr.journals.all() where j.kind == .clone {
      log.append(try resolveInterruptedClone(original: j.key, value: j.value))
    }
    for j in try sr.journals.all() where j.kind == .inflate {
      log.append(try undoInterruptedInflate(j.key, value: j.value))
    }
    // `_undoAllJournals`: interrupted grows (docs/storage-manager.md#parent-growth) after the
    // inflates and before the leaf journals, whose undo opens the parent a grow poisons.
    log += try VirtualSizeGrowth(sr: sr).revertInterrupted()
    for j in try sr.journals.all() where j.kind == .leaf {
      log.append(try resolveInterruptedLeafCoalesce(leaf: j.key, parent: j.value))
    }
    for j in try sr.journals.all() where j.kind == .coalesce {
      // The copy into P was cut: P's end footer may be lost mid-allocation (SM repairs P).
      if let parent = try? sr.scanTree(orphansAsRoots: true).parent(of: j.key),
        try repairFooter(sr.path(of: parent))
      {
        log.append("repaired the footer of \(parent)")
      }
      try sr.journals.remove(.coalesce, key: j.key)
      log.append("dropped coalesce marker of \(j.key)")
    }
    log += try dropStaleJournals()
    // A relink cut half-way leaves children that no chain can open: finish it now (idempotent);
    // the journal and C stay for the GC, which deletes C once the leaves are refreshed.
    for j in try sr.journals.all() where j.kind == .relink && sr.storage.exists(sr.path(of: j.value)) {
      for uuid in try relinkTargets(child: j.key, parent: j.value) {
        let p = sr.path(of: uuid)
        try SRError.engine(p) {
          try VHDReparent.reparent(
            p, newParent: sr.path(of: j.value), storage: sr.storage, options: sr.engineOptions)
        }
        log.append("relinked \(uuid) onto \(j.value)")
      }
    }
    // The host restarted: the tapdisk of every attached VDI died with it, possibly in the middle of
    // a block allocation (data, bitmap and BAT written, the footer at the new end not): repair the
    // leaf's end footer from its copy at offset 0 (`vhd-util repair`). recover() runs only from
    // `reopen`, so no live tapdisk has these files open.
    for uuid in sr.attachments.keys.sorted() where sr.isAttached(uuid) {
      guard let leaf = sr.records[uuid]?.path else { continue }
      if try repairFooter(leaf) { log.append("repaired the footer of \(uuid)") }
    }
    return log
  }

  /// What the relink of C into P must reparent (`vhd-util modify -p`): every child of C, and every
  /// child of P whose header still names another parent (a reparent cut between its locator and
  /// header writes, which the scan already shows under P).
  func relinkTargets(child: String, parent: String) throws(SRError) -> [String] {
    let tree = try sr.scanTree(orphansAsRoots: true)
    var targets = tree.children(of: child)
    let parentPath = sr.path(of: parent)
    let parentID = try SRError.engine(parentPath) {
      try VHDImage.open(parentPath, storage: sr.storage, options: sr.engineOptions).footer.uniqueID
    }
    for uuid in tree.children(of: parent) where uuid != child {
      let p = sr.path(of: uuid)
      let named = try? VHDImage.open(p, storage: sr.storage, options: sr.engineOptions).header?.parentUniqueID
      if let named, named != parentID { targets.append(uuid) }
    }
    return targets
  }

  /// `vhd-util repair`: rewrites an end footer lost in the middle of a block allocation from the
  /// copy at offset 0. Returns whether the footer needed it.
  func repairFooter(_ path: String) throws(SRError) -> Bool {
    guard sr.storage.exists(path) else { return false }
    let problems = VHDCheck.check(
      path: path, storage: sr.storage, options: CheckOptions(ignoreTimestamps: true))
    guard problems.contains(where: { $0.field.hasPrefix("footer") }) else { return false }
    try SRError.engine(path) {
      let image = try VHDImage.open(path, storage: sr.storage, writable: true, options: sr.engineOptions)
      try image.setHidden(image.isHidden)
      try image.close()
    }
    return true
  }

  /// `cleanupJournals`: drops `relink` entries whose node no longer exists and `clone` entries
  /// whose original and base are both gone.
  func dropStaleJournals() throws(SRError) -> [String] {
    var log: [String] = []
    for j in try sr.journals.all() {
      switch j.kind {
      case .relink where !sr.storage.exists(sr.path(of: j.key)):
        try sr.journals.remove(.relink, key: j.key)
        log.append("dropped stale relink journal of \(j.key)")
      case .clone:
        let base = SR.parseCloneJournalValue(j.value)?.base
        if !sr.storage.exists(sr.path(of: j.key))
          && !(base.map { sr.storage.exists(sr.path(of: $0)) } ?? false)
        {
          try sr.journals.remove(.clone, key: j.key)
          log.append("dropped stale clone journal of \(j.key)")
        }
      default: break
      }
    }
    return log
  }

  // MARK: inflate

  /// An interrupted inflate is undone by deflating back to the size before it (never below what
  /// the VHD holds).
  func undoInterruptedInflate(_ uuid: String, value: String) throws(SRError) -> String {
    defer { _ = try? sr.journals.remove(.inflate, key: uuid) }
    guard let old = UInt64(value), sr.storage.exists(sr.path(of: uuid)), case .lvm = sr.kind else {
      try sr.journals.remove(.inflate, key: uuid)
      return "dropped inflate journal of \(uuid)"
    }
    let floor = VHDSpace.lvSize(try sr.space.fileSize(sr.path(of: uuid)))
    sr.lvSizes[uuid] = max(old, floor)
    try sr.journals.remove(.inflate, key: uuid)
    return "undid inflate of \(uuid): LV back to \(max(old, floor)) bytes"
  }

  // MARK: leaf coalesce

  /// `_handleInterruptedCoalesceLeaf` for the journal (L, P): undo when P still has its own name
  /// or `OLD_<L>` exists, finish otherwise; the journal goes in both cases.
  func resolveInterruptedLeafCoalesce(leaf: String, parent: String) throws(SRError) -> String {
    let (leafPath, parentPath) = (sr.path(of: leaf), sr.path(of: parent))
    let old = LeafCoalesceOperation.oldName(leaf)
    let oldPath = sr.path(of: old)
    guard sr.storage.exists(parentPath) || sr.storage.exists(oldPath) else {
      _ = try finishLeafCoalesce(leaf: leaf, parent: parent)
      return "finished interrupted leaf-coalesce of \(leaf) into \(parent)"
    }
    if sr.storage.exists(oldPath) {
      if !sr.storage.exists(parentPath) && sr.storage.exists(leafPath) {
        try SRError.engine(leafPath) { try sr.storage.rename(leafPath, to: parentPath) }
        sr.lvm.moveSize(from: leaf, to: parent)
      }
      try SRError.engine(oldPath) { try sr.storage.rename(oldPath, to: leafPath) }
      sr.lvm.moveSize(from: old, to: leaf)
    }
    try setHiddenFlag(leafPath, false)
    try setHiddenFlag(parentPath, true)
    if case .lvm = sr.kind {
      try sr.lvm.deflate(parent)
      if sr.storage.exists(leafPath) { try sr.lvm.inflateFullyIfPossible(leaf) }
    }
    sr.records[parent]?.hidden = true
    sr.records[parent]?.readOnly = true
    try sr.journals.remove(.leaf, key: leaf)
    return "undid interrupted leaf-coalesce of \(leaf) into \(parent)"
  }

  /// The end of a swap (docs/storage-manager.md#live-leaf-coalesce steps 11–13): forget P's record,
  /// delete `OLD_<L>`, size the merged leaf's LV (fully inflated, or deflated for a snapshot not
  /// attached read-write), drop the journal if it is still there.
  func finishLeafCoalesce(leaf: String, parent: String) throws(SRError) -> String {
    sr.records[parent] = nil
    sr.attachments[parent] = nil
    let old = LeafCoalesceOperation.oldName(leaf)
    let oldPath = sr.path(of: old)
    if sr.storage.exists(oldPath) { try sr.removeNode(old, path: oldPath) }
    if case .lvm = sr.kind, sr.storage.exists(sr.path(of: leaf)) {
      if sr.records[leaf]?.isSnapshot == true && (sr.attachments[leaf]?.readWrite ?? 0) == 0 {
        try sr.lvm.deflate(leaf)
      } else {
        try sr.lvm.inflateFullyIfPossible(leaf)
      }
    }
    try sr.journals.remove(.leaf, key: leaf)
    return "finished leaf-coalesce of \(leaf) into \(parent)"
  }

  // MARK: clone

  /// docs/storage-manager.md#interrupted-snapshot: roll back when a leaf is missing or invalid
  /// (delete the leaves, rename the base back, un-hide it, inflate it), otherwise complete (hide
  /// the base, create missing records).
  func resolveInterruptedClone(original: String, value: String) throws(SRError) -> String {
    guard let (base, second, cloneOp) = SR.parseCloneJournalValue(value) else {
      try sr.journals.remove(.clone, key: original)
      return "dropped unreadable clone journal of \(original)"
    }
    let (originalPath, basePath) = (sr.path(of: original), sr.path(of: base))
    let secondPath = second.map { sr.path(of: $0) }
    let baseExists = sr.storage.exists(basePath)
    let firstValid = baseExists && isValidLeaf(originalPath)
    let secondValid = secondPath.map { isValidLeaf($0) } ?? true

    if baseExists && !(firstValid && secondValid) {
      // Roll back: the base still holds the VDI's data exactly as before the snapshot.
      if let second, let secondPath, sr.storage.exists(secondPath) {
        try sr.removeNode(second, path: secondPath)
      }
      if sr.storage.exists(originalPath) {
        try SRError.engine(originalPath) { try sr.storage.remove(originalPath) }
      }
      try SRError.engine(basePath) { try sr.storage.rename(basePath, to: originalPath) }
      sr.lvm.moveSize(from: base, to: original)
      try setHiddenFlag(originalPath, false)
      sr.records[base] = nil
      if case .lvm = sr.kind { try sr.lvm.inflateFullyIfPossible(original) }
      try sr.journals.remove(.clone, key: original)
      return "rolled back interrupted snapshot of \(original)"
    }

    // Complete (or nothing was done yet: no base, the original still in place).
    if baseExists {
      let tree = try sr.scanTree(orphansAsRoots: true)
      if tree.children(of: base).isEmpty {
        try sr.removeNode(base, path: basePath)
      } else {
        try setHiddenFlag(basePath, true)
        if sr.records[base] == nil {
          sr.records[base] = VDIRecord(
            uuid: base, nameLabel: VDIRecord.baseCopyLabel, managed: false, hidden: true, readOnly: true,
            path: basePath)
        }
      }
    }
    if let second, let secondPath, sr.storage.exists(secondPath) {
      if !secondValid {
        try sr.removeNode(second, path: secondPath)
      } else if sr.records[second] == nil {
        sr.records[second] = VDIRecord(
          uuid: second, nameLabel: sr.records[original]?.nameLabel ?? "", isSnapshot: !cloneOp,
          path: secondPath)
        if let v = try? VHDImage.open(secondPath, storage: sr.storage, options: sr.engineOptions).virtualSize
        {
          sr.virtualAllocation += v
        }
      }
    }
    if case .lvm = sr.kind, let second, sr.storage.exists(sr.path(of: second)), sr.lvSizes[second] == nil {
      sr.lvSizes[second] = VHDSpace.thinLVSize
    }
    try sr.journals.remove(.clone, key: original)
    return baseExists || secondPath.map { sr.storage.exists($0) } == true
      ? "completed interrupted snapshot of \(original)" : "dropped clone journal of \(original): nothing done"
  }

  // MARK: helpers

  /// Whether `path` holds a VHD that passes `vhd-util check` and whose whole chain opens.
  func isValidLeaf(_ path: String) -> Bool {
    guard sr.storage.exists(path) else { return false }
    guard
      VHDCheck.check(path: path, storage: sr.storage, options: CheckOptions(ignoreTimestamps: true)).isEmpty
    else { return false }
    return (try? VHDChain.open(path, storage: sr.storage, options: sr.engineOptions)) != nil
  }

  /// Sets the footer's hidden bit of the node at `path` when it differs, and makes both footers
  /// agree; nothing for a missing node.
  func setHiddenFlag(_ path: String, _ hidden: Bool) throws(SRError) {
    guard sr.storage.exists(path) else { return }
    try SRError.engine(path) {
      let image = try VHDImage.open(path, storage: sr.storage, writable: true, options: sr.engineOptions)
      if image.isHidden != hidden { try image.setHidden(hidden) }
      try image.close()
    }
    // A crash between the two footer writes of an earlier `setHidden` leaves the bit right in one
    // footer and stale in the other: rewrite both.
    _ = try repairFooter(path)
  }
}
