// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation
import Testing

@testable import vhdsim

/// `vhdsim simulate --replay FILE`: by default the whole trace once, nothing cut as warm-up, and the
/// `--json` object's request counts equal the trace's.
@Suite struct SimulateReplayTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/traces")

  func json(_ args: [String]) throws -> [String: Any] {
    let command = try #require(try VHDSimCommand.parseAsRoot(["simulate"] + args) as? SimulateCommand)
    let result = try command.scenario().run()
    let object = try JSONSerialization.jsonObject(with: Data(result.json.utf8))
    return try #require(object as? [String: Any])
  }

  /// The blkparse trace with barriers: 4 reads and 7 writes (3 flushes, 2 discards not counted).
  @Test func blkparseWithBarriersReplaysExactly() throws {
    let path = Self.fixtures.appendingPathComponent("blkparse-barriers.txt").path
    let j = try json(["--replay", path, "--json"])
    #expect(j["requests"] as? Int == 11)
    #expect(j["reads"] as? Int == 4)
    #expect(j["writes"] as? Int == 7)
    #expect(j["warmup_requests"] as? Int == 0)
    #expect(j["latency_us"] != nil && j["levels_probed_per_request"] != nil)
    let closed = try json(["--replay", path, "--iodepth", "2", "--trace-device", "8,16", "--json"])
    #expect(closed["reads"] as? Int == 3)
    #expect(closed["writes"] as? Int == 2)
  }

  /// fio's log once (100 data requests); with --duration it repeats until then.
  @Test func fioLogOnceOrRepeated() throws {
    let path = Self.fixtures.appendingPathComponent("fio-randrw-v3.iolog").path
    let once = try json(["--replay", path, "--json"])
    #expect(once["requests"] as? Int == 100)
    let repeated = try json(["--replay", path, "--duration", "0.2", "--warmup", "none", "--json"])
    #expect((repeated["requests"] as? Int ?? 0) > 300)
  }

  @Test func badReplayOptionsAreErrors() throws {
    let path = Self.fixtures.appendingPathComponent("fio-randrw-v3.iolog").path
    #expect(throws: (any Error).self) { try json(["--replay", path, "--trace-device", "sdz"]) }
    #expect(throws: (any Error).self) { try json(["--replay", path, "--format", "tar"]) }
    #expect(throws: (any Error).self) { try json(["--replay", path, "--warmup", "soon"]) }
  }
}
