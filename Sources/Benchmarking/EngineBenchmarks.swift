// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import VHD

/// Benchmarks of the VHD engine (release build; figures as ratios where a peer exists).
public enum EngineBenchmarks {
  static func stamp(_ rng: inout BenchRNG) -> CreationStamp {
    CreationStamp(unixTime: CreationStamp.fixedUnixTime, uuid: .random(using: &rng))
  }

  /// Builds a chain of `depth` levels on in-memory storage. `layout` decides where data lives:
  /// `.baseOnly` puts every block, fully written, in the base, so every read falls through all
  /// levels; `.partialEverywhere` writes half of every block (unaligned runs) at every level, so
  /// reads consult a bitmap at each level.
  public enum ChainLayout: String, Sendable {
    case baseOnly = "base_only", partialEverywhere = "partial_everywhere"
  }

  static func buildChain(depth: Int, size: UInt64, layout: ChainLayout, options: EngineOptions) throws
    -> VHDChain
  {
    let storage = MemoryStorage(flavour: .inMemory)
    var rng = BenchRNG(seed: 42)
    let blockBytes = Int(VHDLimits.blockSize)
    let blocks = Int(size) / blockBytes
    var data = [UInt8](repeating: 0, count: blockBytes)
    for i in data.indices { data[i] = UInt8(truncatingIfNeeded: rng.next()) }
    _ = try VHDImage.createDynamic(
      "/sr/l0.vhd", size: size, storage: storage, stamp: stamp(&rng), options: options)
    var path = "/sr/l0.vhd"
    for level in 0..<depth {
      if level > 0 {
        let child = "/sr/l\(level).vhd"
        try VHDSnapshot.create(
          childPath: child, parentPath: path, storage: storage, options: .init(skipEmptyParents: false),
          stamp: stamp(&rng), engine: options)
        path = child
      }
      let chain = try VHDChain.open(path, storage: storage, writable: true, options: options)
      for b in 0..<blocks {
        switch layout {
        case .baseOnly:
          if level == 0 { try chain.write(sector: UInt64(b * blockBytes / 512), bytes: data) }
        case .partialEverywhere:
          // Alternating 8-sector runs, offset by level, cover about half of every block.
          let spb = blockBytes / 512
          var s = (level * 3) % 16
          while s + 8 <= spb {
            try chain.write(sector: UInt64(b * spb + s), bytes: Array(data[s * 512..<(s + 8) * 512]))
            s += 16
          }
        }
      }
      try chain.close()
    }
    return try VHDChain.open(path, storage: storage, writable: false, options: options)
  }

  /// Random 4 KiB reads through chains of the given depths, warm bitmap cache, in-memory device.
  public static func chainRead(
    depths: [Int] = [1, 4, 16, 30], size: UInt64 = 256 << 20, reads: Int = 200_000
  ) throws -> BenchReport {
    var report = BenchReport(name: "chain-read")
    report.note("device", "in-memory")
    report.add("disk_mib", Double(size >> 20))
    report.add("reads_per_point", Double(reads))
    for layout in [ChainLayout.baseOnly, .partialEverywhere] {
      for batmap in [true, false] {
        if layout == .partialEverywhere && batmap { continue }  // no full blocks: identical work
        var perDepth: [Int: Double] = [:]
        for depth in depths {
          let options = EngineOptions(bitmapCacheCapacity: Int.max, useBATMap: batmap)
          let chain = try buildChain(depth: depth, size: size, layout: layout, options: options)
          let ns = try timeRandomReads(chain, reads: reads)
          perDepth[depth] = ns
          let tag = "\(layout.rawValue)_batmap_\(batmap ? "on" : "off")"
          report.add("ns_per_read_\(tag)_depth_\(depth)", ns)
        }
        if let d1 = perDepth[1], let d16 = perDepth[16] {
          report.add("ratio_depth16_to_depth1_\(layout.rawValue)_batmap_\(batmap ? "on" : "off")", d16 / d1)
        }
      }
    }
    return report
  }

  static func timeRandomReads(_ chain: VHDChain, reads: Int) throws -> Double {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
    defer { buffer.deallocate() }
    var acc = RequestAccounting(depth: chain.depth)
    let pages = chain.virtualSize / 4096
    var rng = BenchRNG(seed: 7)
    // Warm the bitmap caches: touch every page once.
    for p in 0..<pages { try chain.read(sector: p * 8, count: 8, into: buffer, accounting: &acc) }
    var samples: [Double] = []
    for _ in 0..<3 {
      let t = try seconds {
        for _ in 0..<reads {
          let p = rng.next() % pages
          try chain.read(sector: p * 8, count: 8, into: buffer, accounting: &acc)
        }
      }
      samples.append(t * 1e9 / Double(reads))
    }
    return median(samples)
  }

  /// Builds the export benchmark's input: a dynamic VHD of `size` with half of its blocks partly
  /// written (random runs of random data).
  static func buildHalfWritten(_ path: String, size: UInt64, storage: any Storage) throws {
    var rng = BenchRNG(seed: 1)
    let image = try VHDImage.createDynamic(path, size: size, storage: storage, stamp: stamp(&rng))
    let chain = try VHDChain(images: [image])
    let spb = Int(VHDLimits.blockSize) / 512
    var buf = [UInt8](repeating: 0, count: 256 * 512)
    for i in buf.indices { buf[i] = UInt8(truncatingIfNeeded: rng.next() | 1) }
    for b in stride(from: 0, to: Int(size) / Int(VHDLimits.blockSize), by: 2) {
      var s = Int(rng.next() % 64)
      while s < spb {
        let n = min(spb - s, 64 + Int(rng.next() % 192))
        try chain.write(sector: UInt64(b * spb + s), bytes: Array(buf[0..<n * 512]))
        s += n + Int(rng.next() % 256)
      }
    }
    try chain.close()
  }

  /// Export of a 1 GiB dynamic VHD with half its blocks partly written: vhdsim vs
  /// `qemu-img convert -f vpc -O raw`, same input, outputs compared byte for byte.
  public static func export(size: UInt64 = 1 << 30, repeats: Int = 5) throws -> BenchReport {
    var report = BenchReport(name: "export")
    let scratch = try ScratchFolder(prefix: "vhdsim-bench-export")
    let storage = FileStorage()
    let input = scratch.file("input.vhd")
    try buildHalfWritten(input, size: size, storage: storage)
    report.add("input_mib", Double(size >> 20))
    let ours = scratch.file("ours.raw")
    var oursTimes: [Double] = []
    var qemuTimes: [Double] = []
    let qemu = findExecutable("qemu-img")
    func runOurs() throws -> Double {
      try? FileManager.default.removeItem(atPath: ours)
      return try seconds {
        let workers = min(4, ProcessInfo.processInfo.activeProcessorCount)
        let chains = try (0..<workers).map { _ in try VHDChain.open(input, storage: storage) }
        let out = try storage.create(ours)
        _ = try VHDExport.toRaw(chains, output: out)
      }
    }
    func runQemu(_ qemu: String) throws -> Double {
      let theirs = scratch.file("qemu.raw")
      try? FileManager.default.removeItem(atPath: theirs)
      return try seconds { try runProgram(qemu, ["convert", "-f", "vpc", "-O", "raw", input, theirs]) }
    }
    // One untimed run of each warms the page cache for both (whoever runs first would otherwise
    // pay for faulting in the input), then the order alternates.
    _ = try runOurs()
    if let qemu { _ = try runQemu(qemu) }
    for rep in 0..<repeats {
      if let qemu, rep % 2 == 1 { qemuTimes.append(try runQemu(qemu)) }
      oursTimes.append(try runOurs())
      if let qemu, rep % 2 == 0 { qemuTimes.append(try runQemu(qemu)) }
    }
    let vs = median(oursTimes)
    report.add("vhdsim_seconds", vs)
    report.add("vhdsim_mib_per_second", Double(size >> 20) / vs)
    if qemu != nil {
      let qs = median(qemuTimes)
      report.add("qemu_img_seconds", qs)
      report.add("speedup_vs_qemu_img", qs / vs)
      let same = FileManager.default.contentsEqual(atPath: ours, andPath: scratch.file("qemu.raw"))
      report.note("outputs_identical", same ? "yes" : "NO")
    } else {
      report.note("qemu_img", "not installed: run scripts/setup-system")
    }
    return report
  }

  /// Coalesce of a fully written 1 GiB child into an empty parent on sparse files: MiB/s; then the
  /// cost of fsync on allocating writes (`allocatingWrites`).
  public static func coalesce(size: UInt64 = 1 << 30) throws -> BenchReport {
    var report = BenchReport(name: "coalesce")
    let scratch = try ScratchFolder(prefix: "vhdsim-bench-coalesce")
    let storage = FileStorage()
    var rng = BenchRNG(seed: 3)
    for (label, partial) in [("full_blocks", false), ("partial_blocks", true)] {
      let parent = scratch.file("parent-\(label).vhd")
      let child = scratch.file("child-\(label).vhd")
      _ = try VHDImage.createDynamic(parent, size: size, storage: storage, stamp: stamp(&rng))
      try VHDSnapshot.create(
        childPath: child, parentPath: parent, storage: storage, options: .init(skipEmptyParents: false),
        stamp: stamp(&rng))
      let chain = try VHDChain.open(child, storage: storage, writable: true)
      var block = [UInt8](repeating: 0, count: Int(VHDLimits.blockSize))
      for i in block.indices { block[i] = UInt8(truncatingIfNeeded: rng.next()) }
      let spb = block.count / 512
      var payload: UInt64 = 0
      for b in 0..<Int(size) / block.count {
        if partial {
          for s in stride(from: 0, to: spb, by: 64) {
            try chain.write(sector: UInt64(b * spb + s), bytes: Array(block[s * 512..<(s + 32) * 512]))
            payload += 32 * 512
          }
        } else {
          try chain.write(sector: UInt64(b * spb), bytes: block)
          payload += UInt64(block.count)
        }
      }
      try chain.close()
      var sectors: UInt64 = 0
      let t = try seconds { sectors = try CoalesceJob.open(child, storage: storage).run() }
      report.add("\(label)_mib_per_second", Double(payload) / 1_048_576 / t)
      report.add("\(label)_seconds", t)
      report.add("\(label)_sectors", Double(sectors))
    }
    try allocatingWrites(size: min(size, 256 << 20), into: &report)
    return report
  }
}
