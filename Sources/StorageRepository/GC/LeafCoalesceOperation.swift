// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Leaf coalesce of the visible leaf L into its parent P, which has L as its only child, with the
/// identity swap of `_doCoalesceLeaf` (docs/storage-manager.md#live-leaf-coalesce): the merged node
/// takes L's name, so the VDI keeps its uuid and path while its chain gets one level shorter. A
/// step machine like `CoalesceOperation`; the `live`, `offline` and `mirror` designs differ only in
/// when the host pauses L's tapdisk around it. A failure or timeout before the swap is undone with
/// `undo()`, exactly as recovery undoes a `leaf` journal left by a crash.
public final class LeafCoalesceOperation {
  public enum Phase: Equatable, Sendable { case start, copying, swapping, done }

  public let sr: SR
  /// L: the VDI's identity, which keeps its uuid and path.
  public let leaf: String
  /// P: receives L's data, then is renamed to L; its own record is forgotten.
  public let parent: String
  public let observer: (any IOObserver)?
  public private(set) var phase: Phase
  public private(set) var bytesCopied: UInt64 = 0
  /// The leaf's physical size at the scan that started the operation: XCP-ng 8.2's speed sample
  /// bytes (docs/storage-manager.md#xcp-ng-82-live-test).
  public let childPhysicalSize: UInt64
  /// L's virtual size: P grows to it first when smaller (docs/storage-manager.md#parent-growth).
  public let childVirtualSize: UInt64
  /// Set by the `.start` step when P grew (its old and new virtual size).
  public private(set) var parentGrowth: (from: UInt64, to: UInt64)?
  /// True once `undo()` rolled the operation back (`phase` is then `.done` with nothing merged).
  public private(set) var wasUndone = false
  private var job: CoalesceJob?
  private var parentImage: VHDImage?
  /// The `leaf` journal was removed in the swap: from here on the only way is forward.
  private var committed = false

  public init(sr: SR, leaf: String, observer: (any IOObserver)? = nil) throws(SRError) {
    let tree = try sr.scanTree()
    guard tree.isLeafCoalesceable(leaf), let node = tree.node(leaf), let parent = node.parent else {
      throw .notLeafCoalesceable(leaf)
    }
    self.sr = sr
    self.leaf = leaf
    self.parent = parent
    self.childPhysicalSize = node.physicalSize
    self.childVirtualSize = node.virtualSize
    self.observer = observer
    phase = .start
  }

  public var leafPath: String { sr.path(of: leaf) }
  public var parentPath: String { sr.path(of: parent) }
  /// Where L is parked during the swap (`OLD_<L>`, a root for the scan,
  /// docs/storage-manager.md#scan-and-tree).
  public var oldLeafPath: String { sr.path(of: Self.oldName(leaf)) }

  static func oldName(_ leaf: String) -> String { "OLD_" + leaf }

  @discardableResult
  public func step(maxCopyBytes: Int) throws(SRError) -> GCStepWork {
    switch phase {
    case .start: return try start()
    case .copying: return try copy(maxCopyBytes)
    case .swapping: return try swap()
    case .done: throw .wrongPhase(operation: "leaf coalesce \(leaf)", phase: "done")
    }
  }

  /// Mirror design: another copy pass over only `blocks` of L, re-opening L so that blocks the
  /// running guest allocated meanwhile are seen. Allowed between the start and the swap.
  public func recopy(blocks: [Int]) throws(SRError) {
    guard phase == .copying || phase == .swapping, let parentImage else {
      throw .wrongPhase(operation: "leaf coalesce \(leaf) recopy", phase: "\(phase)")
    }
    let leafPath = self.leafPath
    job = try SRError.engine(leafPath) { () throws -> CoalesceJob in
      let l = try VHDImage.open(leafPath, storage: sr.storage, writable: false, options: sr.engineOptions)
      l.level = 0
      l.observer = observer
      return try CoalesceJob(child: l, parent: parentImage, blocks: blocks)
    }
    phase = .copying
  }

  /// Timeout, kill or failure before the swap completed: `_handleInterruptedCoalesceLeaf`. Before
  /// the swap commits, L gets back its own file, un-hidden, and P is hidden again (P keeps a copy
  /// of L's data that L masks); after it, the swap is finished instead. Nothing happens once done.
  public func undo() throws(SRError) {
    guard phase != .done else { return }
    closeImages()
    if committed {
      _ = try sr.recovery.finishLeafCoalesce(leaf: leaf, parent: parent)
    } else if try sr.journals.value(.leaf, key: leaf) != nil {
      _ = try sr.recovery.resolveInterruptedLeafCoalesce(leaf: leaf, parent: parent)
    }
    wasUndone = !committed
    phase = .done
  }

  // MARK: phases

  /// docs/storage-manager.md#live-leaf-coalesce steps 5–6: journal, LVM deflate L and inflate P,
  /// un-hide P, grow P to L's virtual size when smaller (docs/storage-manager.md#parent-growth),
  /// open the copy.
  private func start() throws(SRError) -> GCStepWork {
    try sr.journals.add(.leaf, key: leaf, value: parent)
    if case .lvm = sr.kind {
      try sr.lvm.deflate(leaf)
      let extra = try sr.space.coalesceExtraSpace(child: leaf, in: try sr.scanTree())
      if extra > 0 { try sr.lvm.inflate(parent, to: (sr.lvSizes[parent] ?? 0) + extra) }
    }
    let (leafPath, parentPath) = (self.leafPath, self.parentPath)
    var p = try openParent(unhiding: true)
    if p.virtualSize < childVirtualSize {
      // `_increaseSizeVirt(size, atomic=False)`: L is already paused; the grow needs P closed.
      try SRError.engine(parentPath) { try p.close() }
      parentGrowth = try sr.growParent(parent, to: childVirtualSize, observer: observer)
      p = try openParent(unhiding: false)
    }
    let l = try SRError.engine(leafPath) { () throws -> VHDImage in
      let l = try VHDImage.open(leafPath, storage: sr.storage, writable: false, options: sr.engineOptions)
      guard let expected = l.header?.parentUniqueID, expected == p.footer.uniqueID else {
        throw VHDError(
          .parentUUIDMismatch, file: leafPath, field: "header.parent_unique_id",
          "parent \(parentPath) has UUID \(p.footer.uniqueID)")
      }
      l.level = 0
      l.observer = observer
      return l
    }
    parentImage = p
    job = try SRError.engine(leafPath) { try CoalesceJob(child: l, parent: p) }
    phase = .copying
    return GCStepWork(levelPaths: [leafPath, parentPath])
  }

  /// P opened writable at level 1, its hidden bit cleared when `unhiding` (`_setHidden(False)`).
  private func openParent(unhiding: Bool) throws(SRError) -> VHDImage {
    let parentPath = self.parentPath
    return try SRError.engine(parentPath) { () throws -> VHDImage in
      let p = try VHDImage.open(parentPath, storage: sr.storage, writable: true, options: sr.engineOptions)
      p.level = 1
      p.observer = observer
      if unhiding { try p.setHidden(false) }
      return p
    }
  }

  private func copy(_ maxCopyBytes: Int) throws(SRError) -> GCStepWork {
    guard let job else {
      throw .wrongPhase(operation: "leaf coalesce \(leaf)", phase: "copying without a job")
    }
    let copied = try SRError.engine(leafPath) { try job.step(maxBytes: max(1, maxCopyBytes)) }
    bytesCopied += UInt64(copied)
    if job.isFinished { phase = .swapping }
    return GCStepWork(levelPaths: [leafPath, parentPath], bytesCopied: UInt64(copied))
  }

  /// docs/storage-manager.md#live-leaf-coalesce steps 8–12: rename L → OLD_<L> and P → L, hide
  /// OLD_<L>, drop the journal, forget P's record, delete OLD_<L>, size the merged leaf's LV.
  private func swap() throws(SRError) -> GCStepWork {
    if let parentImage { try SRError.engine(parentPath) { try parentImage.close() } }
    job = nil
    parentImage = nil
    // The host holds the SR lock in the real system; here the tree must simply not have changed.
    let tree = try sr.scanTree()
    guard tree.isLeafCoalesceable(leaf), tree.parent(of: leaf) == parent else {
      throw .notLeafCoalesceable(leaf)
    }
    let (leafPath, parentPath, oldPath) = (self.leafPath, self.parentPath, self.oldLeafPath)
    let old = Self.oldName(leaf)
    try SRError.engine(leafPath) { try sr.storage.rename(leafPath, to: oldPath) }
    sr.lvm.moveSize(from: leaf, to: old)
    try SRError.engine(parentPath) { try sr.storage.rename(parentPath, to: leafPath) }
    sr.lvm.moveSize(from: parent, to: leaf)
    try SRError.engine(oldPath) {
      let image = try VHDImage.open(oldPath, storage: sr.storage, writable: true, options: sr.engineOptions)
      image.level = 0
      image.observer = observer
      try image.setHidden(true)
      try image.close()
    }
    try sr.journals.remove(.leaf, key: leaf)
    committed = true
    _ = try sr.recovery.finishLeafCoalesce(leaf: leaf, parent: parent)
    phase = .done
    return GCStepWork(levelPaths: [oldPath])
  }

  private func closeImages() {
    if let parentImage { try? parentImage.close() }
    job = nil
    parentImage = nil
  }
}
