// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import VHD

/// A guided run of the engine on real files: a base disk written sequentially, then snapshots
/// each followed by random small writes (as a busy VM between backups), then the cost of a guest
/// read by depth, BATmap on and off; then export, check, and the peers' view of the files.
public struct ChainDemo {
  let folder: String
  let keep: Bool
  let snapshots: Int
  let size: UInt64
  private let scratch: ScratchFolder?

  public init(folder: String?, snapshots: Int, size: UInt64) throws {
    guard (1...VHDLimits.maximumChainDepth - 1).contains(snapshots) else {
      throw VHDError(
        .invalidArgument, file: "demo", field: "--snapshots",
        "snapshots must be 1...\(VHDLimits.maximumChainDepth - 1)")
    }
    guard size >= 16 << 20, size <= 64 << 30 else {
      throw VHDError(.invalidArgument, file: "demo", field: "--size-mib", "size must be 16 MiB ... 64 GiB")
    }
    if let folder {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      self.folder = folder
      keep = true
      scratch = nil
    } else {
      let s = try ScratchFolder(prefix: "vhdsim-demo")
      scratch = s
      self.folder = s.path
      keep = false
    }
    self.snapshots = snapshots
    self.size = size
  }

  public func run(_ say: (String) -> Void) throws {
    let storage = FileStorage()
    var rng = BenchRNG(seed: 2010)
    let base = "\(folder)/base.vhd"
    say("VHDSim demo: a blktap-style snapshot chain on real files in \(folder)")
    say("")
    let baseImage = try VHDImage.createDynamic(
      base, size: size, storage: storage,
      stamp: CreationStamp(unixTime: currentUnixTime(), uuid: .random(using: &rng)))
    let baseChain = try VHDChain(images: [baseImage])
    var block = [UInt8](repeating: 0, count: Int(VHDLimits.blockSize))
    for i in block.indices { block[i] = UInt8(truncatingIfNeeded: rng.next()) }
    let blocks = Int(size / UInt64(VHDLimits.blockSize))
    for b in 0..<blocks / 2 { try baseChain.write(sector: UInt64(b) * 4096, bytes: block) }
    try baseChain.close()
    say(
      "1. base.vhd: \(size >> 20) MiB dynamic disk, first half written sequentially (\(blocks / 2) full 2 MiB blocks)"
    )
    var leaf = base
    for i in 1...snapshots {
      let child = "\(folder)/snap\(i).vhd"
      try VHDSnapshot.create(
        childPath: child, parentPath: leaf, storage: storage, options: .init(skipEmptyParents: false),
        stamp: CreationStamp(unixTime: currentUnixTime(), uuid: .random(using: &rng)))
      leaf = child
      let chain = try VHDChain.open(leaf, storage: storage, writable: true)
      for _ in 0..<64 {
        let sector = (rng.next() % (size / 512 - 8)) & ~7
        try chain.write(sector: sector, bytes: Array(block[0..<4096]))
      }
      try chain.close()
    }
    say("2. \(snapshots) snapshots, each followed by 64 random 4 KiB writes: chain depth \(snapshots + 1)")
    say("")
    say("3. Cost of one random 4 KiB guest read by depth (per-level work counted by the engine):")
    say("   depth  BAT probes  bitmap consults  BATmap shortcuts  levels probed   (BATmap on | off)")
    for depth in 1...(snapshots + 1) {
      let name = depth == 1 ? base : "\(folder)/snap\(depth - 1).vhd"
      var cols: [String] = []
      for batmap in [true, false] {
        let chain = try VHDChain.open(name, storage: storage, options: EngineOptions(useBATMap: batmap))
        var acc = RequestAccounting(depth: chain.depth)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buf.deallocate() }
        var probes = 0
        var consults = 0
        var shortcuts = 0
        var levels = 0
        let n = 2000
        var r = BenchRNG(seed: 99)
        for _ in 0..<n {
          let sector = (r.next() % (size / 512 / 2 - 8)) & ~7
          try chain.read(sector: sector, count: 8, into: buf, accounting: &acc)
          let t = acc.total
          probes += t.batProbes
          consults += t.bitmapConsults
          shortcuts += t.batmapShortcuts
          levels += acc.levelsProbed
        }
        func avg(_ x: Int) -> String { String(format: "%.2f", Double(x) / Double(n)) }
        cols.append(
          "\(avg(probes).leftPad(10))  \(avg(consults).leftPad(15))  \(avg(shortcuts).leftPad(16))  \(avg(levels).leftPad(13))"
        )
      }
      say("   \(String(depth).leftPad(5))  \(cols[0])   |\(cols[1])")
    }
    say(
      "   (reads fall through every snapshot to the base; with the BATmap the base's full blocks need no bitmap)"
    )
    say("")
    let raw = "\(folder)/flat.raw"
    let chain = try VHDChain.open(leaf, storage: storage)
    let out = try storage.create(raw)
    let result = try VHDExport.toRaw(chain, output: out)
    say(
      "4. export of the whole chain to flat.raw: \(result.bytesWritten >> 20) MiB of data written, \(result.blocksSkipped) empty blocks left as holes"
    )
    let problems = VHDCheck.check(
      path: leaf, storage: storage,
      options: {
        var o = CheckOptions()
        o.checkParents = true
        return o
      }())
    say(
      "5. check of every level (vhd-util check rules): \(problems.isEmpty ? "all \(snapshots + 1) files valid" : "\(problems.count) problems: \(problems.map(\.description).joined(separator: "; "))")"
    )
    if let qemu = findExecutable("qemu-img") {
      let info = try runProgram(qemu, ["info", "-f", "vpc", base])
      let vsize = info.output.split(separator: "\n").first { $0.hasPrefix("virtual size") } ?? "?"
      say("6. qemu-img info base.vhd: \(vsize)")
    }
    if let vhdiinfo = findExecutable("vhdiinfo") {
      let info = try runProgram(vhdiinfo, ["\(folder)/snap1.vhd"])
      let type = info.output.split(separator: "\n").first { $0.contains("Disk type") } ?? "?"
      let parent = info.output.split(separator: "\n").first { $0.contains("Parent filename") } ?? "?"
      say(
        "   vhdiinfo snap1.vhd: \(type.trimmingCharacters(in: .whitespaces)); \(parent.trimmingCharacters(in: .whitespaces))"
      )
    }
    say("")
    say("7. Simulated: one VM, random 4 KiB I/O (70% reads), I/O depth 4, 10 s, through the real engine:")
    say("   disk       depth     IOPS  p50 latency  p99 latency  bitmap reads/request")
    for disk in [DiskProfile.sata7200, .nvme] {
      for depth in [1, snapshots + 1] {
        let scenario = PoolScenario(
          chain: ChainSpec(depth: depth, virtualSize: size, baseFill: 0.5),
          workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: 4)),
          disk: disk, duration: .seconds(10), seed: 7)
        let r = try scenario.run()
        let reads = r.chain.levels.reduce(0) { $0 + $1.bitmapReads }
        let requests = Double(max(1, r.latency.all.count))
        let name = disk.name.padding(toLength: 9, withPad: " ", startingAt: 0)
        say(
          "   \(name)  \(String(depth).leftPad(5))  \(String(format: "%7.0f", requests / 10))  "
            + String(
              format: "%8.1f µs  %8.1f µs  %10.2f", r.latency.all.p50.microseconds,
              r.latency.all.p99.microseconds,
              Double(reads) / requests))
      }
    }
    say("")
    say(
      keep
        ? "Files kept in \(folder). Try: vhdsim vhd scan -p -m '\(folder)/*.vhd'"
        : "(temporary files removed; pass --dir DIR to keep them)")
  }
}

extension String {
  func leftPad(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
