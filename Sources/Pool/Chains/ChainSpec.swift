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
  /// Where those writes go: scattered (a fragmenting writer) or one sequential run from a random
  /// page (a sequential writer, which fills whole blocks).
  public var writePattern: WritePattern
  public var seed: UInt64

  public enum WritePattern: String, Sendable, CaseIterable { case random, sequential }

  public init(
    depth: Int, virtualSize: UInt64 = 1 << 30, baseFill: Double = 1, writesPerSnapshot: Int = 64,
    writePattern: WritePattern = .random, seed: UInt64 = 1
  ) {
    self.depth = depth
    self.virtualSize = virtualSize
    self.baseFill = baseFill
    self.writesPerSnapshot = writesPerSnapshot
    self.writePattern = writePattern
    self.seed = seed
  }

  /// The base fill and the random writes after each snapshot, from the spec's seed.
  struct Writer {
    let spec: ChainSpec
    var random: IteratedSplitMix64
    let full: UnsafeMutableRawPointer
    var accounting = RequestAccounting()
    static let blockBytes = Int(VHDLimits.blockSize)

    init(spec: ChainSpec) {
      self.spec = spec
      random = IteratedSplitMix64(state: SplitMix64.mix(spec.seed ^ 0x5648_4453_494d))
      full = UnsafeMutableRawPointer.allocate(byteCount: Self.blockBytes, alignment: 4096)
      full.initializeMemory(as: UInt8.self, repeating: 0x5A, count: Self.blockBytes)
    }

    func release() { full.deallocate() }

    mutating func next() -> UInt64 { random.next() }

    /// Writes the first `baseFill` of the disk's blocks in full, then closes the chain.
    mutating func fillBase(_ chain: VHDChain) throws {
      let b = Self.blockBytes
      let blocks = Int(Double(spec.virtualSize / UInt64(b)) * Swift.min(1, Swift.max(0, spec.baseFill)))
      for k in 0..<blocks {
        try chain.write(sector: UInt64(k * b / 512), count: b / 512, from: full, accounting: &accounting)
      }
      try chain.close()
    }

    /// `writesPerSnapshot` 4 KiB writes (random pages, or consecutive pages from a random one,
    /// wrapping at the end of the disk), then closes the chain.
    mutating func scatter(_ chain: VHDChain) throws {
      let pages = spec.virtualSize / 4096
      // A random chain draws one value per write (as it always has); a sequential one only its start.
      var page = spec.writePattern == .sequential && spec.writesPerSnapshot > 0 ? next() % pages : 0
      for _ in 0..<spec.writesPerSnapshot {
        switch spec.writePattern {
        case .random: page = next() % pages
        case .sequential: page = (page + 1) % pages
        }
        try chain.write(sector: page * 8, count: 8, from: full, accounting: &accounting)
      }
      try chain.close()
    }
  }

  /// The generator chains and consistency snapshots draw from (the output function iterated).
}
