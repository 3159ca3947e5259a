// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import StorageRepository
import Testing

@testable import Pool

/// The GC's whole-SR scan reads, reused while the paths and the volumes' first extents are
/// unchanged, must be the reads a fresh translation gives, op for op, whatever changed in between.
@Suite struct MetadataReadCacheTests {
  private static func fresh(_ nodes: [VHDNode], _ placement: inout SRPlacement) throws -> [DiskOp] {
    var ops: [DiskOp] = []
    try MetadataReadCache.append(nodes, .scan, placement: &placement, to: &ops)
    return ops
  }

  @Test(
    "per node: reuse while its path names the same volume with the same first extent, growth included",
    arguments: [
      SRPlacement.Kind.lvm, .file,
    ])
  func hitsAndMisses(kind: SRPlacement.Kind) throws {
    var placement = SRPlacement(kind: kind, capacity: 64 << 30, extentSize: 1 << 20)
    var nodes: [VHDNode] = []
    for k in 0..<6 {
      let path = "/sr/\(k).vhd"
      let v = try placement.attach(path, size: 40 << 20)
      try placement.reserve(volume: v, upTo: 40 << 20)
      nodes.append(VHDNode(uuid: "\(k)", path: path, virtualSize: 8 << 30, physicalSize: UInt64(4 + k) << 20))
    }
    var cache = MetadataReadCache()
    var ops: [DiskOp] = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    #expect(cache.hits == 1 && cache.misses == 1 && cache.translatedNodes == 6)
    let one = try Self.fresh(nodes, &placement)
    #expect(ops == one + one)
    // A node grew, file and volume: its first extent did not move, so the scan is reused.
    nodes[3].physicalSize += 2 << 20
    let v3 = try #require(placement.volume(named: "/sr/3.vhd"))
    try placement.resize(volume: v3, to: 60 << 20)
    ops = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    #expect(cache.hits == 2 && cache.misses == 1 && cache.translatedNodes == 6)
    #expect(ops == (try Self.fresh(nodes, &placement)))
    // The layout changed under the same paths: a volume removed and its name given to another.
    placement.remove("/sr/2.vhd")
    placement.rename("/sr/5.vhd", to: "/sr/2.vhd")
    ops = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    // Only the two paths whose volumes changed are translated again ("2" now reads "5"'s volume,
    // "5" has none).
    #expect(cache.misses == 2 && cache.translatedNodes == 8)
    #expect(ops == (try Self.fresh(nodes, &placement)))
    // A volume emptied, its extents taken by another volume's growth: its first extent will lie
    // elsewhere when the scan reads it.
    let v1 = try #require(placement.volume(named: "/sr/1.vhd"))
    try placement.resize(volume: v1, to: 0)
    let v4 = try #require(placement.volume(named: "/sr/4.vhd"))
    try placement.reserve(volume: v4, upTo: 100 << 20)
    ops = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    // "1" again, and "5" (no volume: any attach or head change could have given it one).
    #expect(cache.misses == 3 && cache.translatedNodes == 10)
    #expect(ops == (try Self.fresh(nodes, &placement)))
    // Another node list (one gone, its volume kept): the others are reused.
    nodes.remove(at: 0)
    ops = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    #expect(cache.misses == 3 && cache.hits == 3 && cache.translatedNodes == 10)
    #expect(ops == (try Self.fresh(nodes, &placement)))
    // A node comes before the others and one goes with its volume: only the new one is translated.
    let v9 = try placement.attach("/sr/0a.vhd", size: 40 << 20)
    try placement.reserve(volume: v9, upTo: 40 << 20)
    nodes.insert(VHDNode(uuid: "0a", path: "/sr/0a.vhd", virtualSize: 8 << 30, physicalSize: 4 << 20), at: 0)
    placement.remove(nodes.remove(at: 2).path)
    ops = []
    try cache.appendScan(of: nodes, placement: &placement, to: &ops)
    #expect(cache.misses == 4 && cache.translatedNodes == 12)
    #expect(ops == (try Self.fresh(nodes, &placement)))
  }

  @Test("extents smaller than a scan's read: never reused, since growth could move what it reads")
  func tinyExtents() throws {
    var placement = SRPlacement(kind: .file, capacity: 1 << 30, extentSize: 512)
    let v = try placement.attach("/sr/a.vhd", size: 0)
    try placement.reserve(volume: v, upTo: 4096)
    let nodes = [VHDNode(uuid: "a", path: "/sr/a.vhd", virtualSize: 1 << 30, physicalSize: 4096)]
    var cache = MetadataReadCache()
    var ops: [DiskOp] = []
    for _ in 0..<2 { try cache.appendScan(of: nodes, placement: &placement, to: &ops) }
    #expect(cache.misses == 2 && cache.hits == 0)
    #expect(ops.count == 2 * (try Self.fresh(nodes, &placement)).count)
  }

  @Test(
    "random changes to nodes and layout: every scan equals a fresh translation",
    arguments: [1, 2, 3] as [UInt64])
  func randomSteps(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    var placement = SRPlacement(kind: seed % 2 == 0 ? .file : .lvm, capacity: 256 << 30, extentSize: 4 << 20)
    var nodes: [VHDNode] = []
    var cache = MetadataReadCache()
    var next = 0
    for step in 0..<400 {
      let action = below(7)
      switch action {
      case 0:  // A new node and its volume.
        let path = "/sr/\(next).vhd"
        next += 1
        _ = try placement.attach(path, size: UInt64(1 + below(64)) << 20)
        nodes.append(
          VHDNode(
            uuid: path, path: path, virtualSize: UInt64(1 + below(100)) << 30,
            physicalSize: UInt64(1 + below(64)) << 20))
      case 1 where !nodes.isEmpty:  // A node grows or shrinks, with its volume.
        let i = below(nodes.count)
        nodes[i].physicalSize = UInt64(1 + below(256)) << 20
        if let v = placement.volume(named: nodes[i].path) {
          try placement.resize(volume: v, to: nodes[i].physicalSize)
        }
      case 2 where !nodes.isEmpty:  // A node and its volume go.
        placement.remove(nodes.remove(at: below(nodes.count)).path)
      case 3 where nodes.count > 1:  // A rename over another node (a coalesce's relink).
        let a = below(nodes.count)
        let b = below(nodes.count)
        placement.rename(nodes[a].path, to: nodes[b].path)
      case 4 where nodes.count > 1:  // A volume emptied, another grows into its extents.
        if let v = placement.volume(named: nodes[below(nodes.count)].path),
          let w = placement.volume(named: nodes[below(nodes.count)].path), v != w
        {
          try placement.resize(volume: v, to: 0)
          try placement.reserve(volume: w, upTo: placement.allocatedBytes(volume: w) + (8 << 20))
        }
      default: break  // No change: the next scan may reuse.
      }
      var cached: [DiskOp] = []
      try cache.appendScan(of: nodes, placement: &placement, to: &cached)
      #expect(cached == (try Self.fresh(nodes, &placement)), "seed \(seed) step \(step)")
    }
    #expect(cache.hits > 50 && cache.misses > 50, "hits \(cache.hits), misses \(cache.misses)")
  }
}
