// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import Testing

@testable import VHD

/// `allocatedBlockUnion` (sm's |BAT(child) ∪ BAT(parent)|, docs/storage-manager.md#coalesce-space)
/// against the union of the two images' allocated block indices, for images of equal and of
/// different sizes (either one the larger) and random allocations.
@Suite struct AllocatedBlockUnionTests {
  @Test(arguments: [(16, 16), (16, 24), (24, 16)] as [(Int, Int)])
  func unionMatchesTheSetOfAllocatedBlocks(aMiB: Int, bMiB: Int) throws {
    var random = SplitMix64(seed: UInt64(aMiB * 100 + bMiB))
    for round in 0..<5 {
      let s = MemoryStorage()
      var images: [VHDImage] = []
      for (k, mib) in [aMiB, bMiB].enumerated() {
        let path = "/sr/\(k).vhd"
        _ = try VHDImage.createDynamic(
          path, size: UInt64(mib) << 20, storage: s, stamp: testStamp(UInt8(k + 1)))
        let chain = try VHDChain.open(path, storage: s, writable: true)
        for _ in 0..<Int(random.next() % 8) {
          let block = Int(random.next() % UInt64(mib / 2))
          try chain.write(sector: UInt64(block) * 4096, bytes: [UInt8](repeating: 1, count: 512))
        }
        try chain.close()
        images.append(try VHDImage.open(path, storage: s))
      }
      func allocated(_ image: VHDImage) -> Set<Int> {
        Set((0..<image.blockCount).filter { image.blockEntry($0) != nil })
      }
      let expected = allocated(images[0]).union(allocated(images[1])).count
      #expect(images[0].allocatedBlockUnion(with: images[1]) == expected, "round \(round)")
      #expect(images[1].allocatedBlockUnion(with: images[0]) == expected, "round \(round)")
    }
  }
}
