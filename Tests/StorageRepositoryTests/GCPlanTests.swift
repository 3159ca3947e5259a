// SPDX-License-Identifier: GPL-3.0-or-later

import Testing

@testable import StorageRepository

/// The predicates (docs/storage-manager.md#predicates) and candidate order
/// (docs/storage-manager.md#candidate-order) on hand-built trees.
@Suite struct GCPlanTests {
  func hidden(_ uuid: String, _ parent: String? = nil, blocks: Int = 0) -> VHDNode {
    VHDNode(uuid: uuid, parent: parent, hidden: true, allocatedBlocks: blocks)
  }
  func leaf(_ uuid: String, _ parent: String? = nil) -> VHDNode { VHDNode(uuid: uuid, parent: parent) }

  @Test func snapshotShapeBaseIsCoalesceableLeavesAreNot() throws {
    // P → B → {L, S}
    let tree = try VHDTree(nodes: [hidden("P"), hidden("B", "P"), leaf("L", "B"), leaf("S", "B")])
    #expect(tree.isCoalesceable("B"))
    #expect(!tree.isCoalesceable("P"))
    #expect(!tree.isLeafCoalesceable("L"))
    #expect(!tree.isLeafCoalesceable("S"))
    #expect(tree.depth(of: "L") == 3)
    #expect(tree.height(of: "P") == 3)
    let plan = GCPlan(tree: tree)
    #expect(plan == GCPlan(garbage: [], coalesceable: ["B"], leafCoalesceable: []))
  }

  @Test func aCloneBlocksCoalescingOfItsBaseCopy() throws {
    // P → {B → {L, S}, C}: C is a clone sharing P, so B cannot be merged into P.
    let tree = try VHDTree(nodes: [
      hidden("P"), hidden("B", "P"), leaf("L", "B"), leaf("S", "B"), leaf("C", "P"),
    ])
    #expect(!tree.isCoalesceable("B"))
    #expect(!tree.isLeafCoalesceable("C"))
    #expect(GCPlan(tree: tree) == GCPlan(garbage: [], coalesceable: [], leafCoalesceable: []))
    // Deleting the clone unblocks it.
    let after = try VHDTree(nodes: [hidden("P"), hidden("B", "P"), leaf("L", "B"), leaf("S", "B")])
    #expect(after.isCoalesceable("B"))
  }

  @Test func aFastClonedTemplateBlocksLeafCoalesce() throws {
    let tree = try VHDTree(nodes: [hidden("T"), leaf("C1", "T"), leaf("C2", "T")])
    #expect(!tree.isLeafCoalesceable("C1"))
    #expect(!tree.isLeafCoalesceable("C2"))
    let one = try VHDTree(nodes: [hidden("T"), leaf("C1", "T")])
    #expect(one.isLeafCoalesceable("C1"))
    #expect(GCPlan(tree: one) == GCPlan(garbage: [], coalesceable: [], leafCoalesceable: ["C1"]))
  }

  @Test func aHiddenLeafIsGarbage() throws {
    // B → {L, H}: H is a hidden leaf (a base copy whose leaves were deleted).
    let tree = try VHDTree(nodes: [hidden("B"), leaf("L", "B"), hidden("H", "B")])
    #expect(tree.garbage() == ["H"])
    #expect(!tree.isLeafCoalesceable("H"))
    #expect(tree.garbage(relinkProtected: ["H"]).isEmpty)
  }

  @Test func unreferencedInteriorNodesAreGarbagePostOrder() throws {
    let tree = try VHDTree(nodes: [hidden("R"), hidden("X", "R"), hidden("H1", "X"), hidden("H2", "X")])
    #expect(tree.garbage() == ["H1", "H2", "X", "R"])
    // A scan error stops pruning at that node and above.
    let bad = try VHDTree(nodes: [
      hidden("R"), VHDNode(uuid: "X", parent: "R", hidden: true, scanError: true), hidden("H", "X"),
    ])
    #expect(bad.garbage() == ["H"])
  }

  @Test func upstreamDoesNotTestTheInteriorHiddenFlag() throws {
    let tree = try VHDTree(nodes: [leaf("V"), hidden("H", "V")])
    #expect(tree.garbage() == ["H", "V"])
    #expect(tree.garbage(policy: GCPolicy(interiorGarbageMustBeHidden: true)) == ["H"])
  }

  @Test func scanErrorsAreNeverCandidates() throws {
    let tree = try VHDTree(nodes: [
      hidden("P"), VHDNode(uuid: "B", parent: "P", hidden: true, scanError: true), leaf("L", "B"),
    ])
    #expect(!tree.isCoalesceable("B"))
  }

  /// Tree X (height 3) is scanned before tree Y (height 4).
  func twoTrees() throws -> VHDTree {
    try VHDTree(nodes: [
      hidden("X1"), hidden("X2", "X1", blocks: 5), leaf("X3", "X2"),
      hidden("Y1"), hidden("Y2", "Y1", blocks: 9), hidden("Y3", "Y2", blocks: 1), leaf("Y4", "Y3"),
    ])
  }

  @Test func tallestTreeFirstThenScanOrder() throws {
    let tree = try twoTrees()
    #expect(GCPlan(tree: tree).coalesceable == ["Y2", "Y3", "X2"])
    #expect(
      GCPlan(tree: tree, policy: GCPolicy(candidateOrder: .discovery)).coalesceable == ["X2", "Y2", "Y3"])
    #expect(
      GCPlan(tree: tree, policy: GCPolicy(candidateOrder: .smallestFirst)).coalesceable == ["Y3", "X2", "Y2"])
    #expect(GCPlan(tree: tree, failed: ["Y2"]).coalesceable == ["Y3", "X2"])
  }

  @Test func switchesTurnCoalescingOff() throws {
    let tree = try VHDTree(nodes: [hidden("B"), leaf("L", "B"), hidden("H")])
    #expect(
      GCPlan(tree: tree, policy: GCPolicy(coalesce: false))
        == GCPlan(garbage: ["H"], coalesceable: [], leafCoalesceable: []))
    #expect(GCPlan(tree: tree, policy: GCPolicy(leafCoalesce: false)).leafCoalesceable.isEmpty)
    #expect(GCPlan(tree: tree, leafExcluded: ["L"]).leafCoalesceable.isEmpty)
  }

  @Test func firstFittingCandidate() {
    let need = ["A": UInt64(30), "B": 10, "C": 5]
    let pick = GCPlan.firstFitting(["A", "B", "C"], freeSpace: 20) { need[$0]! }
    #expect(pick.chosen == "B")
    #expect(pick.lackingSpace == ["A"])
    #expect(GCPlan.firstFitting(["A"], freeSpace: 20) { need[$0]! }.chosen == nil)
  }

  @Test func missingParentIsAHardErrorUnlessForcedOrOld() throws {
    #expect(throws: SRError.missingParent(node: "L")) { try VHDTree(nodes: [leaf("L", "gone")]) }
    let forced = try VHDTree(nodes: [leaf("L", "gone")], orphansAsRoots: true)
    #expect(forced.roots == ["L"])
    let old = try VHDTree(nodes: [hidden("OLD_L", "gone")])
    #expect(old.roots == ["OLD_L"])
  }
}
