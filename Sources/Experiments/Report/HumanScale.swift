// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// A unit a person reads without counting digits, picked from the magnitude of the values it is to
/// show: 2,592,000 s is 30 days, 1.093e12 bytes is 1,018 GiB, 162 µs stays µs. One scale serves a
/// whole table column or plot axis, so numbers that are compared are in the same unit.
public struct HumanScale: Sendable, Equatable {
  /// The unit shown (`ms`, `GiB`, `days`, or the metric's own unit when no scaling applies).
  public var unit: String
  /// Values in the metric's unit are divided by this.
  public var divisor: Double

  public init(unit: String, divisor: Double) {
    self.unit = unit
    self.divisor = divisor
  }

  /// Ladders of (unit, size in the base unit), smallest first; a value takes the largest step it
  /// reaches at least once.
  static let time: [(String, Double)] = [
    ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("min", 60), ("hours", 3600), ("days", 86_400),
  ]
  static let bytes: [(String, Double)] = [
    ("bytes", 1), ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
  ]

  /// The scale for values in `unit` whose largest magnitude is `magnitude`. Minutes and hours are
  /// used only from 2 of them up (90 s reads better than 1.5 min).
  public static func choose(unit: String, magnitude: Double) -> HumanScale {
    let m = abs(magnitude)
    switch unit {
    case "µs", "ms", "s":
      let base = unit == "µs" ? 1e-6 : unit == "ms" ? 1e-3 : 1
      let seconds = m * base
      var pick = time[0]
      for step in time where seconds >= step.1 * (step.1 >= 60 ? 2 : 1) { pick = step }
      if m == 0 { pick = time.first { $0.0 == unit }! }
      return HumanScale(unit: pick.0, divisor: pick.1 / base)
    case "bytes", "bytes/s":
      var pick = bytes[0]
      for step in bytes where m >= step.1 { pick = step }
      return HumanScale(unit: unit == "bytes" ? pick.0 : pick.0 + "/s", divisor: pick.1)
    default:
      return HumanScale(unit: unit, divisor: 1)
    }
  }

  /// The scale for a set of values (a column, an axis): chosen from the largest magnitude.
  public static func choose(unit: String, values: [Double]) -> HumanScale {
    choose(unit: unit, magnitude: values.filter(\.isFinite).map(abs).max() ?? 0)
  }

  /// The same scale writing numbers only (a table whose heading names the unit).
  public var bare: HumanScale { HumanScale(unit: "", divisor: divisor) }

  /// Whether the unit is worth writing after a number (`count` and `per request` read as plain).
  var showsUnit: Bool { !["count", "0 or 1", ""].contains(unit) }

  /// `x` in this scale with its unit: `1.2 ms`, `30 days`, `1,018 GiB`, `12` (a count).
  public func text(_ x: Double) -> String {
    let n = Self.number(x / divisor)
    guard showsUnit else { return n }
    // "1 level", "1 day": the plural units drop their s for exactly one.
    return n == "1" && ["levels", "hours", "days"].contains(unit) ? "1 \(unit.dropLast())" : "\(n) \(unit)"
  }

  /// Four significant digits without exponents: `0.001234`, `12.35`, `37,674` (whole numbers of five
  /// or more digits are grouped in thousands rather than written as 3.767e+04).
  public static func number(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if x == 0 { return "0" }
    if abs(x) >= 10_000 {
      let digits = String(Int64(x.rounded()).magnitude)
      var grouped = ""
      for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { grouped += "," }
        grouped.append(c)
      }
      return (x < 0 ? "-" : "") + grouped
    }
    let decimals = max(0, 3 - Int(floor(log10(abs(x)))))
    var s = String(format: "%.\(decimals)f", x)
    if s.contains(".") {
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
    }
    return s
  }
}
