// SPDX-License-Identifier: GPL-3.0-or-later

import Testing

@testable import StorageRepository

/// The worked examples of docs/storage-manager.md#space-formulas.
@Suite struct SpaceFormulaTests {
  let miB = VHDSpace.miB
  let giB = VHDSpace.giB

  @Test func emptyOverheadExamples() {
    #expect(VHDSpace.overheadEmpty(virtualSize: 100 * giB) == 212 * 1024)
    #expect(VHDSpace.overheadEmpty(virtualSize: 2048 * giB) == 4_329_472)
  }

  @Test func bitmapOverheadIs200MiBPer100GiB() {
    #expect(VHDSpace.overheadBitmap(virtualSize: 100 * giB) == 200 * miB)
    #expect(VHDSpace.overheadBitmap(virtualSize: 2 * miB + 1) == 2 * 4096)
  }

  @Test func lvSizeRoundsToFourMiB() {
    #expect(VHDSpace.lvSize(1) == 4 * miB)
    #expect(VHDSpace.lvSize(4 * miB) == 4 * miB)
    #expect(VHDSpace.lvSize(4 * miB + 1) == 8 * miB)
  }

  @Test func fullyInflatedLVExamples() {
    #expect(VHDSpace.fullyInflatedLVSize(virtualSize: 10 * giB) == 10 * giB + 28 * miB)
    #expect(VHDSpace.fullyInflatedLVSize(virtualSize: 100 * giB) == 100 * giB + 208 * miB)
    #expect(VHDSpace.fullyInflatedLVSize(virtualSize: 1024 * giB) == 1024 * giB + 2056 * miB)
    #expect(VHDSpace.fullyInflatedLVSize(virtualSize: 2040 * giB) == 2040 * giB + 4088 * miB)
  }

  @Test func thinLeafIsEightMiB() {
    #expect(VHDSpace.thinLVSize == 8 * miB)
  }

  @Test func coalesceExtraSpace() {
    // File SR: D + bitmaps(D) + emptyOH(V child) − phys(parent).
    let union = 100 * miB
    let need = union + 50 * 4096 + VHDSpace.overheadEmpty(virtualSize: 100 * giB)
    #expect(
      VHDSpace.fileCoalesceExtra(union: union, childVirtualSize: 100 * giB, parentPhysical: 10 * miB)
        == need - 10 * miB)
    #expect(
      VHDSpace.fileCoalesceExtra(union: union, childVirtualSize: 100 * giB, parentPhysical: 1 * giB) == 0)
    // LVHD: calcSizeVHDLV(D) − LV(parent); 100 MiB + 4,329,472 + 200 KiB rounds to 108 MiB.
    #expect(VHDSpace.lvmCoalesceExtra(union: union, parentLV: 8 * miB) == 100 * miB)
  }
}
