// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// Draws ``Plot``s as SVG with gnuplot (Debian's gnuplot-nox): writes `NAME.dat` and `NAME.gp` into a
/// directory and runs `gnuplot NAME.gp` there, so anyone can rerun or edit a plot by hand. gnuplot's
/// SVG has no timestamps, so the same data gives the same file.
public struct Gnuplot: Sendable {
  /// The executable, or nil when gnuplot is not installed (reports then keep their tables only).
  public let executable: String?

  public init(executable: String?) { self.executable = executable }

  /// gnuplot as found on `PATH`.
  public static func fromPath(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> Gnuplot
  {
    for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let path = (String(dir) as NSString).appendingPathComponent("gnuplot")
      if FileManager.default.isExecutableFile(atPath: path) { return Gnuplot(executable: path) }
    }
    return Gnuplot(executable: nil)
  }

  /// `gnuplot --version`'s line, e.g. `gnuplot 5.4 patchlevel 4`.
  public var version: String? {
    guard let executable, let out = try? Self.execute(executable, ["--version"], in: nil) else { return nil }
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Writes the plot's data and script into `directory` and renders `NAME.svg`; returns the SVG text.
  public func render(_ plot: Plot, in directory: String) throws -> String {
    guard let executable else { throw Failure(description: "gnuplot is not installed") }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let dir = directory as NSString
    try Data(Self.data(plot).utf8).write(
      to: URL(fileURLWithPath: dir.appendingPathComponent(plot.name + ".dat")))
    try Data(Self.script(plot).utf8).write(
      to: URL(fileURLWithPath: dir.appendingPathComponent(plot.name + ".gp")))
    _ = try Self.execute(executable, [plot.name + ".gp"], in: directory)
    return try String(contentsOfFile: dir.appendingPathComponent(plot.name + ".svg"), encoding: .utf8)
  }

  /// One block per drawable series, blocks separated by two blank lines (gnuplot's `index`).
  public static func data(_ plot: Plot) -> String {
    plot.drawable.map { s in
      "# \(s.title)\n"
        + s.rows.map { $0.map(ScenarioReport.format).joined(separator: " ") }.joined(separator: "\n")
    }.joined(separator: "\n\n\n") + "\n"
  }

  static func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// The gnuplot script drawing `plot` from `NAME.dat` into `NAME.svg`.
  public static func script(_ plot: Plot) -> String {
    var lines = [
      "set terminal svg size 760,440 noenhanced font \"sans,11\"",
      "set output \(quoted(plot.name + ".svg"))",
      "set title \(quoted(plot.title))",
      "set xlabel \(quoted(plot.xLabel))",
      "set ylabel \(quoted(plot.yLabel))",
      "set grid",
      "set key outside right top",
    ]
    if plot.logX { lines.append("set logscale x") }
    if let xMin = plot.xMin { lines.append("set xrange [\(ScenarioReport.format(xMin)):*]") }
    if !plot.yTics.isEmpty {
      let tics = plot.yTics.map { "\(quoted($0.label)) \(ScenarioReport.format($0.value))" }
      lines.append("set ytics (\(tics.joined(separator: ", ")))")
      lines.append("set yrange [-1:\(plot.yTics.count)]")
    }
    let file = quoted(plot.name + ".dat")
    let parts = plot.drawable.enumerated().map { i, s -> String in
      "\(i == 0 ? file : "''") index \(i) \(style(s, position: i, of: plot.drawable.count)) title \(quoted(s.title))"
    }
    lines.append(parts.isEmpty ? "plot NaN notitle" : "plot " + parts.joined(separator: ", \\\n  "))
    return lines.joined(separator: "\n") + "\n"
  }

  /// How series `position` of a plot is drawn: its policy's colour; lines that may lie on top of each
  /// other told apart by dash type and by width (each series narrower than the one before, from 4 down
  /// to 1.5, so a later one drawn over an earlier one leaves its edges visible); markers by point type.
  static func style(_ s: Plot.Series, position i: Int, of count: Int) -> String {
    let color = "lc rgb \(quoted(PlotPalette.color(s.color ?? i)))"
    let dash = "dt \(i % 5 + 1)"
    let step = count > 1 ? 2.5 / Double(count - 1) : 0
    let width = "lw \(String(format: "%.2f", 4 - step * Double(i)))"
    let point = "pt \(PlotPalette.pointTypes[i % PlotPalette.pointTypes.count])"
    switch s.style {
    case .lines: return "using 1:2 with lines \(width) \(dash) \(color)"
    case .points: return "using 1:2 with points \(point) ps 1.2 \(color)"
    case .linesPoints: return "using 1:2 with linespoints \(width) \(dash) \(point) ps 0.8 \(color)"
    case .steps: return "using 1:2 with steps \(width) \(dash) \(color)"
    case .segments: return "using 1:2:($3-$1):(0) with vectors nohead lw 8 \(color)"
    case .xErrorBars: return "using 1:2:3:4 with xerrorbars \(point) ps 1.2 lw 1.5 \(color)"
    case .yErrorBars: return "using 1:2:3:4 with yerrorbars \(point) ps 1.2 lw 1.5 \(color)"
    }
  }

  /// Runs `executable` with `arguments` in `directory`; returns standard output, throws with standard
  /// error on a non-zero exit.
  static func execute(_ executable: String, _ arguments: [String], in directory: String?) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw Failure(
        description: "\(executable) \(arguments.joined(separator: " ")): "
          + (String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    return String(decoding: outData, as: UTF8.self)
  }
}
