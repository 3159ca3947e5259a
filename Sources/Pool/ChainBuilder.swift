// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// Builds a snapshot chain to run a workload against: a base with data, then `depth − 1` snapshots,
/// each followed by a few small writes (as a VM between backups), so reads fall through the levels to
/// the base. Deterministic: the seed fixes every UUID and every write position.
public struct ChainSpec: Sendable, Equatable {
  public var depth: Int
  public var virtualSize: UInt64
  /// Fraction of the base's blocks written in full (from the start of the disk).
  public var baseFill: Double
  /// Random 4 KiB writes after each snapshot (0: every level but the base is empty, so every read of
  /// written data probes every level).
  public var writesPerSnapshot: Int
  public var seed: UInt64

  public init(
    depth: Int, virtualSize: UInt64 = 1 << 30, baseFill: Double = 1, writesPerSnapshot: Int = 64,
    seed: UInt64 = 1
  ) {
    self.depth = depth
    self.virtualSize = virtualSize
    self.baseFill = baseFill
    self.writesPerSnapshot = writesPerSnapshot
    self.seed = seed
  }

  /// Creates the chain under `folder` in `storage` and returns the leaf's path.
  public func build(
    in storage: any Storage, folder: String = "/sr", name: String = "vdi", engine: EngineOptions = .init()
  )
    throws -> String
  {
    guard depth >= 1, depth <= VHDLimits.maximumChainDepth else {
      throw PoolError("chain depth \(depth) must be 1...\(VHDLimits.maximumChainDepth)")
    }
    guard virtualSize >= UInt64(VHDLimits.blockSize), virtualSize % UInt64(VHDLimits.blockSize) == 0 else {
      throw PoolError("virtual size \(virtualSize) must be a positive multiple of the 2 MiB block size")
    }
    var state = SplitMix64.mix(seed ^ 0x5648_4453_494d)
    func next() -> UInt64 {
      state = SplitMix64.mix(state)
      return state
    }
    var uuidSource = Generator(state: next())
    func stamp() -> CreationStamp {
      CreationStamp(unixTime: 1_700_000_000, uuid: .random(using: &uuidSource))
    }
    let blockBytes = Int(VHDLimits.blockSize)
    var path = "\(folder)/\(name)-base.vhd"
    let base = try VHDImage.createDynamic(
      path, size: virtualSize, storage: storage, stamp: stamp(), options: engine)
    let baseChain = try VHDChain(images: [base])
    let full = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 4096)
    defer { full.deallocate() }
    full.initializeMemory(as: UInt8.self, repeating: 0x5A, count: blockBytes)
    var acc = RequestAccounting()
    let blocks = Int(Double(virtualSize / UInt64(blockBytes)) * Swift.min(1, Swift.max(0, baseFill)))
    for b in 0..<blocks {
      try baseChain.write(
        sector: UInt64(b * blockBytes / 512), count: blockBytes / 512, from: full, accounting: &acc)
    }
    try baseChain.close()
    let pages = virtualSize / 4096
    for level in 1..<depth {
      let child = "\(folder)/\(name)-s\(level).vhd"
      try VHDSnapshot.create(
        childPath: child, parentPath: path, storage: storage, options: .init(skipEmptyParents: false),
        stamp: stamp(),
        engine: engine)
      path = child
      guard writesPerSnapshot > 0 else { continue }
      let chain = try VHDChain.open(path, storage: storage, writable: true, options: engine)
      for _ in 0..<writesPerSnapshot {
        try chain.write(sector: (next() % pages) * 8, count: 8, from: full, accounting: &acc)
      }
      try chain.close()
    }
    return path
  }

  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state = SplitMix64.mix(state)
      return state
    }
  }
}
