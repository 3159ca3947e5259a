// SPDX-License-Identifier: GPL-3.0-or-later

/// A 2-D plot as data, independent of the tool that draws it: named series of rows, each drawn in one
/// style. ``Gnuplot`` turns it into a data file, a script and an SVG.
public struct Plot: Sendable, Equatable {
  public enum Style: Sendable, Equatable {
    /// Rows `x y`.
    case lines, points, linesPoints, steps
    /// Rows `x1 y x2`: a horizontal bar from x1 to x2 at y (timelines).
    case segments
  }

  public struct Series: Sendable, Equatable {
    public var title: String
    public var style: Style
    public var rows: [[Double]]
    public init(_ title: String, style: Style, rows: [[Double]]) {
      self.title = title
      self.style = style
      self.rows = rows
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

  public init(
    name: String, title: String, xLabel: String, yLabel: String, logX: Bool = false,
    yTics: [(label: String, value: Double)] = [], series: [Series]
  ) {
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
      && a.series == b.series
  }

  /// Series that have something to draw.
  public var drawable: [Series] { series.filter { !$0.rows.isEmpty } }

  /// A timeline of `events`: one lane per distinct lane (in first-seen order), one series per kind.
  /// Generic on purpose: GC passes, coalesces and pauses all arrive as ``TimelineEvent``s.
  public static func timeline(name: String, title: String, events: [TimelineEvent]) -> Plot {
    var lanes: [String] = []
    var kinds: [String] = []
    for e in events {
      if !lanes.contains(e.lane) { lanes.append(e.lane) }
      if !kinds.contains(e.kind) { kinds.append(e.kind) }
    }
    let series = kinds.map { kind in
      Series(
        kind, style: .segments,
        rows: events.filter { $0.kind == kind }.map {
          [$0.start, Double(lanes.firstIndex(of: $0.lane) ?? 0), $0.end]
        })
    }
    return Plot(
      name: name, title: title, xLabel: "simulated time (s)", yLabel: "",
      yTics: lanes.enumerated().map { ($1, Double($0)) }, series: series)
  }
}
