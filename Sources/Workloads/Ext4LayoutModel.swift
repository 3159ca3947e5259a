// SPDX-License-Identifier: GPL-3.0-or-later

/// A deliberately simple ext4-like on-disk layout: enough structure that the sectors a file-system
/// workload touches look like what ext4 would touch (metadata at group starts, a journal in the middle
/// group, files of a directory packed together), without modelling ext4 itself.
///
/// Geometry: 4 KiB blocks, block groups of 32 768 blocks (128 MiB). Each group starts with a superblock
/// copy and the group descriptor table (2 blocks, as if every group held a backup; real ext4 keeps them
/// in groups 0, 1 and powers of 3, 5, 7 only), its block bitmap, its inode bitmap and its inode table
/// (8 192 inodes of 256 bytes = 512 blocks, mke2fs's default ratio of one inode per 16 KiB). No
/// `flex_bg`: each group's metadata stays at its own start, which spreads metadata writes the way
/// ext3/ext4-without-flex_bg does. The journal is one contiguous run at the start of the data area of
/// the middle group (mke2fs puts it mid-disk), sized by mke2fs's default table but capped to one
/// group's data area so it stays contiguous without `flex_bg`.
///
/// Allocation is goal-oriented and first-fit: a caller passes a goal block (the end of its directory's
/// last allocation), the allocator takes free runs from there to the end of the group, then continues
/// at the next group's data start, wrapping around. Directories are placed Orlov-style: top-level ones
/// spread over the groups, others stay in their parent's group while it has room. Freed blocks are not
/// modelled (jbd2 cannot reuse them before the freeing transaction commits, and an install frees
/// almost nothing), so extents handed out never overlap. Everything is deterministic.
public struct Ext4LayoutModel: Sendable, CustomStringConvertible {
  public static let blockBytes = 4096
  public static let sectorsPerBlock = 8
  public static let blocksPerGroup = 32_768
  public static let inodesPerGroup = 8_192
  public static let inodeBytes = 256
  /// Blocks of one group's inode table.
  public static let inodeTableBlocks = inodesPerGroup * inodeBytes / blockBytes
  /// Superblock copy, descriptor table, block bitmap, inode bitmap, inode table.
  public static let metadataBlocksPerGroup = 4 + inodeTableBlocks
  /// Inodes 1...11 are reserved (2 is the root directory, 8 the journal); the first ordinary one is 12.
  public static let firstOrdinaryInode = 12
  /// The longest extent ext4 records in one extent entry (initialized extents).
  public static let maximumExtentBlocks = 32_768

  /// A directory: its inode, the group its files go to, its entry blocks, and the goal for the next
  /// allocation in it (so its files land next to each other).
  public struct Directory: Hashable, Sendable {
    public var inode: Int
    public var group: Int
    public var blocks: [Int]
    public var entries: Int
    public var goal: Int
  }

  /// Directory entries per 4 KiB block: ext4 entries are 8 bytes plus the name rounded up to 4; module
  /// names with rpm's `;xxxxxxxx` temporary suffix are 30–40 characters, so about 64 bytes each.
  public static let entriesPerDirectoryBlock = 64

  public let groupCount: Int
  /// Blocks covered by whole groups (the tail of the disk past the last whole group is not used).
  public let totalBlocks: Int
  /// The journal's blocks (block 0 of it holds the journal superblock).
  public let journal: Range<Int>
  private var used: [UInt64]
  private var inodesUsed: [Int]
  private var directoriesInGroup: [Int]
  /// Top-level directories made so far.
  private var spreadCursor: Int
  public private(set) var freeBlocks: Int

  /// Lays out a file system on a disk of `diskSectors` 512-byte sectors. `journalBlocks` overrides
  /// mke2fs's default journal size (it is capped to one group's data area either way).
  public init(diskSectors: UInt64, journalBlocks: Int? = nil) throws(WorkloadError) {
    let blocks = Int(diskSectors / UInt64(Self.sectorsPerBlock))
    groupCount = blocks / Self.blocksPerGroup
    guard groupCount >= 2 else {
      throw WorkloadError("an ext4 layout needs at least two whole 128 MiB block groups (256 MiB)")
    }
    totalBlocks = groupCount * Self.blocksPerGroup
    used = Array(repeating: 0, count: (totalBlocks + 63) / 64)
    inodesUsed = Array(repeating: 0, count: groupCount)
    inodesUsed[0] = Self.firstOrdinaryInode - 1
    directoriesInGroup = Array(repeating: 0, count: groupCount)
    spreadCursor = 0
    freeBlocks = totalBlocks
    let dataBlocks = Self.blocksPerGroup - Self.metadataBlocksPerGroup
    let size = min(journalBlocks ?? Self.defaultJournalBlocks(fileSystemBlocks: totalBlocks), dataBlocks)
    guard size >= 1024 else { throw WorkloadError("a journal needs at least 1024 blocks (4 MiB)") }
    let journalStart = (groupCount / 2) * Self.blocksPerGroup + Self.metadataBlocksPerGroup
    journal = journalStart..<(journalStart + size)
    for g in 0..<groupCount {
      markUsed(groupStart(g)..<(groupStart(g) + Self.metadataBlocksPerGroup))
    }
    markUsed(journal)
  }

  /// mke2fs's default journal size (`ext2fs_default_journal_size`, 4 KiB blocks) for a file system of
  /// `fileSystemBlocks` blocks: 4 MiB under 128 MiB, up to 128 MiB at 32 GiB and 1 GiB beyond 128 GiB.
  public static func defaultJournalBlocks(fileSystemBlocks n: Int) -> Int {
    switch n {
    case ..<32_768: 1_024
    case ..<(256 * 1_024): 4_096
    case ..<(512 * 1_024): 8_192
    case ..<(4_096 * 1_024): 16_384
    case ..<(8_192 * 1_024): 32_768
    case ..<(16_384 * 1_024): 65_536
    case ..<(32_768 * 1_024): 131_072
    default: 262_144
    }
  }

  /// A one-line summary (never the bitmap: failures must not print megabytes).
  public var description: String {
    "ext4 layout: \(groupCount) groups, journal blocks \(journal), \(freeBlocks) of \(totalBlocks) blocks free"
  }

  // MARK: Geometry

  public func groupStart(_ group: Int) -> Int { group * Self.blocksPerGroup }
  public func group(ofBlock block: Int) -> Int { block / Self.blocksPerGroup }
  /// The primary group descriptor table (block 1 of group 0): every allocation updates a descriptor.
  public var groupDescriptorBlock: Int { 1 }
  public func blockBitmapBlock(group: Int) -> Int { groupStart(group) + 2 }
  public func inodeBitmapBlock(group: Int) -> Int { groupStart(group) + 3 }
  public func group(ofInode inode: Int) -> Int { (inode - 1) / Self.inodesPerGroup }
  /// The inode-table block holding `inode` (16 inodes per block).
  public func inodeTableBlock(inode: Int) -> Int {
    let index = (inode - 1) % Self.inodesPerGroup
    return groupStart(group(ofInode: inode)) + 4 + index * Self.inodeBytes / Self.blockBytes
  }
  /// Whether `block` lies in some group's fixed metadata (superblock, descriptors, bitmaps, inode table).
  public func isGroupMetadata(_ block: Int) -> Bool {
    block % Self.blocksPerGroup < Self.metadataBlocksPerGroup
  }

  /// First sector of `block`.
  public static func lba(block: Int) -> UInt64 { UInt64(block) * UInt64(sectorsPerBlock) }
  /// Sectors of a run of blocks.
  public static func lbaRange(blocks: Range<Int>) -> Range<UInt64> {
    lba(block: blocks.lowerBound)..<lba(block: blocks.upperBound)
  }
  /// The journal as sectors.
  public var journalSectors: Range<UInt64> { Self.lbaRange(blocks: journal) }

  public func isUsed(_ block: Int) -> Bool { used[block >> 6] & (1 << UInt64(block & 63)) != 0 }

  private mutating func markUsed(_ blocks: Range<Int>) {
    for b in blocks where !isUsed(b) {
      used[b >> 6] |= 1 << UInt64(b & 63)
      freeBlocks -= 1
    }
  }

  private func freeBlocks(inGroup g: Int) -> Int {
    var count = 0
    let start = groupStart(g)
    for w in (start >> 6)..<((start + Self.blocksPerGroup) >> 6) { count += 64 - used[w].nonzeroBitCount }
    return count
  }

  // MARK: Allocation

  /// Allocates `count` blocks first-fit from `goal` (spilling to later groups, wrapping), as extents of
  /// at most ``maximumExtentBlocks``, in file order.
  public mutating func allocateBlocks(_ count: Int, goal: Int) throws(WorkloadError) -> [Range<Int>] {
    guard count <= freeBlocks else {
      throw WorkloadError("the file system is full: \(count) blocks wanted, \(freeBlocks) free")
    }
    var extents: [Range<Int>] = []
    var remaining = count
    var b = min(max(goal, 0), totalBlocks - 1)
    while remaining > 0 {
      if b >= totalBlocks { b = 0 }
      // Skip whole used words quickly.
      if b & 63 == 0, used[b >> 6] == .max {
        b += 64
        continue
      }
      if isUsed(b) {
        b += 1
        continue
      }
      let groupEnd = groupStart(group(ofBlock: b)) + Self.blocksPerGroup
      var end = b
      while end < groupEnd, end - b < min(remaining, Self.maximumExtentBlocks), !isUsed(end) { end += 1 }
      markUsed(b..<end)
      if let last = extents.last, last.upperBound == b, last.count + (end - b) <= Self.maximumExtentBlocks {
        extents[extents.count - 1] = last.lowerBound..<end
      } else {
        extents.append(b..<end)
      }
      remaining -= end - b
      b = end
    }
    return extents
  }

  /// Allocates an inode in `group` or, if it is full, the next group with a free inode.
  public mutating func allocateInode(group preferred: Int) throws(WorkloadError) -> Int {
    for step in 0..<groupCount {
      let g = (preferred + step) % groupCount
      if inodesUsed[g] < Self.inodesPerGroup {
        inodesUsed[g] += 1
        return g * Self.inodesPerGroup + inodesUsed[g]
      }
    }
    throw WorkloadError("the file system has no free inodes")
  }

  /// The group for a new directory, Orlov-style: the k-th top-level directory (`parentGroup` nil)
  /// starts its search at the fractional part of k·0.618… of the way across the disk (a deterministic
  /// stand-in for Orlov's random pick, spreading top-level trees over the whole disk) and takes the
  /// first group with a quarter of its blocks free; any other directory stays in its parent's group,
  /// or the first group after it, with an eighth free and fewer than 512 directories.
  public mutating func directoryGroup(parentGroup: Int?) -> Int {
    let golden = 0.618_033_988_749_894_9
    let (start, minimumFree) =
      if let parentGroup { (parentGroup, Self.blocksPerGroup / 8) } else {
        (
          Int((Double(spreadCursor) * golden).truncatingRemainder(dividingBy: 1) * Double(groupCount)),
          Self.blocksPerGroup / 4
        )
      }
    var chosen = start % groupCount
    for step in 0..<groupCount {
      let g = (start + step) % groupCount
      if freeBlocks(inGroup: g) >= minimumFree, directoriesInGroup[g] < 512 {
        chosen = g
        break
      }
    }
    if parentGroup == nil { spreadCursor += 1 }
    directoriesInGroup[chosen] += 1
    return chosen
  }

  /// Creates a directory (inode, one entry block) under a parent in `parentGroup` (nil: top level).
  public mutating func makeDirectory(parentGroup: Int?) throws(WorkloadError) -> Directory {
    let g = directoryGroup(parentGroup: parentGroup)
    let inode = try allocateInode(group: g)
    let block = try allocateBlocks(1, goal: groupStart(g) + Self.metadataBlocksPerGroup)[0].lowerBound
    return Directory(inode: inode, group: g, blocks: [block], entries: 0, goal: block + 1)
  }

  /// Adds an entry to `directory`, growing it by a block when the last one is full; returns the block
  /// holding the entry and whether a block was added.
  public mutating func addEntry(to directory: inout Directory) throws(WorkloadError) -> (
    block: Int, grew: Bool
  ) {
    let index = directory.entries / Self.entriesPerDirectoryBlock
    var grew = false
    if index >= directory.blocks.count {
      let block = try allocateBlocks(1, goal: directory.blocks[directory.blocks.count - 1] + 1)[0]
      directory.blocks.append(block.lowerBound)
      grew = true
    }
    directory.entries += 1
    return (directory.blocks[index], grew)
  }
}
