// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import Testing

@testable import StorageRepository

/// `GCPlan` plans by position (`VHDTreeLinks`); here random forests — built whole and as the
/// incremental scan updates them — are planned against the rules written out naively by uuid
/// (docs/storage-manager.md#predicates), for every policy switch.
@Suite struct GCPlanRandomTests {
  /// `getAllPrunable`, by uuid: hidden unprotected leaves and interior nodes all of whose children
  /// are garbage, post-order from every root.
  private static func naiveGarbage(_ tree: VHDTree, _ protected: Set<String>, _ policy: GCPolicy) -> [String]
  {
    var out: [String] = []
    func prunable(_ uuid: String) -> Bool {
      let n = tree.node(uuid)!
      let kids = tree.children(of: uuid)
      if kids.isEmpty {
        guard n.hidden, !n.scanError, !protected.contains(uuid) else { return false }
        out.append(uuid)
        return true
      }
      let results = kids.map { prunable($0) }
      guard results.allSatisfy({ $0 }), !n.scanError, n.hidden || !policy.interiorGarbageMustBeHidden else {
        return false
      }
      out.append(uuid)
      return true
    }
    for root in tree.roots { _ = prunable(root) }
    return out
  }

  private static func naivePlan(
    _ tree: VHDTree, _ policy: GCPolicy, _ protected: Set<String>, _ failed: Set<String>,
    _ excluded: Set<String>
  ) -> GCPlan {
    let garbage = naiveGarbage(tree, protected, policy)
    guard policy.coalesce else { return GCPlan(garbage: garbage, coalesceable: [], leafCoalesceable: []) }
    let uuids = tree.nodes.map(\.uuid)
    let found = uuids.filter { uuid in
      guard let n = tree.node(uuid), let p = n.parent else { return false }
      return !n.scanError && tree.children(of: p).count == 1 && n.hidden && !tree.children(of: uuid).isEmpty
        && !failed.contains(uuid)
    }
    let leaves =
      policy.leafCoalesce
      ? uuids.filter { uuid in
        guard let n = tree.node(uuid), let p = n.parent else { return false }
        return !n.scanError && tree.children(of: p).count == 1 && !n.hidden && tree.children(of: uuid).isEmpty
          && !failed.contains(uuid) && !excluded.contains(uuid)
      } : []
    return GCPlan(
      garbage: garbage, coalesceable: GCPlan.order(found, in: tree, by: policy.candidateOrder),
      leafCoalesceable: leaves)
  }

  @Test("random forests plan as the naive rules do", arguments: [1, 2, 3, 4] as [UInt64])
  func randomForests(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    func subset(_ uuids: [String]) -> Set<String> { Set(uuids.filter { _ in below(5) == 0 }) }
    let orders: [GCPolicy.CandidateOrder] = [.tallestTreeFirst, .discovery, .smallestFirst]
    var incremental = try VHDTree(nodes: [], orphansAsRoots: true)
    for round in 0..<60 {
      var nodes: [VHDNode] = []
      for i in 0..<(1 + below(40)) {
        // A parent among the earlier nodes (or none, or an absent one: an orphan linked as a root).
        let parent: String? =
          i == 0 || below(6) == 0 ? nil : below(15) == 0 ? "gone-\(i)" : nodes[below(nodes.count)].uuid
        nodes.append(
          VHDNode(
            uuid: String(format: "n%03d", i), path: String(format: "/sr/n%03d.vhd", i), parent: parent,
            hidden: below(2) == 0, allocatedBlocks: below(100), scanError: below(12) == 0))
      }
      let whole = try VHDTree(nodes: nodes, orphansAsRoots: true)
      // The same nodes as the scan's updates reach them from the previous round's tree.
      for old in incremental.nodes.map(\.uuid) where !nodes.contains(where: { $0.uuid == old }) {
        incremental.remove(old)
      }
      for node in nodes.shuffled(using: &random) { incremental.upsert(node) }
      let uuids = nodes.map(\.uuid)
      for tree in [whole, incremental] {
        let protected = subset(uuids)
        let failed = subset(uuids)
        let excluded = subset(uuids)
        var policy = GCPolicy(candidateOrder: orders[below(orders.count)])
        policy.coalesce = below(8) != 0
        policy.leafCoalesce = below(4) != 0
        policy.interiorGarbageMustBeHidden = below(2) == 0
        let plan = GCPlan(
          tree: tree, policy: policy, relinkProtected: protected, failed: failed, leafExcluded: excluded)
        #expect(
          plan == Self.naivePlan(tree, policy, protected, failed, excluded), "seed \(seed) round \(round)")
      }
    }
  }
}
