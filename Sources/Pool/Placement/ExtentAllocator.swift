// SPDX-License-Identifier: GPL-3.0-or-later

/// First-fit allocation of fixed-size extents on the physical device, as a file system's block
/// allocator (file SR) or LVM's physical-extent allocator (LVM SR) hands them out. First fit means the
/// lowest free extent, so files that grow at the same time interleave on the disk (the fragmentation a
/// file SR really shows), and a freed extent is reused before the free space at the end.
public struct ExtentAllocator: Sendable, Equatable {
  public let extentSize: UInt64
  public let extentCount: Int
  private var used: [Bool]
  private var lowestFree = 0
  public private(set) var allocatedCount = 0

  /// Extents of `extentSize` over `[0, capacity)` of the device.
  public init(extentSize: UInt64, capacity: UInt64) {
    precondition(extentSize > 0 && extentSize.nonzeroBitCount == 1, "extent size must be a power of two")
    self.extentSize = extentSize
    extentCount = Int(capacity / extentSize)
    used = []
  }

  public var allocatedBytes: UInt64 { UInt64(allocatedCount) * extentSize }

  /// The lowest free extent's index, or nil when the device is full.
  public mutating func allocate() -> Int? {
    while lowestFree < used.count && used[lowestFree] { lowestFree += 1 }
    guard lowestFree < extentCount else { return nil }
    if lowestFree == used.count { used.append(true) } else { used[lowestFree] = true }
    allocatedCount += 1
    let e = lowestFree
    lowestFree += 1
    return e
  }

  public mutating func free(_ extent: Int) {
    precondition(extent < used.count && used[extent], "freeing an extent that is not allocated")
    used[extent] = false
    allocatedCount -= 1
    if extent < lowestFree { lowestFree = extent }
  }
}
