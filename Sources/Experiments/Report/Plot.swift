// SPDX-License-Identifier: GPL-3.0-or-later

/// A 2-D plot as data, independent of the tool that draws it: named series of rows, each drawn in one
/// style. ``Gnuplot`` turns it into a data file, a script and an SVG.
public struct Plot: Sendable, Equatable {
  public enum Style: Sendable, Equatable {
    /// Rows `x y`.
    case lines, points, linesPoints, steps
    /// Rows `x1 y x2`: a horizontal bar from x1 to x2 at y (timelines).
    case segments
    /// Rows `x y low high`: a marker at (x, y) with a horizontal bar from x = low to x = high, for a
    /// point whose x is uncertain (a measurement's range over repeats, a confidence interval).
    case xErrorBars
    /// Rows `x y low high`: a marker at (x, y) with a vertical bar from y = low to y = high.
    case yErrorBars
  }

  public struct Series: Sendable, Equatable {
    public var title: String
    public var style: Style
    public var rows: [[Double]]
    /// Index into ``PlotPalette/colors``: the policy's position in the scenario, so a policy has one
    /// colour in every plot (nil: the series' own position).
    public var color: Int?
    public init(_ title: String, style: Style, rows: [[Double]], color: Int? = nil) {
      self.title = title
      self.style = style
      self.rows = rows
      self.color = color
    }
  }

  /// File stem of the data, script and SVG (`plots/NAME.svg`).
  public var name: String
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var logX = false
  /// Named tick marks on y (timeline lanes), replacing the numeric ones.
  public var yTics: [(label: String, value: Double)] = []
  public var series: [Series]
  /// Where the x axis starts (nil: gnuplot's choice), e.g. a CDF at its smallest value.
  public var xMin: Double?

  public init(
    name: String, title: String, xLabel: String, yLabel: String, logX: Bool = false,
    yTics: [(label: String, value: Double)] = [], series: [Series], xMin: Double? = nil
  ) {
    self.xMin = xMin
    self.name = name
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.yTics = yTics
    self.series = series
  }

  public static func == (a: Plot, b: Plot) -> Bool {
    a.name == b.name && a.title == b.title && a.xLabel == b.xLabel && a.yLabel == b.yLabel && a.logX == b.logX
      && a.yTics.map(\.label) == b.yTics.map(\.label) && a.yTics.map(\.value) == b.yTics.map(\.value)
      && a.series == b.series && a.xMin == b.xMin
  }

  /// Series that have something to draw.
  public var drawable: [Series] { series.filter { !$0.rows.isEmpty } }

  /// Whether the plot shows more than a point: some series has two rows or more (a timeline's single
  /// bar is a span, so it counts). Reports leave other plots out, their numbers are in the tables.
  public var isWorthDrawing: Bool {
    drawable.contains { $0.rows.count >= 2 || $0.style == .segments }
  }

  /// Whether every line is level (each series has one y value throughout): over time, nothing changed,
  /// and the tables say the value.
  public var isFlat: Bool {
    drawable.allSatisfy { s in s.rows.allSatisfy { $0.count > 1 && $0[1] == s.rows[0][1] } }
  }

  /// A timeline of `events`: one lane per distinct lane (in first-seen order), one series per kind.
  /// Generic on purpose: GC passes, coalesces and pauses all arrive as ``TimelineEvent``s.
  public static func timeline(name: String, title: String, events: [TimelineEvent]) -> Plot {
    let scale = HumanScale.choose(unit: "s", values: events.map(\.end))
    var lanes: [String] = []
    var kinds: [String] = []
    for e in events {
      if !lanes.contains(e.lane) { lanes.append(e.lane) }
      if !kinds.contains(e.kind) { kinds.append(e.kind) }
    }
    // A 60 s coalesce on a 30-day axis would be drawn zero pixels wide: bars are at least 1/200 of
    // the span, and the title says so when any was widened.
    let first = events.map(\.start).min() ?? 0
    let shortest = ((events.map(\.end).max() ?? 0) - first) / minimumBarFraction
    let series = kinds.map { kind in
      Series(
        kind, style: .segments,
        rows: events.filter { $0.kind == kind }.map {
          [
            $0.start / scale.divisor, Double(lanes.firstIndex(of: $0.lane) ?? 0),
            max($0.end, $0.start + shortest) / scale.divisor,
          ]
        })
    }
    let widened = events.contains { $0.end - $0.start < shortest }
    return Plot(
      name: name,
      title: title + (widened ? " (short spans widened to 1/\(Int(minimumBarFraction)) of the axis)" : ""),
      xLabel: "simulated time (\(scale.unit))", yLabel: "",
      yTics: lanes.enumerated().map { ($1, Double($0)) },
      series: series)
  }

  /// The shortest bar a timeline draws, as a fraction of its span (1/200: about 3 pixels in a report).
  static let minimumBarFraction = 200.0
}
