// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// `shard.json`: what a run or shard directory holds — the records format, the scenario (name, file,
/// ``RunPlan/digest`` of its text and options), the options, which shard, the whole scenario's run
/// count and the unit indices held here (``ScenarioRunner/units``; with one SR per run, run indices).
struct ShardManifest: Codable, Equatable {
  struct Options: Codable, Equatable {
    var quick: Bool
    var replicates: Int
    var samples: Bool
    /// A string: a 64-bit seed does not survive readers that parse JSON numbers as doubles.
    var seed: String
  }

  struct ShardIndex: Codable, Equatable {
    var count: Int
    var index: Int
  }

  var digest: String
  var format: String
  var options: Options
  var runCount: Int
  var runs: [Int]
  var scenario: String
  var scenarioFile: String
  var shard: ShardIndex

  enum CodingKeys: String, CodingKey {
    case digest, format, options
    case runCount = "run_count"
    case runs, scenario
    case scenarioFile = "scenario_file"
    case shard
  }

  init(plan: RunPlan, shard: Shard, records: [RunRecord]) {
    let s = plan.scenario
    digest = plan.digest
    format = RecordFiles.format
    options = Options(
      quick: plan.options.quick, replicates: s.replicates, samples: plan.options.samples, seed: "\(s.seed)")
    runCount = plan.runs.count
    runs = records.map(\.index)
    scenario = s.name
    scenarioFile = plan.file
    self.shard = ShardIndex(count: shard.count, index: shard.index)
  }

  /// Reads `path`; errors name the file and the field.
  static func read(path: String) throws(RecordError) -> ShardManifest {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw RecordError(
        file: path, message: "cannot read a records manifest (is this a vhdsim run directory?)")
    }
    do {
      return try JSONDecoder().decode(ShardManifest.self, from: data)
    } catch let DecodingError.keyNotFound(key, context) {
      throw RecordError(file: path, message: "field \(field(context.codingPath + [key])): missing")
    } catch let DecodingError.typeMismatch(type, context) {
      throw RecordError(file: path, message: "field \(field(context.codingPath)): not a \(type)")
    } catch let DecodingError.valueNotFound(type, context) {
      throw RecordError(file: path, message: "field \(field(context.codingPath)): not a \(type)")
    } catch {
      throw RecordError(
        file: path, message: "cannot read a records manifest (is this a vhdsim run directory?)")
    }
  }

  private static func field(_ path: [any CodingKey]) -> String {
    path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
  }
}
