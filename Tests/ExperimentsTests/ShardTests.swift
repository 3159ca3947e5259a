// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Testing

/// `--shard I/N` and `--shard-from-env`: the slices, the schedulers' variables, and the errors.
@Suite struct ShardTests {
  @Test func parsesAndSlices() throws {
    let s = try Shard.parse("1/3")
    #expect(s.index == 1 && s.count == 3)
    #expect(s.indices(runCount: 8) == [1, 4, 7])
    #expect(s.directoryName == "shard-1-of-3")
    #expect(Shard.whole.indices(runCount: 3) == [0, 1, 2])
    // The slices of any N partition the runs.
    for n in 1...5 {
      let all = try (0..<n).flatMap { try Shard(index: $0, count: n).indices(runCount: 11) }
      #expect(all.sorted() == Array(0..<11))
    }
  }

  @Test func rejectsBadShards() {
    #expect(throws: ShardError.indexOutOfRange(source: "--shard", index: 3, count: 3)) {
      try Shard.parse("3/3")
    }
    #expect(throws: ShardError.badSyntax(found: "a/3")) { try Shard.parse("a/3") }
    #expect(throws: ShardError.badSyntax(found: "2")) { try Shard.parse("2") }
    #expect(throws: ShardError.badCount(source: "--shard", found: "0")) { try Shard.parse("0/0") }
    #expect(throws: ShardError.indexOutOfRange(source: "--shard", index: -1, count: 2)) {
      try Shard.parse("-1/2")
    }
  }

  @Test func slurmArray() throws {
    let s = try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "8"])
    #expect(s == (try Shard(index: 5, count: 8)))
    // --array=1-8: ids start at SLURM_ARRAY_TASK_MIN.
    let one = try Shard.fromEnvironment([
      "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8",
    ])
    #expect(one == (try Shard(index: 0, count: 8)))
    #expect(throws: ShardError.missingVariable("SLURM_ARRAY_TASK_COUNT")) {
      try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5"])
    }
    #expect(throws: ShardError.indexOutOfRange(source: "SLURM_ARRAY_TASK_ID", index: 8, count: 8)) {
      try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "8"])
    }
  }

  /// `--array=3-17:2` runs ids 3, 5, …, 17 (8 tasks): id 3 is shard 0, 17 is shard 7; the count
  /// comes from SLURM_ARRAY_TASK_COUNT, or from SLURM_ARRAY_TASK_MAX when that is the only one set.
  @Test func slurmSteppedArray() throws {
    let base = ["SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_STEP": "2"]
    func shard(_ id: Int, _ extra: [String: String]) throws -> Shard {
      try Shard.fromEnvironment(
        base.merging(extra) { a, _ in a }.merging(["SLURM_ARRAY_TASK_ID": "\(id)"]) { a, _ in a })
    }
    let counted = ["SLURM_ARRAY_TASK_COUNT": "8"]
    #expect(try shard(3, counted) == (try Shard(index: 0, count: 8)))
    #expect(try shard(5, counted) == (try Shard(index: 1, count: 8)))
    #expect(try shard(17, counted) == (try Shard(index: 7, count: 8)))
    let bounded = ["SLURM_ARRAY_TASK_MAX": "17"]
    #expect(
      try (0..<8).map { try shard(3 + 2 * $0, bounded) }
        == (try (0..<8).map { try Shard(index: $0, count: 8) }))
    #expect(throws: ShardError.offStep(id: 4, min: 3, step: 2)) { try shard(4, counted) }
    #expect(throws: ShardError.badValue(variable: "SLURM_ARRAY_TASK_STEP", found: "0")) {
      try Shard.fromEnvironment([
        "SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_STEP": "0", "SLURM_ARRAY_TASK_COUNT": "8",
      ])
    }
  }

  @Test func kubernetesAndParallel() throws {
    #expect(
      try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0", "VHDSIM_SHARD_COUNT": "4"])
        == (try Shard(index: 0, count: 4)))
    // GNU parallel counts from 1.
    #expect(
      try Shard.fromEnvironment(["PARALLEL_SEQ": "4", "VHDSIM_SHARD_COUNT": "4"])
        == (try Shard(index: 3, count: 4)))
    #expect(throws: ShardError.missingVariable("VHDSIM_SHARD_COUNT")) {
      try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "0"])
    }
    #expect(throws: ShardError.badValue(variable: "PARALLEL_SEQ", found: "x")) {
      try Shard.fromEnvironment(["PARALLEL_SEQ": "x", "VHDSIM_SHARD_COUNT": "4"])
    }
    #expect(throws: ShardError.badCount(source: "VHDSIM_SHARD_COUNT", found: "0")) {
      try Shard.fromEnvironment(["PARALLEL_SEQ": "1", "VHDSIM_SHARD_COUNT": "0"])
    }
    #expect(throws: ShardError.indexOutOfRange(source: "PARALLEL_SEQ - 1", index: -1, count: 4)) {
      try Shard.fromEnvironment(["PARALLEL_SEQ": "0", "VHDSIM_SHARD_COUNT": "4"])
    }
    #expect(throws: ShardError.noSchedulerVariable) { try Shard.fromEnvironment(["HOME": "/root"]) }
  }

  @Test func errorsReadAsSentences() {
    #expect(
      ShardError.missingVariable("VHDSIM_SHARD_COUNT").description
        == "--shard-from-env: VHDSIM_SHARD_COUNT is not set; it gives the number of shards")
    #expect(
      ShardError.badSyntax(found: "1-3").description
        == "--shard: expected I/N with integers 0 <= I < N, found \"1-3\"")
  }
}
