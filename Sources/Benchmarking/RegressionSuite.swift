// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import VHD

/// The regression suite behind `vhdsim bench` (no benchmark name): deterministic work on the real
/// engine, the kernel and the pool, reported as exact counters (a changed count is a changed
/// behaviour) and as timing samples divided by a reference loop timed in the same run (so a slower
/// machine does not look like a regression).
public enum RegressionSuite {
  public struct Options: Sendable {
    /// Fewer timing repetitions, for CI. The work measured is the same, so one baseline serves both.
    public var quick: Bool
    /// Engine switches a developer flips to see the effect of a design change.
    public var engine: EngineOptions
    /// Where the scenario library is (its quick variants give the scenario KPIs).
    public var scenarios: String
    public init(quick: Bool = false, engine: EngineOptions = .init(), scenarios: String = "Scenarios") {
      self.quick = quick
      self.engine = engine
      self.scenarios = scenarios
    }
  }

  /// What one run measured.
  public struct Run: Codable, Sendable, Equatable {
    /// Exact counters, by name.
    public var counters: [String: Double] = [:]
    /// Timing samples (each divided by the reference loop's time measured right before it).
    public var timings: [String: [Double]] = [:]
    /// Ratios against peers run side by side (qemu-img, SimPy) where installed; reported, not gated.
    public var peers: [String: Double]?
    public init() {}
  }

  /// One step of the suite, announced through `run`'s `log` as it begins.
  enum Step: Equatable {
    case reads(depth: Int)
    case allocatingWrites, exportAndCoalesce, kernel, pool
    case scenario(String)
    /// The peers, measured side by side in the full suite only.
    case exportBesideQemuImg, kernelBesideSimPy

    var title: String {
      switch self {
      case .reads(let depth): "reads through depth \(depth)"
      case .allocatingWrites: "allocating writes"
      case .exportAndCoalesce: "export and coalesce"
      case .kernel: "kernel"
      case .pool: "pool end to end"
      case .scenario(let name): "scenario \(name) (quick variant)"
      case .exportBesideQemuImg: "export beside qemu-img"
      case .kernelBesideSimPy: "kernel beside SimPy"
      }
    }
  }

  /// The steps `run` takes, in order: the quick suite leaves the peers out to stay fast in CI, and
  /// qemu-img's is measured only where it is installed.
  static func plan(_ options: Options) -> [Step] {
    var steps: [Step] = [1, 4, 16].map { .reads(depth: $0) }
    steps += [.allocatingWrites, .exportAndCoalesce, .kernel, .pool]
    steps += ScenarioKPIs.scenarios.map { .scenario($0) }
    if !options.quick {
      if findExecutable("qemu-img") != nil { steps.append(.exportBesideQemuImg) }
      steps.append(.kernelBesideSimPy)
    }
    return steps
  }

  /// How many steps `run` announces through its `log` (a progress bar's total).
  public static func steps(_ options: Options) -> Int { plan(options).count }

  public static func run(_ options: Options, log: (String) -> Void = { _ in }) throws -> Run {
    var run = Run()
    let repeats = options.quick ? 5 : 10
    var peers: [String: Double] = [:]
    for step in plan(options) {
      log(step.title)
      switch step {
      case .reads(let depth): try reads(depth: depth, options: options, repeats: repeats, into: &run)
      case .allocatingWrites: try allocatingWrites(options: options, repeats: repeats, into: &run)
      case .exportAndCoalesce: for _ in 0..<repeats { try exportAndCoalesce(options: options, into: &run) }
      case .kernel:
        for _ in 0..<repeats {
          let reference = referenceSeconds()
          let h = KernelBenchmark.hold(pending: 1000, events: 200_000, seed: 42)
          run.timings["kernel.hold_seconds_per_event", default: []].append(
            h.seconds / Double(h.events) / reference)
          run.counters["kernel.hold_events"] = Double(h.events)
        }
      case .pool: try pool(options: options, repeats: options.quick ? 3 : 5, into: &run)
      case .scenario(let name): try ScenarioKPIs.measure(name, in: options.scenarios, into: &run)
      case .exportBesideQemuImg:
        let export = try EngineBenchmarks.export(size: 256 << 20, repeats: 3)
        peers["export_speedup_vs_qemu_img"] = export.value("speedup_vs_qemu_img")
      case .kernelBesideSimPy:
        let kernel = try KernelBenchmarks.run(holdEvents: 2_000_000, customers: 500_000)
        peers["kernel_simpy_ratio"] = kernel.value("simpy_ratio")
        peers["kernel_simpy_ratio_hold"] = kernel.value("simpy_ratio_hold")
      }
    }
    if !options.quick { run.peers = peers.filter { $0.value.isFinite } }
    return run
  }

  /// A fixed piece of memory and arithmetic work; its time is the unit timings are expressed in.
  static func referenceSeconds() -> Double {
    var buffer = [UInt8](repeating: 1, count: 1 << 20)
    var x: UInt64 = 0
    let t = seconds {
      for round in 0..<32 {
        buffer.withUnsafeMutableBytes { b in
          let words = b.bindMemory(to: UInt64.self)
          for i in words.indices { x = x &* 6_364_136_223_846_793_005 &+ words[i] &+ UInt64(round) }
          words[Int(x % UInt64(words.count))] = x
        }
      }
    }
    if x == 42 { print("") }  // keeps the loop alive
    return t
  }

  /// Counts physical I/Os by kind and direction.
  final class CountingObserver: IOObserver {
    var counts = [Int](repeating: 0, count: IOKind.allCases.count * 2)
    func observe(_ io: PhysicalIO) { counts[Int(io.kind.rawValue) * 2 + Int(io.direction.rawValue)] += 1 }
    func add(prefix: String, per n: Int, to run: inout RegressionSuite.Run) {
      for kind in IOKind.allCases {
        for dir in [IODirection.read, .write] {
          run.counters["\(prefix).io_\(kind)_\(dir)_per_op"] =
            Double(counts[Int(kind.rawValue) * 2 + Int(dir.rawValue)]) / Double(n)
        }
      }
    }
  }

  /// A chain like a busy VM's: the base half full blocks, half partly written; each snapshot
  /// followed by 64 random 4 KiB writes.
  static func buildChain(depth: Int, options: EngineOptions) throws -> VHDChain {
    let storage = MemoryStorage(flavour: .inMemory)
    var rng = BenchRNG(seed: 2026)
    let size: UInt64 = 64 << 20
    _ = try VHDImage.createDynamic(
      "/sr/l0.vhd", size: size, storage: storage, stamp: EngineBenchmarks.stamp(&rng), options: options)
    let base = try VHDChain.open("/sr/l0.vhd", storage: storage, writable: true, options: options)
    let block = [UInt8](repeating: 0x5A, count: 2 << 20)
    for b in 0..<16 { try base.write(sector: UInt64(b) * 4096, bytes: block) }
    for b in 16..<32 {
      for s in stride(from: 0, to: 4096, by: 64) {
        try base.write(sector: UInt64(b) * 4096 + UInt64(s), bytes: Array(block[0..<(32 * 512)]))
      }
    }
    try base.close()
    var path = "/sr/l0.vhd"
    for level in 1..<depth {
      let child = "/sr/l\(level).vhd"
      try VHDSnapshot.create(
        childPath: child, parentPath: path, storage: storage, options: .init(skipEmptyParents: false),
        stamp: EngineBenchmarks.stamp(&rng), engine: options)
      path = child
      let c = try VHDChain.open(path, storage: storage, writable: true, options: options)
      for _ in 0..<64 {
        try c.write(sector: (rng.next() % (size / 512 - 8)) & ~7, bytes: Array(block[0..<4096]))
      }
      try c.close()
    }
    return try VHDChain.open(path, storage: storage, options: options)
  }

  static func reads(depth: Int, options: Options, repeats: Int, into run: inout Run) throws {
    let chain = try buildChain(depth: depth, options: options.engine)
    let observer = CountingObserver()
    chain.setObserver(observer)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
    defer { buffer.deallocate() }
    var acc = RequestAccounting(depth: chain.depth)
    let n = 4000
    var total = LevelWork()
    var zero = 0
    var rng = BenchRNG(seed: 7)
    let pages = chain.virtualSize / 4096
    for _ in 0..<n {
      try chain.read(sector: (rng.next() % pages) * 8, count: 8, into: buffer, accounting: &acc)
      total += acc.total
      zero += acc.zeroFilledSectors
    }
    let p = "reads.depth\(depth)"
    run.counters["\(p).bat_probes_per_read"] = Double(total.batProbes) / Double(n)
    run.counters["\(p).bitmap_cache_hits_per_read"] = Double(total.bitmapCacheHits) / Double(n)
    run.counters["\(p).bitmap_reads_per_read"] = Double(total.bitmapReads) / Double(n)
    run.counters["\(p).batmap_shortcuts_per_read"] = Double(total.batmapShortcuts) / Double(n)
    run.counters["\(p).zero_filled_sectors_per_read"] = Double(zero) / Double(n)
    observer.add(prefix: p, per: n, to: &run)
    chain.setObserver(nil)
    for _ in 0..<repeats {
      let reference = referenceSeconds()
      var r = BenchRNG(seed: 8)
      let t = try seconds {
        for _ in 0..<20_000 {
          try chain.read(sector: (r.next() % pages) * 8, count: 8, into: buffer, accounting: &acc)
        }
      }
      run.timings["\(p).seconds_per_read", default: []].append(t / 20_000 / reference)
    }
  }

  static func allocatingWrites(options: Options, repeats: Int, into run: inout Run) throws {
    var samples: [Double] = []
    for rep in 0..<repeats {
      let storage = MemoryStorage(flavour: .inMemory)
      var rng = BenchRNG(seed: 11)
      let image = try VHDImage.createDynamic(
        "/sr/w.vhd", size: 256 << 20, storage: storage, stamp: EngineBenchmarks.stamp(&rng),
        options: options.engine)
      let chain = try VHDChain(images: [image])
      let observer = CountingObserver()
      if rep == 0 { chain.setObserver(observer) }
      var acc = RequestAccounting(depth: 1)
      var allocated = 0
      let data = [UInt8](repeating: 0xC3, count: 4096)
      let reference = referenceSeconds()
      let n = 1024
      let t = try seconds {
        try data.withUnsafeBytes { d in
          for _ in 0..<n {
            let sector = (rng.next() % ((256 << 20) / 512 - 8)) & ~7
            try chain.write(sector: sector, count: 8, from: d.baseAddress!, accounting: &acc)
            allocated += acc.blocksAllocated
          }
        }
      }
      samples.append(t / Double(n) / reference)
      if rep == 0 {
        run.counters["writes.blocks_allocated"] = Double(allocated)
        run.counters["writes.allocated_blocks_in_image"] = Double(image.allocatedBlockCount)
        observer.add(prefix: "writes", per: n, to: &run)
      }
    }
    run.timings["writes.seconds_per_write"] = samples
  }

  static func exportAndCoalesce(options: Options, into run: inout Run) throws {
    let chain = try buildChain(depth: 4, options: options.engine)
    let out = InMemoryDevice(name: "export.raw")
    let reference = referenceSeconds()
    var result: VHDExport.Result?
    let t = try seconds { result = try VHDExport.toRaw(chain, output: out) }
    guard let result else { return }
    run.timings["export.seconds", default: []].append(t / reference)
    run.counters["export.blocks_read"] = Double(result.blocksRead)
    run.counters["export.blocks_skipped"] = Double(result.blocksSkipped)
    run.counters["export.bytes_written"] = Double(result.bytesWritten)
    // Coalesce level 1 (a snapshot's 64 random writes) into the base.
    let storage = MemoryStorage(flavour: .inMemory)
    var rng = BenchRNG(seed: 5)
    _ = try VHDImage.createDynamic(
      "/sr/p.vhd", size: 64 << 20, storage: storage, stamp: EngineBenchmarks.stamp(&rng),
      options: options.engine)
    try VHDSnapshot.create(
      childPath: "/sr/c.vhd", parentPath: "/sr/p.vhd", storage: storage,
      options: .init(skipEmptyParents: false),
      stamp: EngineBenchmarks.stamp(&rng), engine: options.engine)
    let c = try VHDChain.open("/sr/c.vhd", storage: storage, writable: true, options: options.engine)
    let block = [UInt8](repeating: 0x77, count: 2 << 20)
    for b in 0..<8 { try c.write(sector: UInt64(b) * 4096, bytes: block) }
    for _ in 0..<256 {
      try c.write(sector: (rng.next() % (64 << 11 - 8)) & ~7, bytes: Array(block[0..<4096]))
    }
    try c.close()
    let job = try CoalesceJob.open("/sr/c.vhd", storage: storage, options: options.engine)
    let ct = try seconds { try job.run(stepBytes: 1 << 20) }
    run.timings["coalesce.seconds", default: []].append(ct / referenceSeconds())
    run.counters["coalesce.sectors"] = Double(job.sectorsCoalesced)
    run.counters["coalesce.batmap_shortcuts"] = Double(job.accounting.levels[0].batmapShortcuts)
    run.counters["coalesce.bitmap_reads"] = Double(job.accounting.levels[0].bitmapReads)
    run.counters["coalesce.parent_blocks_allocated"] = Double(job.accounting.blocksAllocated)
  }

  static func pool(options: Options, repeats: Int, into run: inout Run) throws {
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 16, virtualSize: 512 << 20, baseFill: 0.5),
      workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: 8)), disk: .nvme,
      engine: options.engine, duration: .seconds(0.5), seed: 3)
    for rep in 0..<repeats {
      let reference = referenceSeconds()
      var result = RunResult()
      let t = try seconds { result = try scenario.run() }
      let requests = Double(result.requests)
      run.timings["pool.seconds_per_request", default: []].append(t / requests / reference)
      if rep == 0 {
        run.counters["pool.requests"] = requests
        run.counters["pool.bat_probes_per_request"] =
          Double(result.chain.levels.reduce(0) { $0 + $1.batProbes }) / requests
        run.counters["pool.bitmap_reads_per_request"] =
          Double(result.chain.levels.reduce(0) { $0 + $1.bitmapReads }) / requests
        run.counters["pool.bitmap_cache_hits_per_request"] =
          Double(result.chain.levels.reduce(0) { $0 + $1.bitmapCacheHits }) / requests
        run.counters["pool.batmap_shortcuts_per_request"] =
          Double(result.chain.levels.reduce(0) { $0 + $1.batmapShortcuts }) / requests
        run.counters["pool.latency_p99_us"] = result.latency.all.p99.microseconds
      }
    }
  }
}
