// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// Random sequences of writes (sector-granular, unaligned, across block boundaries), snapshots,
/// coalesce steps and reparents against a flat oracle per image. After every step every image
/// reads back exactly its oracle and every file passes check.
@Suite struct PropertyTests {
  struct Model {
    let storage = MemoryStorage()
    let size: UInt64
    /// Paths base first; `oracle[path]` = what the chain ending at that path must read.
    var chain: [String] = []
    var oracle: [String: FlatOracle] = [:]
    var next = 0
    var stampCounter: UInt8 = 1
    let options: EngineOptions

    init(size: UInt64, options: EngineOptions) throws {
      self.size = size
      self.options = options
      chain = ["/sr/base.vhd"]
      _ = try VHDImage.createDynamic(
        chain[0], size: size, storage: storage, stamp: testStamp(0), options: options)
      oracle[chain[0]] = FlatOracle(size: Int(size))
    }

    mutating func stamp() -> CreationStamp {
      stampCounter &+= 1
      return testStamp(stampCounter)
    }

    func verify(_ step: String) throws {
      for path in chain {
        let c = try VHDChain.open(path, storage: storage, options: options)
        let got = try readAll(c)
        let mismatch = firstMismatch(got, oracle[path]!.bytes)
        #expect(mismatch == nil, "\(step): \(path) differs at byte \(mismatch ?? -1)")
        c.mergeGapSectors = 4096  // bulk reads (export) must read the same
        #expect(
          firstMismatch(try readAll(c), oracle[path]!.bytes) == nil, "\(step): \(path) merged read differs")
        let problems = VHDCheck.check(path: path, storage: storage)
        #expect(problems.isEmpty, "\(step): \(path): \(problems.map(\.description))")
      }
    }
  }

  func run(seed: UInt64, operations: Int, options: EngineOptions) throws {
    var rng = TestRNG(seed)
    var m = try Model(size: 6 << 20, options: options)
    let sectors = Int(m.size / 512)
    for op in 0..<operations {
      let leaf = m.chain.last!
      let roll = rng.below(100)
      var step = "op \(op)"
      if roll < 60 {
        // Write: mostly small and unaligned, sometimes a whole block or across a boundary.
        let count: Int
        switch rng.below(10) {
        case 0: count = 4096
        case 1: count = 4096 + rng.below(300)
        default: count = 1 + rng.below(40)
        }
        let sector = rng.below(10) == 0 ? 4096 - rng.below(min(count, 20)) : rng.below(sectors - count)
        let data = rng.bytes(count * 512)
        let c = try VHDChain.open(leaf, storage: m.storage, writable: true, options: options)
        try c.write(sector: UInt64(sector), bytes: data)
        try c.close()
        m.oracle[leaf]!.write(sector: sector, data)
        step += " write \(count)@\(sector)"
      } else if roll < 80 && m.chain.count < 8 {
        m.next += 1
        let child = "/sr/s\(m.next).vhd"
        try VHDSnapshot.create(
          childPath: child, parentPath: leaf, storage: m.storage, options: .init(skipEmptyParents: false),
          stamp: m.stamp(),
          engine: options)
        m.chain.append(child)
        m.oracle[child] = m.oracle[leaf]
        step += " snapshot \(child)"
      } else if m.chain.count >= 2 {
        // Coalesce a random non-base level into its parent in random-sized steps, checking the
        // levels above it in between; then reparent its child and drop it.
        let i = 1 + rng.below(m.chain.count - 1)
        let node = m.chain[i]
        let parent = m.chain[i - 1]
        let job = try CoalesceJob.open(node, storage: m.storage, options: options)
        while !job.isFinished {
          try job.step(maxBytes: 512 * (1 + rng.below(3000)))
          // Mid-coalesce, everything from the node upwards still reads the same.
          for p in m.chain[i...] {
            let got = try readAll(VHDChain.open(p, storage: m.storage, options: options))
            #expect(firstMismatch(got, m.oracle[p]!.bytes) == nil, "mid-coalesce \(p)")
          }
        }
        m.oracle[parent] = m.oracle[node]
        if i + 1 < m.chain.count {
          try VHDReparent.reparent(m.chain[i + 1], newParent: parent, storage: m.storage, options: options)
        }
        try m.storage.remove(node)
        m.chain.remove(at: i)
        m.oracle[node] = nil
        step += " coalesce \(node) into \(parent)"
      }
      try m.verify(step)
    }
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func randomOperationsMatchTheOracle(seed: UInt64) throws {
    try run(seed: seed, operations: 50, options: EngineOptions())
  }

  @Test func randomOperationsWithoutBATMapAndTinyCacheAndTapdiskFooters() throws {
    try run(
      seed: 9, operations: 50,
      options: EngineOptions(bitmapCacheCapacity: 1, useBATMap: false, footerPolicy: .onClose))
  }

  @Test func metadataOnlyDeviceKeepsMetadataExact() throws {
    // Same operations on in-memory and metadata-only storage: every metadata byte identical,
    // data reads as zeros on the metadata-only one.
    let mem = MemoryStorage(flavour: .inMemory)
    let meta = MemoryStorage(flavour: .metadataOnly)
    var rng = TestRNG(4)
    for s in [mem, meta] as [MemoryStorage] {
      _ = try VHDImage.createDynamic("/sr/a.vhd", size: 8 << 20, storage: s, stamp: testStamp(1))
    }
    for _ in 0..<40 {
      let sector = rng.below(16000)
      let data = rng.bytes((1 + rng.below(200)) * 512)
      for s in [mem, meta] as [MemoryStorage] {
        let c = try VHDChain.open("/sr/a.vhd", storage: s, writable: true)
        try c.write(sector: UInt64(sector), bytes: data)
        try c.close()
      }
    }
    let a = try VHDImage.open("/sr/a.vhd", storage: mem)
    let b = try VHDImage.open("/sr/a.vhd", storage: meta)
    #expect(
      a.blockTable.entries == b.blockTable.entries && a.batmap.bits == b.batmap.bits && a.footer == b.footer
        && a.header == b.header)
    for block in 0..<a.blockCount {
      guard let e = a.blockEntry(block) else { continue }
      var x = [UInt8](repeating: 0, count: 512)
      var y = [UInt8](repeating: 0, count: 512)
      try x.withUnsafeMutableBytes { try a.device.read(into: $0, at: UInt64(e) * 512, kind: .bitmap) }
      try y.withUnsafeMutableBytes { try b.device.read(into: $0, at: UInt64(e) * 512, kind: .bitmap) }
      #expect(x == y, "bitmap of block \(block)")
    }
    #expect(VHDCheck.check(path: "/sr/a.vhd", storage: meta).isEmpty)
    #expect(try readAll(VHDChain.open("/sr/a.vhd", storage: meta)).allSatisfy { $0 == 0 })
  }
}
