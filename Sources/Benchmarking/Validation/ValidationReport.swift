// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation

/// `vhdsim validate`'s outputs: `validation.json` (the `--json` object), `report.md` and `report.html`
/// with one overlaid response-time CDF per case (gnuplot SVGs under `plots/`).
public struct ValidationReport {
  public var profile: String
  public var machine: String
  public var cases: [ValidationCase]
  /// The share of each chain's base written when it was built (`DiskValidation.baseFill`).
  public var baseFill: Double
  /// fio on the device alone during the validation, one per iodepth (empty: not run).
  public var deviceChecks: [DeviceCheck]

  public init(
    profile: String, machine: String, cases: [ValidationCase], baseFill: Double = 0.5,
    deviceChecks: [DeviceCheck] = []
  ) {
    self.profile = profile
    self.machine = machine
    self.cases = cases
    self.baseFill = baseFill
    self.deviceChecks = deviceChecks
  }

  /// The JSON object; `device_check` only when the check ran, so a file without it reads as before.
  struct Document: Encodable {
    var profile: String
    var cases: [ValidationCase]
    var deviceCheck: [DeviceCheck]?

    enum CodingKeys: String, CodingKey {
      case profile, cases
      case deviceCheck = "device_check"
    }
  }

  /// The one JSON object `--json` prints.
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    let data =
      (try? encoder.encode(
        Document(profile: profile, cases: cases, deviceCheck: deviceChecks.isEmpty ? nil : deviceChecks)))
      ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

  /// Writes the JSON, the plots and both report forms into `directory`.
  public func write(to directory: String, gnuplot: Gnuplot = .fromPath()) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let dir = directory as NSString
    try Data((json + "\n").utf8).write(
      to: URL(fileURLWithPath: dir.appendingPathComponent("validation.json")))
    var doc = ReportDocument(title: "Validation of disk profile \(profile)")
    doc.blocks.append(.paragraph(findings + deviceCheckFindings))
    let plots = dir.appendingPathComponent("plots")
    doc.blocks.append(render(iopsPlot, in: plots, gnuplot: gnuplot))
    doc.blocks.append(contentsOf: spreadBlocks)
    doc.blocks.append(contentsOf: deviceCheckBlocks)
    doc.blocks.append(.heading(level: 2, text: "Cases"))
    doc.blocks.append(
      .table(
        header: [
          "depth", "iodepth", repeats > 1 ? "IOPS real (median)" : "IOPS real", "IOPS sim", "sim / real",
          "demerit µs", "demerit %",
          "phys I/O per request", "thread CPU µs per request",
          "thread occupied (io_submit) µs per request, real / model",
        ],
        rows: cases.map { c in
          [
            "\(c.depth)", "\(c.iodepth)", Self.f(c.iopsReal, 0), Self.f(c.iopsSimulated, 0),
            Self.f(c.iopsRatio, 3),
            Self.f(c.demeritUs), Self.f(c.demeritPercent),
            Self.pair(c.physicalIOsPerRequestReal, c.physicalIOsPerRequestSimulated, 3),
            Self.pair(c.threadCPUPerRequestRealUs, c.threadCPUPerRequestSimulatedUs),
            "\(Self.f(c.threadOccupiedPerRequestRealUs)) (\(Self.f(c.submitPerRequestRealUs))) / "
              + "\(Self.f(c.threadOccupiedPerRequestSimulatedUs)) (\(Self.f(c.submitPerRequestSimulatedUs)))",
          ]
        }))
    doc.blocks.append(contentsOf: inFlightBlocks)
    doc.blocks.append(.heading(level: 2, text: "Response-time percentiles, µs (real / simulated)"))
    doc.blocks.append(
      .table(
        header: ["depth", "iodepth", "requests", "p50", "p90", "p99"],
        rows: cases.map { c in
          [
            "\(c.depth)", "\(c.iodepth)", "\(c.requests)", Self.pair(c.p50RealUs, c.p50SimulatedUs),
            Self.pair(c.samples.p90RealUs, c.samples.p90SimulatedUs),
            Self.pair(c.p99RealUs, c.p99SimulatedUs),
          ]
        }))
    doc.blocks.append(.heading(level: 2, text: "By request class"))
    doc.blocks.append(
      .paragraph(
        "Requests grouped by what the engine did for them: read or write, and the physical I/Os it "
          + "issued (a read of one level's data: 1; a write into written sectors: 1; a write into a hole "
          + "of an allocated block: data, bitmap and more; a write that allocates a block: the most). "
          + "Both sides serve the same requests, so the counts agree; the latencies show which kind the "
          + "model gets wrong."
          + (repeats > 1
            ? " The real latencies are over all \(repeats) runs; a count is per run where the runs together "
              + "made \(repeats) times the simulated count, and shows as all runs' / simulated otherwise."
            : "")))
    doc.blocks.append(
      .table(
        header: ["depth", "iodepth", "request", "count", "mean µs", "p99 µs"],
        rows: cases.flatMap { c in
          c.samples.classes.map { k in
            [
              "\(c.depth)", "\(c.iodepth)", "\(k.isWrite ? "write" : "read"), \(k.physicalIOs) I/O",
              k.requestsReal == repeats * k.requestsSimulated
                ? "\(k.requestsSimulated)" : "\(k.requestsReal) / \(k.requestsSimulated)",
              Self.pair(k.meanRealUs, k.meanSimulatedUs, 0), Self.pair(k.p99RealUs, k.p99SimulatedUs, 0),
            ]
          }
        }))
    doc.blocks.append(.heading(level: 2, text: "How"))
    doc.blocks.append(
      .paragraph(
        "\(machine). Each case runs the same guest workload (random 4 KiB, read fraction "
          + "\(cases.first.map { Self.f($0.readFraction, 2) } ?? "-"), closed loop at the given iodepth) through "
          + "the same chain (its base \(Self.f(baseFill * 100, 0)) % written) twice: for real (the VHD engine on O_DIRECT files, one thread over Linux native "
          + "AIO as tapdisk drives them, wall-clock latency) and simulated with the profile. Demerit: root-mean-square horizontal distance between "
          + "the two response-time CDFs (DiskSim's figure), absolute and as % of the real mean. "
          + "docs/simulation.md#validation says how."))
    for c in cases {
      let plot = Plot(
        name: "cdf-depth\(c.depth)-iodepth\(c.iodepth)",
        title: "Response time CDF, chain depth \(c.depth), iodepth \(c.iodepth)",
        xLabel: "response time (µs)",
        yLabel: "fraction of requests", logX: true,
        series: [
          .init("real", style: .steps, rows: Self.cdfRows(c.samples.realNs)),
          .init("simulated (\(profile))", style: .steps, rows: Self.cdfRows(c.samples.simulatedNs)),
        ])
      doc.blocks.append(render(plot, in: plots, gnuplot: gnuplot))
    }
    try Data(doc.markdown.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("report.md")))
    try Data(doc.html.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("report.html")))
  }

  func render(_ plot: Plot, in folder: String, gnuplot: Gnuplot) -> ReportDocument.Block {
    var svg: String?
    var note: String?
    do { svg = try gnuplot.render(plot, in: folder) } catch { note = "\(error)" }
    return .plot(name: plot.name, title: plot.title, svg: svg, note: note)
  }

  /// "real / simulated", or one figure when both print the same.
  static func pair(_ real: Double, _ simulated: Double, _ digits: Int = 1) -> String {
    let a = f(real, digits)
    let b = f(simulated, digits)
    return a == b ? a : "\(a) / \(b)"
  }

  /// The report's opening: how many cases meet the accuracy goal (IOPS within 10 %, demerit at most
  /// 10 % of the real mean), the ranges, the worst case, and whether the engine's I/O agreed.
  var findings: String {
    guard !cases.isEmpty else { return "No cases were run." }
    let n = cases.count
    let iopsOK = cases.filter { abs($0.iopsRatio - 1) <= 0.1 }.count
    let demeritOK = cases.filter { $0.demeritPercent <= 10 }.count
    let both = cases.filter { abs($0.iopsRatio - 1) <= 0.1 && $0.demeritPercent <= 10 }.count
    let ratios = cases.map(\.iopsRatio)
    let demerits = cases.map(\.demeritPercent)
    let worst = cases.max { abs($0.iopsRatio - 1) < abs($1.iopsRatio - 1) }!
    let sameIOs = cases.filter {
      Self.f($0.physicalIOsPerRequestReal, 3) == Self.f($0.physicalIOsPerRequestSimulated, 3)
    }.count
    var text =
      "The simulation meets the accuracy goal (IOPS within 10 % and demerit at most 10 % of the real mean "
      + "response time) in \(both) of \(n) cases. IOPS are within 10 % in \(iopsOK) of \(n) "
      + "(simulated / real \(Self.f(ratios.min()!, 2)) to \(Self.f(ratios.max()!, 2))); the demerit is "
      + "within 10 % in \(demeritOK) of \(n) (\(Self.f(demerits.min()!, 0)) to \(Self.f(demerits.max()!, 0)) %). "
      + "Furthest off: chain depth \(worst.depth) at iodepth \(worst.iodepth), \(Self.f(worst.iopsSimulated, 0)) "
      + "simulated against \(Self.f(worst.iopsReal, 0)) real IOPS. "
    text +=
      sameIOs == n
      ? "The engine issued the same physical I/Os per request on both sides in every case."
      : "The engine's physical I/Os per request differ in \(n - sameIOs) of \(n) cases."
    // The thread's share of the real run's time: processor time per request × requests per second.
    let busy = cases.map { $0.threadCPUPerRequestRealUs * $0.iopsReal / 1e4 }
    let realCPU = cases.map(\.threadCPUPerRequestRealUs)
    let simCPU = cases.map(\.threadCPUPerRequestSimulatedUs)
    // Occupied: all but the wait for completions; the processor time leaves out time blocked in
    // io_submit, which ext4 makes wait for allocations and unaligned writes.
    let occupied = cases.map { $0.threadOccupiedPerRequestRealUs * $0.iopsReal / 1e4 }
    let submit = cases.map { $0.submitPerRequestRealUs * $0.iopsReal / 1e4 }
    let simOccupied = cases.map { $0.threadOccupiedPerRequestSimulatedUs * $0.iopsSimulated / 1e4 }
    let simSubmit = cases.map { $0.submitPerRequestSimulatedUs * $0.iopsSimulated / 1e4 }
    text +=
      " The real loop's thread spent \(Self.f(realCPU.min()!, 0)) to \(Self.f(realCPU.max()!, 0)) µs of "
      + "processor time a request (busy \(Self.f(busy.min()!, 0)) to \(Self.f(busy.max()!, 0)) % of the run); "
      + "the model charges \(Self.f(simCPU.min()!, 1)) to \(Self.f(simCPU.max()!, 1)) µs. Counting the time "
      + "it was blocked in system calls, the thread was occupied (not waiting for a completion) "
      + "\(Self.f(occupied.min()!, 0)) to \(Self.f(occupied.max()!, 0)) % of the run, \(Self.f(submit.min()!, 0)) "
      + "to \(Self.f(submit.max()!, 0)) % in io_submit (the model's thread \(Self.f(simOccupied.min()!, 0)) to "
      + "\(Self.f(simOccupied.max()!, 0)) %, \(Self.f(simSubmit.min()!, 0)) to \(Self.f(simSubmit.max()!, 0)) % in "
      + "io_submit); while it is occupied, completed I/Os wait for it."
    return text
  }

  /// Simulated against real IOPS, one point per case, with the line of agreement and the ±10 % band;
  /// with repeats each point has a horizontal bar over the real runs' range (the simulated side does
  /// not vary), so a point whose bar crosses the line is a case the machine cannot tell from the model.
  /// In thousands of IOPS, so the axis labels stay apart on a narrow plot.
  var iopsPlot: Plot {
    let hi =
      (cases.map { Swift.max($0.realSpread?.iopsMax ?? 0, $0.iopsReal, $0.iopsSimulated) }.max() ?? 1) * 1.1
      / 1000
    /// `x y`, or with repeats `x y low high` for the bar.
    func row(_ c: ValidationCase) -> [Double] {
      guard repeats > 1 else { return [c.iopsReal / 1000, c.iopsSimulated / 1000] }
      return [
        c.iopsReal, c.iopsSimulated, c.realSpread?.iopsMin ?? c.iopsReal, c.realSpread?.iopsMax ?? c.iopsReal,
      ].map { $0 / 1000 }
    }
    var series: [Plot.Series] = Set(cases.map(\.iodepth)).sorted().map { d in
      .init(
        "iodepth \(d) (chain depths \(cases.filter { $0.iodepth == d }.map { "\($0.depth)" }.joined(separator: ", ")))",
        style: repeats > 1 ? .xErrorBars : .points, rows: cases.filter { $0.iodepth == d }.map(row))
    }
    series.append(.init("simulated = real", style: .lines, rows: [[0, 0], [hi, hi]], color: 6))
    series.append(.init("±10 %", style: .lines, rows: [[0, 0], [hi, hi * 1.1]], color: 7))
    series.append(.init("", style: .lines, rows: [[0, 0], [hi, hi * 0.9]], color: 7))
    return Plot(
      name: "iops",
      title: "IOPS: simulated against real, one point per case"
        + (repeats > 1 ? " (real: median and min–max of \(repeats) runs)" : ""),
      xLabel: repeats > 1 ? "real IOPS, thousands (median of \(repeats) runs)" : "real IOPS, thousands",
      yLabel: "simulated IOPS, thousands", series: series)
  }

  /// At most 400 points of the empirical CDF (µs, fraction).
  static func cdfRows(_ sorted: [Double]) -> [[Double]] {
    guard !sorted.isEmpty else { return [] }
    let step = Swift.max(1, sorted.count / 400)
    var rows = stride(from: 0, to: sorted.count, by: step).map {
      [sorted[$0] / 1000, Double($0 + 1) / Double(sorted.count)]
    }
    rows.append([sorted[sorted.count - 1] / 1000, 1])
    return rows
  }
}
