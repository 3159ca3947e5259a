// SPDX-License-Identifier: GPL-3.0-or-later

/// A point in (or span of) simulated time, in integer nanoseconds.
///
/// Integers, not `Double`: sums of durations are exact and associative, so a scenario replays bit for bit
/// on every machine and equal-time events stay equal (their order is then decided by insertion order).
/// Int64 nanoseconds cover ±292 years, far beyond any run.
public struct SimTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// The time in nanoseconds since the start of the run (or the length of a span).
  public var nanoseconds: Int64

  @inlinable
  public init(nanoseconds: Int64) {
    self.nanoseconds = nanoseconds
  }

  /// Converts seconds to the nearest nanosecond, saturating at ``max``/``min`` (a heavy-tailed sample can
  /// exceed 292 years; clamping keeps it "never" instead of trapping). NaN is a programming error.
  @inlinable
  public init(seconds: Double) {
    precondition(!seconds.isNaN, "SimTime(seconds:) of NaN")
    let ns = (seconds * 1e9).rounded()
    if ns >= 9.223_372_036_854_775e18 {
      self.nanoseconds = .max
    } else if ns <= -9.223_372_036_854_775e18 {
      self.nanoseconds = .min
    } else {
      self.nanoseconds = Int64(ns)
    }
  }

  public static let zero = SimTime(nanoseconds: 0)
  /// "Never": later than every reachable event time.
  public static let max = SimTime(nanoseconds: .max)
  public static let min = SimTime(nanoseconds: .min)

  @inlinable public static func nanoseconds(_ n: Int) -> SimTime { SimTime(nanoseconds: Int64(n)) }
  @inlinable public static func microseconds(_ n: Int) -> SimTime { SimTime(nanoseconds: Int64(n) * 1_000) }
  @inlinable public static func milliseconds(_ n: Int) -> SimTime {
    SimTime(nanoseconds: Int64(n) * 1_000_000)
  }
  @inlinable public static func seconds(_ n: Int) -> SimTime {
    SimTime(nanoseconds: Int64(n) * 1_000_000_000)
  }
  @inlinable public static func seconds(_ s: Double) -> SimTime { SimTime(seconds: s) }
  @inlinable public static func milliseconds(_ ms: Double) -> SimTime { SimTime(seconds: ms / 1e3) }
  @inlinable public static func microseconds(_ us: Double) -> SimTime { SimTime(seconds: us / 1e6) }

  @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }
  @inlinable public var milliseconds: Double { Double(nanoseconds) / 1e6 }
  @inlinable public var microseconds: Double { Double(nanoseconds) / 1e3 }

  @inlinable public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
  @inlinable public static func + (a: SimTime, b: SimTime) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds + b.nanoseconds)
  }
  @inlinable public static func - (a: SimTime, b: SimTime) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds - b.nanoseconds)
  }
  @inlinable public static func += (a: inout SimTime, b: SimTime) { a.nanoseconds += b.nanoseconds }
  @inlinable public static func -= (a: inout SimTime, b: SimTime) { a.nanoseconds -= b.nanoseconds }
  @inlinable public static func * (a: SimTime, k: Int) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds * Int64(k))
  }
  @inlinable public static func * (k: Int, a: SimTime) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds * Int64(k))
  }
  /// Integer division, truncating toward zero like `Int64`.
  @inlinable public static func / (a: SimTime, k: Int) -> SimTime {
    SimTime(nanoseconds: a.nanoseconds / Int64(k))
  }
  /// The ratio of two spans (e.g. busy time / elapsed time).
  @inlinable public static func / (a: SimTime, b: SimTime) -> Double {
    Double(a.nanoseconds) / Double(b.nanoseconds)
  }

  /// A short human form with an adaptive unit ("17 ns", "250 µs", "1.5 s"), exact to the nanosecond
  /// (integer arithmetic only, no Foundation).
  public var description: String {
    if nanoseconds == .max { return "never" }
    if nanoseconds == .min { return "-never" }
    let negative = nanoseconds < 0
    let magnitude = nanoseconds.magnitude
    let (unit, scale): (String, UInt64) =
      switch magnitude {
      case ..<1_000: ("ns", 1)
      case ..<1_000_000: ("µs", 1_000)
      case ..<1_000_000_000: ("ms", 1_000_000)
      default: ("s", 1_000_000_000)
      }
    let whole = magnitude / scale
    let fraction = magnitude % scale
    var text = negative ? "-" : ""
    text += String(whole)
    if fraction != 0 {
      var digits = String(fraction)
      let width = String(scale).count - 1
      digits = String(repeating: "0", count: width - digits.count) + digits
      while digits.hasSuffix("0") { digits.removeLast() }
      text += "." + digits
    }
    return text + " " + unit
  }
}
