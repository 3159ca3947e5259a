// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// One slice of a scenario's units of work (each run's SRs, ``ScenarioRunner/units``; with one SR per
/// run, its runs), so a study can be spread over job-array tasks, pods or processes: shard `index` of
/// `count` makes the units whose position `k` (in scenario order) has `k % count == index`. Seeds
/// never depend on the shard, so any split adds up to the unsplit run.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  /// 0-based.
  public var index: Int
  public var count: Int

  /// The whole scenario as one shard.
  public static let whole = Shard(uncheckedIndex: 0, count: 1)

  private init(uncheckedIndex index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  public init(index: Int, count: Int) throws(ShardError) {
    guard count >= 1 else { throw .badCount(source: "shard count", found: "\(count)") }
    guard (0..<count).contains(index) else {
      throw .indexOutOfRange(source: "shard index", index: index, count: count)
    }
    self.init(uncheckedIndex: index, count: count)
  }

  /// `I/N` as `--shard` takes it: 0 ≤ I < N.
  public static func parse(_ text: String) throws(ShardError) -> Shard {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
      throw .badSyntax(found: text)
    }
    guard n >= 1 else { throw .badCount(source: "--shard", found: String(parts[1])) }
    guard (0..<n).contains(i) else { throw .indexOutOfRange(source: "--shard", index: i, count: n) }
    return Shard(uncheckedIndex: i, count: n)
  }

  /// The variable that gives the shard count where the scheduler does not (Kubernetes, GNU parallel).
  public static let countVariable = "VHDSIM_SHARD_COUNT"

  /// The shard a scheduler assigned to this process, read from its environment (first match wins):
  ///
  /// - SLURM job array: (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`) ÷ `SLURM_ARRAY_TASK_STEP`
  ///   (min 0 and step 1 when unset) of `SLURM_ARRAY_TASK_COUNT` (or, without it,
  ///   (`SLURM_ARRAY_TASK_MAX` − min) ÷ step + 1), so `--array=0-63`, `--array=1-64` and the stepped
  ///   `--array=0-126:2` (ids 0, 2, …, 126) all give shards 0..63;
  /// - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based) of `VHDSIM_SHARD_COUNT`;
  /// - GNU parallel: `PARALLEL_SEQ` − 1 (it counts from 1) of `VHDSIM_SHARD_COUNT`.
  public static func fromEnvironment(_ env: [String: String]) throws(ShardError) -> Shard {
    func integer(_ name: String) throws(ShardError) -> Int? {
      guard let text = env[name] else { return nil }
      guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
        throw .badValue(variable: name, found: text)
      }
      return v
    }
    func count(_ name: String) throws(ShardError) -> Int {
      guard let n = try integer(name) else { throw .missingVariable(name) }
      guard n >= 1 else { throw .badCount(source: name, found: env[name] ?? "") }
      return n
    }
    func shard(_ i: Int, _ n: Int, _ source: String) throws(ShardError) -> Shard {
      guard (0..<n).contains(i) else { throw .indexOutOfRange(source: source, index: i, count: n) }
      return Shard(uncheckedIndex: i, count: n)
    }
    if let id = try integer("SLURM_ARRAY_TASK_ID") {
      let low = try integer("SLURM_ARRAY_TASK_MIN") ?? 0
      let step = try integer("SLURM_ARRAY_TASK_STEP") ?? 1
      guard step >= 1 else {
        throw .badValue(variable: "SLURM_ARRAY_TASK_STEP", found: env["SLURM_ARRAY_TASK_STEP"]!)
      }
      guard (id - low) % step == 0 else { throw .offStep(id: id, min: low, step: step) }
      let n: Int
      if env["SLURM_ARRAY_TASK_COUNT"] == nil, let high = try integer("SLURM_ARRAY_TASK_MAX") {
        guard high >= low else {
          throw .badCount(source: "SLURM_ARRAY_TASK_MAX", found: env["SLURM_ARRAY_TASK_MAX"]!)
        }
        n = (high - low) / step + 1
      } else {
        n = try count("SLURM_ARRAY_TASK_COUNT")
      }
      return try shard((id - low) / step, n, "SLURM_ARRAY_TASK_ID")
    }
    if let i = try integer("JOB_COMPLETION_INDEX") {
      return try shard(i, try count(countVariable), "JOB_COMPLETION_INDEX")
    }
    if let seq = try integer("PARALLEL_SEQ") {
      return try shard(seq - 1, try count(countVariable), "PARALLEL_SEQ - 1")
    }
    throw .noSchedulerVariable
  }

  public func contains(_ runIndex: Int) -> Bool { runIndex % count == index }

  /// Positions in `0..<runCount` this shard makes, ascending.
  public func indices(runCount: Int) -> [Int] { Array(stride(from: index, to: runCount, by: count)) }

  public var isWhole: Bool { count == 1 }

  /// `I/N`.
  public var description: String { "\(index)/\(count)" }

  /// The directory name a shard writes into under `--out`: `shard-I-of-N`.
  public var directoryName: String { "shard-\(index)-of-\(count)" }
}

/// A `--shard` value or a scheduler's environment that does not name a valid shard.
public enum ShardError: Error, Equatable, Sendable, CustomStringConvertible {
  case badSyntax(found: String)
  case badCount(source: String, found: String)
  case indexOutOfRange(source: String, index: Int, count: Int)
  case badValue(variable: String, found: String)
  case missingVariable(String)
  case noSchedulerVariable
  /// A SLURM task id that is not min + k × step (an array given as a list rather than a range).
  case offStep(id: Int, min: Int, step: Int)

  public var description: String {
    switch self {
    case .badSyntax(let found):
      "--shard: expected I/N with integers 0 <= I < N, found \"\(found)\""
    case .badCount(let source, let found):
      "\(source): expected a shard count of at least 1, found \"\(found)\""
    case .indexOutOfRange(let source, let index, let count):
      "\(source): shard index \(index) is outside 0..<\(count)"
    case .badValue(let variable, let found):
      "\(variable): expected an integer, found \"\(found)\""
    case .missingVariable(let name):
      "--shard-from-env: \(name) is not set; it gives the number of shards"
    case .noSchedulerVariable:
      "--shard-from-env: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, PARALLEL_SEQ is set"
    case .offStep(let id, let min, let step):
      "SLURM_ARRAY_TASK_ID: \(id) is not SLURM_ARRAY_TASK_MIN (\(min)) plus a multiple of "
        + "SLURM_ARRAY_TASK_STEP (\(step)); --shard-from-env needs an evenly stepped --array range"
    }
  }
}
