// SPDX-License-Identifier: GPL-3.0-or-later

/// Where each VHD's bytes lie on the physical device: the storage repository's layout.
///
/// - `.file` (ext/NFS SR): a VHD is a sparse file; the file system allocates an extent (1 MiB by
///   default) when a file offset in it is first touched, first fit, so files growing together interleave.
/// - `.lvm` (LVM SR): a VHD is a logical volume of 4 MiB physical extents, all allocated when the volume
///   is created or attached (volumes in attach order, so a chain's levels lie side by side), and
///   extended the same way if a write ever lands past its end.
///
/// Translation is per volume through its extent map; one engine I/O that crosses an extent boundary
/// becomes one physical I/O per extent, as the block layer would split it.
public struct SRPlacement: Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    case file, lvm
  }

  public let kind: Kind
  public private(set) var allocator: ExtentAllocator
  /// Per volume: physical extent per volume extent, −1 where nothing is allocated yet.
  private var maps: [[Int32]] = []
  private var names: [String: Int] = [:]
  /// Changes whenever the translation of a volume's first extent could change: a volume attached,
  /// renamed or removed, or some volume's extent 0 allocated or freed. Reads that stay inside the
  /// first extent (a scan's footer copy and header) translate the same while it is unchanged,
  /// however the volumes grow.
  public private(set) var headGeneration: UInt64 = 0
  /// Per volume: the `headGeneration` at which the translation of its first extent last changed
  /// (attached, renamed to or from, removed, or its extent 0 allocated or freed). A name that comes
  /// to stand for another volume changes both volumes' stamps, so a reader that kept a volume's
  /// index and stamp knows without a lookup whether the name still reads the same bytes.
  private var headStamps: [UInt64] = []

  public init(kind: Kind, capacity: UInt64, extentSize: UInt64? = nil) {
    self.kind = kind
    allocator = ExtentAllocator(
      extentSize: extentSize ?? (kind == .file ? 1 << 20 : 4 << 20), capacity: capacity)
  }

  public var extentSize: UInt64 { allocator.extentSize }
  public var volumeCount: Int { maps.count }
  public var allocatedBytes: UInt64 { allocator.allocatedBytes }

  public func volume(named name: String) -> Int? { names[name] }

  /// See `headStamps`.
  public func headStamp(volume: Int) -> UInt64 { headStamps[volume] }

  private mutating func headChanged(_ volume: Int) {
    headGeneration &+= 1
    headStamps[volume] = headGeneration
  }

  /// Bytes allocated to one volume.
  public func allocatedBytes(volume: Int) -> UInt64 {
    UInt64(maps[volume].reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }) * extentSize
  }

  /// The volume for `name`, created on first use. A file SR allocates nothing yet beyond what
  /// `populate` asks for; an LVM SR allocates `size` bytes (rounded up to extents) now.
  public mutating func attach(_ name: String, size: UInt64) throws(PoolError) -> Int {
    if let v = names[name] { return v }
    let v = maps.count
    maps.append([])
    headStamps.append(0)
    names[name] = v
    headChanged(v)
    if kind == .lvm { try reserve(volume: v, upTo: size) }
    return v
  }

  /// Every volume name with its index, sorted by name (deterministic iteration).
  public var volumeNames: [(name: String, volume: Int)] {
    names.map { (name: $0.key, volume: $0.value) }.sorted { $0.name < $1.name }
  }

  /// The storage repository renamed a node: its volume (and its extents, i.e. its data on the
  /// device) now answers to `newName`. A volume already called `newName` is removed first, as a
  /// rename over an existing file replaces it. Nothing happens when `oldName` has no volume.
  public mutating func rename(_ oldName: String, to newName: String) {
    guard oldName != newName, let v = names.removeValue(forKey: oldName) else { return }
    remove(newName)
    names[newName] = v
    headChanged(v)
  }

  /// The storage repository removed a node: its extents go back to the allocator. The volume's
  /// index is never reused, so a stale level → volume table cannot reach another node's data.
  public mutating func remove(_ name: String) {
    guard let v = names.removeValue(forKey: name) else { return }
    for p in maps[v] where p >= 0 { allocator.free(Int(p)) }
    maps[v] = []
    headChanged(v)
  }

  /// LVM: sizes a volume to exactly the extents covering `size` bytes (inflate allocates the
  /// missing extents, deflate frees those past the end), as `lvextend` / `lvreduce` do.
  public mutating func resize(volume: Int, to size: UInt64) throws(PoolError) {
    let n = Int((size + extentSize - 1) / extentSize)
    if maps[volume].count > n {
      for e in n..<maps[volume].count where maps[volume][e] >= 0 { allocator.free(Int(maps[volume][e])) }
      maps[volume].removeLast(maps[volume].count - n)
      if n == 0 { headChanged(volume) }
    }
    try reserve(volume: volume, upTo: size)
  }

  /// Allocates every extent of `[0, size)` of `volume` not allocated yet (an LV's extents, or a file
  /// that already holds data when the pool attaches it).
  public mutating func reserve(volume: Int, upTo size: UInt64) throws(PoolError) {
    let n = Int((size + extentSize - 1) / extentSize)
    // The map is worked on out of `maps` (swapped, not copied) and grown once: a lookup through
    // `maps`, with its uniqueness checks, and an append per 4 MiB extent (12,800 for a 50 GiB LV)
    // were 5 % of a 20-VM fleet's instructions, most of the attach of a VDI.
    var map: [Int32] = []
    swap(&map, &maps[volume])
    defer { swap(&map, &maps[volume]) }
    let mapped = map.count
    if mapped < n { map.append(contentsOf: repeatElement(-1, count: n - mapped)) }
    // The missing extents, in order, each the allocator's first fit: one scan for all of them.
    let headMissing = n > 0 && map[0] < 0
    var missing = 0
    for e in 0..<n where map[e] < 0 { missing += 1 }
    var next = 0
    let given = allocator.allocate(count: missing) { p in
      while map[next] >= 0 { next += 1 }
      map[next] = Int32(p)
      next += 1
    }
    if headMissing && given > 0 { headChanged(volume) }
    guard given == missing else {
      // The extent that found no room; the map as long as extent-by-extent growth left it.
      while map[next] >= 0 { next += 1 }
      map.removeLast(map.count - Swift.max(mapped, next + 1))
      throw full(volume: volume)
    }
  }

  private func full(volume: Int) -> PoolError {
    PoolError("the \(kind) SR is full: no free \(extentSize >> 20) MiB extent for volume \(volume)")
  }

  @inline(__always)
  private mutating func physicalExtent(volume: Int, extent: Int) throws(PoolError) -> Int32 {
    if extent < maps[volume].count, maps[volume][extent] >= 0 { return maps[volume][extent] }
    if extent >= maps[volume].count {
      maps[volume].append(contentsOf: repeatElement(-1, count: extent + 1 - maps[volume].count))
    }
    guard let p = allocator.allocate() else { throw full(volume: volume) }
    maps[volume][extent] = Int32(p)
    if extent == 0 { headChanged(volume) }
    return Int32(p)
  }

  /// Appends the physical I/Os for `length` bytes at `offset` of `volume`, allocating on first touch.
  @inline(__always)
  public mutating func translate(
    volume: Int, offset: UInt64, length: UInt64, isWrite: Bool, space: SpaceChange = .none,
    into ops: inout [DiskOp]
  ) throws(PoolError) {
    var off = offset
    var left = length
    let size = extentSize
    let first = ops.count
    repeat {
      let e = Int(off / size)
      let within = off % size
      let n = Swift.min(left, size - within)
      let p = try physicalExtent(volume: volume, extent: e)
      let phys = UInt64(p) * size + within
      if ops.count > first, let last = ops.last, last.isWrite == isWrite, last.space == space,
        last.offset + last.length == phys
      {
        ops[ops.count - 1].length += n
      } else {
        ops.append(DiskOp(offset: phys, length: n, isWrite: isWrite, space: space, file: Int32(volume)))
      }
      off += n
      left -= n
    } while left > 0
  }
}

/// A simulation set-up or run error, with a message that says what and where.
public struct PoolError: Error, Equatable, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
