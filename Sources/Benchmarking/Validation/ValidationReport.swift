// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation

/// `vhdsim validate`'s outputs: `validation.json` (the `--json` object), `report.md` and `report.html`
/// with one overlaid response-time CDF per case (gnuplot SVGs under `plots/`).
public struct ValidationReport {
  public var profile: String
  public var machine: String
  public var cases: [ValidationCase]

  public init(profile: String, machine: String, cases: [ValidationCase]) {
    self.profile = profile
    self.machine = machine
    self.cases = cases
  }

  struct Document: Encodable {
    var profile: String
    var cases: [ValidationCase]
  }

  /// The one JSON object `--json` prints.
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    let data = (try? encoder.encode(Document(profile: profile, cases: cases))) ?? Data("{}".utf8)
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
    doc.blocks.append(
      .paragraph(
        "\(machine). Each case runs the same guest workload (random 4 KiB, read fraction "
          + "\(cases.first.map { Self.f($0.readFraction, 2) } ?? "-"), closed loop at the given iodepth) through "
          + "the same chain twice: for real (the VHD engine on O_DIRECT files, worker threads, wall-clock "
          + "latency) and simulated with the profile. Demerit: root-mean-square horizontal distance between "
          + "the two response-time CDFs (DiskSim's figure), absolute and as % of the real mean. "
          + "docs/simulation.md#validation says how."))
    doc.blocks.append(
      .table(
        header: [
          "depth", "iodepth", "requests", "IOPS real", "IOPS sim", "IOPS sim/real", "p50 real µs",
          "p50 sim µs",
          "p90 real µs", "p90 sim µs", "p99 real µs", "p99 sim µs", "demerit µs", "demerit %",
          "phys I/O per req real", "phys I/O per req sim",
        ],
        rows: cases.map { c in
          [
            "\(c.depth)", "\(c.iodepth)", "\(c.requests)", Self.f(c.iopsReal, 0), Self.f(c.iopsSimulated, 0),
            Self.f(c.iopsRatio, 3), Self.f(c.p50RealUs), Self.f(c.p50SimulatedUs),
            Self.f(c.samples.p90RealUs),
            Self.f(c.samples.p90SimulatedUs), Self.f(c.p99RealUs), Self.f(c.p99SimulatedUs),
            Self.f(c.demeritUs),
            Self.f(c.demeritPercent), Self.f(c.physicalIOsPerRequestReal, 3),
            Self.f(c.physicalIOsPerRequestSimulated, 3),
          ]
        }))
    let plots = dir.appendingPathComponent("plots")
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
      var svg: String?
      var note: String?
      do { svg = try gnuplot.render(plot, in: plots) } catch { note = "\(error)" }
      doc.blocks.append(.plot(name: plot.name, title: plot.title, svg: svg, note: note))
    }
    try Data(doc.markdown.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("report.md")))
    try Data(doc.html.utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("report.html")))
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
