// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// The lossless per-run files a run (or one shard of it) writes into its directory, and reads back:
///
/// - `shard.json`: format, scenario name and file, ``RunPlan/digest``, options, `shard {index, count}`,
///   `run_count` (of the whole scenario) and `runs` (the unit indices held here: a unit is one SR of a
///   run, index run × `sr.count` + SR, so with one SR per run a unit index is the run's);
/// - `scenario.yaml`: the scenario text as run;
/// - `records/metrics.csv` `run,metric,value` (`run`: the unit index, as in `runs`);
///   `records/series.csv` `run,series,time_s,value`; `records/latency.csv` `run,histogram,bucket,count`;
///   `records/events.csv` `run,kind,lane,start_s,end_s`; `records/samples.csv` `run,` + the trace columns
///   (with `--samples`).
///
/// Numbers are written in Swift's shortest round-trip form (`0.30000000000000004`, `1e-300`, `nan`),
/// so reading gives back every double bit for bit and a merge loses nothing.
public enum RecordFiles {
  public static let format = "vhdsim-records/1"
  public static let manifestName = "shard.json"
  public static let scenarioName = "scenario.yaml"
  public static let recordsDirectory = "records"

  static let metricsHeader = "run,metric,value"
  static let seriesHeader = "run,series,time_s,value"
  static let latencyHeader = "run,histogram,bucket,count"
  static let eventsHeader = "run,kind,lane,start_s,end_s"

  /// A double that reads back exactly: Swift's shortest round-trip description.
  public static func exact(_ x: Double) -> String { x.description }

  /// Whether `path` holds a manifest (a run's or a shard's directory).
  public static func isRecordsDirectory(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(manifestName))
  }

  // MARK: Writing

  /// Writes `records` (of `shard` of `plan`, any order) into `directory`, created if missing.
  public static func write(plan: RunPlan, shard: Shard, records: [RunRecord], to directory: String)
    throws(RecordError)
  {
    let records = records.sorted { $0.index < $1.index }
    let sub = (directory as NSString).appendingPathComponent(recordsDirectory)
    do { try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true) } catch {
      throw RecordError(file: sub, message: "cannot create the directory: \(error.localizedDescription)")
    }
    try save(manifest(plan: plan, shard: shard, records: records), directory, manifestName)
    try save(plan.source, directory, scenarioName)
    var metrics = metricsHeader + "\n"
    var series = seriesHeader + "\n"
    var latency = latencyHeader + "\n"
    var events = eventsHeader + "\n"
    var samples = "run," + TraceRecord.csvHeader + "\n"
    for r in records {
      for m in r.metrics { metrics += "\(r.index),\(m.name),\(exact(m.value))\n" }
      for p in r.series { series += "\(r.index),\(p.series),\(exact(p.time)),\(exact(p.value))\n" }
      for b in r.latency { latency += "\(r.index),\(b.histogram),\(b.bucket),\(b.count)\n" }
      for e in r.events {
        events += "\(r.index),\(csvField(e.kind)),\(csvField(e.lane)),\(exact(e.start)),\(exact(e.end))\n"
      }
      for s in r.samples { samples += "\(r.index),\(s)\n" }
    }
    try save(metrics, sub, "metrics.csv")
    try save(series, sub, "series.csv")
    try save(latency, sub, "latency.csv")
    try save(events, sub, "events.csv")
    let samplesPath = (sub as NSString).appendingPathComponent("samples.csv")
    if plan.options.samples {
      try save(samples, sub, "samples.csv")
    } else if FileManager.default.fileExists(atPath: samplesPath) {
      try? FileManager.default.removeItem(atPath: samplesPath)
    }
  }

  /// Names in records are identifiers or fixed words; anything else would break the CSV.
  static func csvField(_ s: String) -> String {
    String(s.map { $0 == "," || $0 == "\n" || $0 == "\r" ? "_" : $0 })
  }

  static func save(_ text: String, _ directory: String, _ name: String) throws(RecordError) {
    let path = (directory as NSString).appendingPathComponent(name)
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) } catch {
      throw RecordError(file: path, message: "cannot write: \(error.localizedDescription)")
    }
  }

  static func manifest(plan: RunPlan, shard: Shard, records: [RunRecord]) -> String {
    JSONOutput.text(ShardManifest(plan: plan, shard: shard, records: records))
  }

  // MARK: Reading

  /// Reads a directory `write` produced, checking that its digest matches its scenario and options.
  public static func read(directory: String) throws(RecordError) -> ShardRecords {
    let manifestPath = (directory as NSString).appendingPathComponent(manifestName)
    let m = try ShardManifest.read(path: manifestPath)
    guard m.format == format else {
      throw RecordError(file: manifestPath, message: "field format: expected \(format), found \(m.format)")
    }
    guard let seed = UInt64(m.options.seed) else {
      throw RecordError(file: manifestPath, message: "field options.seed: expected an unsigned integer")
    }
    let (replicates, quick, samples) = (m.options.replicates, m.options.quick, m.options.samples)
    let (digest, runList, runCount, file) = (m.digest, m.runs, m.runCount, m.scenarioFile)
    let shard: Shard
    do { shard = try Shard(index: m.shard.index, count: m.shard.count) } catch {
      throw RecordError(file: manifestPath, message: "field shard: \(error)")
    }

    let scenarioPath = (directory as NSString).appendingPathComponent(scenarioName)
    let source: String
    do { source = try String(contentsOfFile: scenarioPath, encoding: .utf8) } catch {
      throw RecordError(file: scenarioPath, message: "cannot read the scenario text")
    }
    let plan: RunPlan
    do {
      plan = try RunPlan(
        source: source, file: file,
        options: .init(replicates: replicates, seed: seed, jobs: 1, quick: quick, samples: samples))
    } catch {
      throw RecordError(file: scenarioPath, message: "\(error)")
    }
    guard plan.digest == digest else {
      throw RecordError(
        file: manifestPath,
        message: "field digest: \(digest) does not match scenario.yaml and options (\(plan.digest))")
    }
    guard runCount == plan.runs.count else {
      throw RecordError(
        file: manifestPath,
        message: "field run_count: \(runCount), but the scenario has \(plan.runs.count) runs")
    }

    var position: [Int: Int] = [:]
    var records: [RunRecord] = []
    for i in runList {
      guard plan.units.indices.contains(i), position[i] == nil else {
        throw RecordError(
          file: manifestPath, message: "field runs: unit \(i) is out of range or listed twice")
      }
      position[i] = records.count
      records.append(RunRecord(index: i, seed: plan.units[i].seed, metrics: []))
    }
    let sub = (directory as NSString).appendingPathComponent(recordsDirectory)
    try rows(sub, "metrics.csv", metricsHeader, fields: 3, position) { r, f, _ throws(RecordError) in
      records[r].metrics.append(.init(String(f[1]), try number(f[2], "value")))
    }
    try rows(sub, "series.csv", seriesHeader, fields: 4, position) { r, f, _ throws(RecordError) in
      records[r].series.append(
        .init(String(f[1]), time: try number(f[2], "time_s"), value: try number(f[3], "value")))
    }
    try rows(sub, "latency.csv", latencyHeader, fields: 4, position) { r, f, _ throws(RecordError) in
      guard let b = Int(f[2]), b >= 0, let c = UInt64(f[3]) else {
        throw RecordError(file: "", message: "expected a bucket index and a count")
      }
      records[r].latency.append(.init(String(f[1]), bucket: b, count: c))
    }
    try rows(sub, "events.csv", eventsHeader, fields: 5, position) { r, f, _ throws(RecordError) in
      records[r].events.append(
        .init(
          kind: String(f[1]), lane: String(f[2]), start: try number(f[3], "start_s"),
          end: try number(f[4], "end_s")))
    }
    if samples {
      try rows(sub, "samples.csv", "run," + TraceRecord.csvHeader, fields: nil, position) { r, _, line in
        let comma = line.firstIndex(of: ",")!
        records[r].samples.append(String(line[line.index(after: comma)...]))
      }
    }
    for r in records where r.metrics.isEmpty {
      throw RecordError(
        file: (sub as NSString).appendingPathComponent("metrics.csv"),
        message: "run \(r.index) has no metrics")
    }
    return ShardRecords(directory: directory, plan: plan, shard: shard, records: records)
  }

  /// A field's value; its error is placed at its file and line by `rows`.
  static func number(_ text: Substring, _ name: String) throws(RecordError) -> Double {
    guard let x = Double(text) else {
      throw RecordError(file: "", message: "\(name): expected a number, found \"\(text)\"")
    }
    return x
  }

  /// Calls `body(record position, fields, line)` for every data line of `directory/name`, after checking
  /// the header, the field count (when fixed) and that the run is one the manifest lists.
  static func rows(
    _ directory: String, _ name: String, _ header: String, fields: Int?, _ position: [Int: Int],
    _ body: (Int, [Substring], Substring) throws(RecordError) -> Void
  ) throws(RecordError) {
    let path = (directory as NSString).appendingPathComponent(name)
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw RecordError(file: path, message: "cannot read the file")
    }
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      if lineNumber == 1 {
        guard line == header else {
          throw RecordError(file: path, line: 1, message: "expected the header \(header)")
        }
        continue
      }
      if line.isEmpty { continue }
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if let fields, f.count != fields {
        throw RecordError(
          file: path, line: lineNumber, message: "expected \(fields) fields, found \(f.count)")
      }
      guard let run = Int(f[0]), let p = position[run] else {
        throw RecordError(
          file: path, line: lineNumber, message: "run \(f[0]) is not one of the runs shard.json lists")
      }
      do { try body(p, f, line) } catch {
        throw RecordError(file: path, line: lineNumber, message: error.message)
      }
    }
  }
}

/// One directory's worth of records, checked against its scenario.
public struct ShardRecords: Sendable {
  public var directory: String
  public var plan: RunPlan
  public var shard: Shard
  /// In run order.
  public var records: [RunRecord]
}
