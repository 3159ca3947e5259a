// SPDX-License-Identifier: GPL-3.0-or-later

/// `vhd-util snapshot`: a new differencing leaf on a parent, skipping empty differencing parents
/// unless told not to (docs/vhd-format.md#snapshot-target).
public enum VHDSnapshot {
  public struct Options: Sendable {
    /// Walk past differencing parents with no allocated blocks (blktap's default; `-e` turns it off).
    public var skipEmptyParents = true
    /// The parent is a raw image (`-m`).
    public var rawParent = false
    /// Refuse when the new chain would be deeper than this (`-l`).
    public var depthLimit: Int?
    /// Virtual size of the child; defaults to the parent's.
    public var size: UInt64?
    /// The disk size the child's BAT is sized for (`-S`, blktap's metadata preallocation).
    public var metadataSize: UInt64?
    public init(
      skipEmptyParents: Bool = true, rawParent: Bool = false, depthLimit: Int? = nil, size: UInt64? = nil,
      metadataSize: UInt64? = nil
    ) {
      self.metadataSize = metadataSize
      self.skipEmptyParents = skipEmptyParents
      self.rawParent = rawParent
      self.depthLimit = depthLimit
      self.size = size
    }
  }

  /// Creates `childPath` on `parentPath` (or on the first non-empty ancestor). Returns the new leaf
  /// and the path it was actually linked to.
  @discardableResult
  public static func create(
    childPath: String, parentPath: String, storage: any Storage, options: Options = .init(),
    stamp: CreationStamp = .now(), engine: EngineOptions = .init()
  ) throws -> (child: VHDImage, parentPath: String) {
    if options.rawParent {
      let raw = try VHDImage.openRaw(parentPath, storage: storage)
      if let limit = options.depthLimit, 2 > limit {
        throw VHDError(.chainTooDeep, file: childPath, "chain depth 2 exceeds the limit \(limit)")
      }
      let child = try VHDImage.createDifferencing(
        childPath, parent: .init(path: parentPath, uuid: .null, size: raw.virtualSize), size: options.size,
        metadataSize: options.metadataSize, storage: storage, stamp: stamp, options: engine)
      return (child, parentPath)
    }
    let chain = try VHDChain.open(parentPath, storage: storage, writable: false, options: engine)
    var target = 0
    if options.skipEmptyParents {
      while chain.images[target].format == .differencing && chain.images[target].allocatedBlockCount == 0
        && target + 1 < chain.images.count
      {
        target += 1
      }
    }
    let depth = chain.images.count - target + 1
    if let limit = options.depthLimit, depth > limit {
      throw VHDError(.chainTooDeep, file: childPath, "chain depth \(depth) exceeds the limit \(limit)")
    }
    let parent = chain.images[target]
    let child = try VHDImage.createDifferencing(
      childPath, parent: .init(image: parent), size: options.size, metadataSize: options.metadataSize,
      storage: storage, stamp: stamp, options: engine)
    // The parent is not written again, except by a coalesce into it: let its device trade speed for memory.
    parent.device.settle()
    return (child, parent.path)
  }
}
