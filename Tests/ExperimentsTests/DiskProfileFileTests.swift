// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Simulation
import Testing

@Suite struct DiskProfileFileTests {
  static let folder = Fixture.packageRoot.appendingPathComponent("Profiles/disks").path

  func draws(_ model: any DiskModel, n: Int = 300) -> [Int64] {
    var m = model
    m.reseed(99)
    var out: [Int64] = []
    for i in 0..<n {
      let offset = UInt64(i * 104_729 % 4096) << 20
      let length: UInt64 = i % 3 == 0 ? 65_536 : 4096
      let op = DiskOp(offset: offset, length: length, isWrite: i % 4 == 0)
      out.append(m.serviceTime([op], at: SimTime.microseconds(i * 300)).nanoseconds)
    }
    return out
  }

  /// The preset files document the built-in presets: each draws exactly the built-in's service times.
  @Test(arguments: ["nvme", "sata7200", "iscsi", "sata-ssd"])
  func presetFileMatchesTheBuiltIn(name: String) throws {
    let file = try DiskProfileFile.load(path: "\(Self.folder)/\(name).yaml")
    let builtIn = try #require(DiskProfile.preset(named: name))
    #expect(file.name == name)
    #expect(file.model.capacityBytes == builtIn.model.capacityBytes)
    #expect(file.model.parallelism == builtIn.model.parallelism)
    #expect(draws(file.model) == draws(builtIn.model))
  }

  @Test func resolvesPresetsFilesAndNames() throws {
    #expect(try DiskProfileFile.resolve("nvme") == .nvme)
    let byPath = try DiskProfileFile.resolve("\(Self.folder)/sata-ssd.yaml")
    #expect(byPath.name == "sata-ssd" && byPath.path != nil)
    #expect(throws: ScenarioError.self) { try DiskProfileFile.resolve("no-such-profile") }
  }

  @Test func writerRoundTripsAFittedProfile() throws {
    let table = try QuantileTable(
      probabilities: [0, 0.5, 0.99, 1], nanoseconds: [40_000, 80_000, 900_000, 4_000_000])
    let model = SSDModel(
      read: try #require(SizeClassLatency([.init(bytes: 4096, latency: .empirical(table))])),
      write: SizeClassLatency(.lognormal(median: 30_000, sigma: 0.5)), readBandwidth: 812.5e6,
      writeBandwidth: 400e6, channels: 6, capacityBytes: 1 << 30)
    let text = DiskProfileWriter.yaml(name: "fit", source: "test", comments: ["a test"], model: model)
    let back = try DiskProfileFile.parse(yaml: text, file: "fit.yaml")
    #expect(back.model.parallelism == 6)
    #expect(draws(back.model) == draws(model))
  }

  /// A profile with a file system and engine processor time reads back with both: the same draws
  /// for allocating writes and punches, the same engine cost.
  @Test func writerRoundTripsFileSystemAndEngineCPU() throws {
    let table = try QuantileTable(
      probabilities: [0, 0.5, 0.99, 1], nanoseconds: [60_000, 150_000, 3_000_000, 9_000_000])
    var model = SSDModel(
      readLatency: .microseconds(50), writeLatency: .microseconds(40), readBandwidth: 1e9,
      writeBandwidth: 1e9, channels: 4, capacityBytes: 1 << 30)
    model.fileSystem = FileSystemAllocation(
      allocatingWrite: try #require(SizeClassLatency([.init(bytes: 4096, latency: .empirical(table))])),
      allocatingSubmit: SizeClassLatency(.fixed(.microseconds(9))),
      punchHole: .lognormal(median: 20_000, sigma: 0.3))
    model.queueDepthScaling = QueueDepthScaling(
      read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2.2765), .init(depth: 32, factor: 5.7021)],
      write: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 1.9492)],
      mixed: [
        .init(depth: 8, writeShare: 0.358, read: 3.1107, write: 3.8862),
        .init(depth: 32, writeShare: 0.41, read: 7.5, write: 9.25),
      ])
    #expect(model.queueDepthScaling?.mixed.count == 2)
    model.batchScaling = QueueDepthScaling(
      read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2.9125)],
      write: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2.4375)],
      mixed: [.init(depth: 8, writeShare: 0.3, read: 3.05, write: 3.125)])
    let cpu = EngineCPUCost(
      perRequest: .nanoseconds(7_250), perLevel: .nanoseconds(480), perIO: .nanoseconds(6_190))
    let text = DiskProfileWriter.yaml(
      name: "fs", source: "test", comments: [], model: model, engineCPU: cpu)
    let back = try DiskProfileFile.parse(yaml: text, file: "fs.yaml")
    #expect(back.engineCPU == cpu)
    #expect((back.model as? SSDModel)?.queueDepthScaling == model.queueDepthScaling)
    #expect((back.model as? SSDModel)?.batchScaling == model.batchScaling)
    #expect(
      text.contains(
        "  batch_scaling: {read: [[1, 1], [8, 2.9125]], write: [[1, 1], [8, 2.4375]], mixed: [[8, 0.3, 3.05, 3.125]]}"
      ))
    #expect((back.model as? SSDModel)?.fileSystem == model.fileSystem)
    /// `text` with `bad` in place of `good` is refused, naming `file` and every one of `words`.
    func refused(_ good: String, _ bad: String, _ file: String, _ words: [String]) {
      let edited = text.replacingOccurrences(of: good, with: bad)
      #expect(edited != text)
      #expect {
        try DiskProfileFile.parse(yaml: edited, file: file)
      } throws: { e in
        guard let e = e as? ScenarioError else { return false }
        return e.file == file && words.allSatisfy { e.message.contains($0) }
      }
    }
    // A bad batch curve is named like a bad queue-depth curve.
    refused("[[1, 1], [8, 2.9125]]", "[[1, 1], [8, -1]]", "b.yaml", ["batch_scaling"])
    refused("[[1, 1], [8, 2.2765]", "[[2, 1], [8, 2.2765]", "q.yaml", ["queue_depth_scaling", "[1, 1]"])
    // A mixed point's write share must lie strictly between 0 and 1; the error names the field.
    refused("[8, 0.358,", "[8, 1,", "m.yaml", ["mixed", "between 0 and 1"])
    var ops: [DiskOp] = []
    for i in 0..<200 {
      let space: SpaceChange = i % 3 == 0 ? .allocates : i % 3 == 1 ? .punchesHole : .none
      ops.append(DiskOp(offset: UInt64(i) << 20, length: 4096, isWrite: true, space: space))
    }
    // Each op alone (1 ms apart): its own time without the rounds; with them, the end of its round
    // (an allocating write's after its allocation).
    func times(_ m: SSDModel) -> [Int64] {
      var d = m.withoutRounds
      d.reseed(5)
      return ops.enumerated().map { d.serviceTime([$1], at: .milliseconds($0)).nanoseconds }
    }
    func roundEnds(_ m: SSDModel) -> [Int64] {
      var d = m
      d.reseed(5)
      return ops.enumerated().map {
        _ = d.serviceTime([$1], at: .milliseconds($0))
        return d.roundEnd.nanoseconds
      }
    }
    let read = try #require(back.model as? SSDModel)
    #expect(times(read) == times(model))
    #expect(Set(times(read)).count > 100)
    #expect(roundEnds(read) == roundEnds(model))
    #expect(Set(roundEnds(read)).count > 100)
    refused("request_us: 7.25", "request_us: -1", "neg.yaml", ["request_us"])
  }

  @Test func badFieldsAreReportedAtTheirLine() {
    let yaml = """
      name: bad
      kind: ssd
      capacity_bytes: 1000000000
      ssd:
        channels: 4
        read_bandwidth_mb_s: 500
        write_bandwidth_mb_s: 500
        read:
          - size_kib: 4
            quantiles_us: [[0, 10], [0.5, 5], [1, 20]]
        write:
          - size_kib: 4
            constant_us: 10
      """
    #expect {
      try DiskProfileFile.parse(yaml: yaml, file: "bad.yaml")
    } throws: { e in
      guard let e = e as? ScenarioError else { return false }
      return e.file == "bad.yaml" && e.line == 10 && e.message.contains("must not decrease")
    }
    #expect {
      try DiskProfileFile.parse(yaml: "name: x\nkind: ssd\ncapacity_bytes: 1\n", file: "k.yaml")
    } throws: { e in (e as? ScenarioError)?.message.contains("needs a `ssd` section") == true }
  }

  @Test func scenarioTakesAProfileAndVariabilityOff() throws {
    let yaml = """
      name: p
      disk: {profile: \(Self.folder)/sata-ssd.yaml}
      chain: {depth: 1, size_mib: 64}
      vms: [{count: 1, workload: {iodepth: 1}}]
      """
    let s = try Scenario.parse(yaml: yaml, file: "p.yaml")
    let run = try #require(s.runs().first)
    #expect(run.settings.profile.name == "sata-ssd")
    #expect(run.pool.disk.name == "sata-ssd")
    #expect(run.settings.diskModel.parallelism == 8)
  }
}
