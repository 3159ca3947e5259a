// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import Testing

@testable import Pool

/// What the GC's scans and checks read of each VHD: a scan is `vhd-util scan -f` (one read of the
/// footer copy and the header), a check reads header, BAT and footer (docs/storage-manager.md).
@Suite struct VHDMetadataReadsTests {
  private static func ranges(_ kind: VHDMetadataReads.Kind, virtual: UInt64, physical: UInt64) -> [[UInt64]] {
    var out: [[UInt64]] = []
    VHDMetadataReads.forEachRange(kind, virtualSize: virtual, physicalSize: physical) {
      out.append([$0, $1])
    }
    return out
  }

  @Test("a scan reads 1,536 bytes at 0 whatever the size: footer copy and header, no BAT, no end footer")
  func scan() {
    #expect(Self.ranges(.scan, virtual: 8 << 30, physical: 300 << 20) == [[0, 1536]])
    #expect(Self.ranges(.scan, virtual: 2 << 40, physical: 4 << 20) == [[0, 1536]])
  }

  @Test("a check reads the header, the whole BAT (sector-rounded) and the footer at the end")
  func check() {
    // 8 GiB: 4,096 blocks of 2 MiB, 16,384 bytes of BAT.
    #expect(
      Self.ranges(.check, virtual: 8 << 30, physical: 300 << 20) == [
        [512, 1024], [1536, 16384], [(300 << 20) - 512, 512],
      ])
    // 2 MiB + 1 byte: two blocks, 8 bytes of BAT rounded to one sector.
    #expect(
      Self.ranges(.check, virtual: (2 << 20) + 1, physical: 1 << 20) == [
        [512, 1024], [1536, 512], [(1 << 20) - 512, 512],
      ])
  }

  @Test("through an LVM placement a scan of n VHDs is n reads of 1,536 bytes, each at its volume's start")
  func scanThroughPlacement() throws {
    var placement = SRPlacement(kind: .lvm, capacity: 64 << 30, extentSize: 4 << 20)
    var nodes: [VHDNode] = []
    var starts: [UInt64] = []
    for k in 0..<5 {
      let path = "/sr/\(k).vhd"
      let v = try placement.attach(path, size: 40 << 20)
      try placement.reserve(volume: v, upTo: 40 << 20)
      var first: [DiskOp] = []
      try placement.translate(volume: v, offset: 0, length: 512, isWrite: false, into: &first)
      starts.append(first[0].offset)
      nodes.append(VHDNode(uuid: "\(k)", path: path, virtualSize: 8 << 30, physicalSize: 30 << 20))
    }
    var scan: [DiskOp] = []
    try MetadataReadCache.append(nodes, .scan, placement: &placement, to: &scan)
    #expect(scan.map(\.offset) == starts)
    #expect(scan.allSatisfy { $0.length == 1536 && !$0.isWrite })
    var check: [DiskOp] = []
    try MetadataReadCache.append(nodes, .check, placement: &placement, to: &check)
    #expect(check.count == 15)
    #expect(check.reduce(0) { $0 + $1.length } == 5 * (1024 + 16384 + 512))
  }
}
