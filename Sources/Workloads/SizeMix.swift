// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Why a request-size mix could not be parsed or built.
public struct SizeMixError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The text given.
  public let text: String
  /// What was wrong, in words.
  public let reason: String

  public init(text: String, reason: String) {
    self.text = text
    self.reason = reason
  }

  public var description: String { "bad size mix \"\(text)\": \(reason)" }
}

/// A distribution of request sizes, written like fio's `bssplit`: `"4k/60:16k/25:64k/15"` means 60 % of
/// requests are 4 KiB, 25 % 16 KiB, 15 % 64 KiB.
///
/// Real guests mix sizes (page-sized metadata, larger data extents), and chain costs depend on whether
/// requests cross 2 MiB blocks, so a single size misleads. As in fio, entries without a percentage share
/// whatever the others leave (`"4k/50:8k:16k"` = 50/25/25), and percentages must not exceed 100.
public struct SizeMix: Hashable, Sendable, CustomStringConvertible {
  /// (bytes, weight) pairs in the order given; weights sum to 1.
  public let entries: [(bytes: Int, weight: Double)]

  public static func == (a: SizeMix, b: SizeMix) -> Bool {
    a.entries.count == b.entries.count
      && zip(a.entries, b.entries).allSatisfy { $0.bytes == $1.bytes && $0.weight == $1.weight }
  }
  public func hash(into h: inout Hasher) {
    for e in entries {
      h.combine(e.bytes)
      h.combine(e.weight)
    }
  }

  /// A single size.
  public init(bytes: Int) {
    precondition(bytes > 0 && bytes % 512 == 0, "request size must be a positive multiple of 512")
    entries = [(bytes, 1)]
  }

  /// Sizes with explicit weights (any positive scale).
  public init(_ entries: [(bytes: Int, weight: Double)]) throws(SizeMixError) {
    let text = entries.map { "\($0.bytes)/\($0.weight)" }.joined(separator: ":")
    guard !entries.isEmpty else { throw SizeMixError(text: text, reason: "no sizes") }
    var total = 0.0
    for e in entries {
      guard e.bytes > 0, e.bytes % 512 == 0 else {
        throw SizeMixError(text: text, reason: "size \(e.bytes) is not a positive multiple of 512 bytes")
      }
      guard e.weight.isFinite, e.weight >= 0 else {
        throw SizeMixError(text: text, reason: "weight \(e.weight) is negative or not finite")
      }
      total += e.weight
    }
    guard total > 0 else { throw SizeMixError(text: text, reason: "all weights are zero") }
    self.entries = entries.map { ($0.bytes, $0.weight / total) }
  }

  /// Parses fio's bssplit syntax: `size[/percent]` entries separated by `:`. Sizes take a k/m/g suffix
  /// (binary, case-insensitive, optional trailing `b`/`ib`) or are bytes.
  public init(parsing text: String) throws(SizeMixError) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    var sizes: [Int] = []
    var percents: [Double?] = []
    for (i, part) in parts.enumerated() {
      let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
      guard pieces.count == 1 || pieces.count == 2 else {
        throw SizeMixError(text: text, reason: "entry \(i + 1) \"\(part)\" is not SIZE or SIZE/PERCENT")
      }
      guard let bytes = Self.parseSize(pieces[0]) else {
        throw SizeMixError(
          text: text, reason: "entry \(i + 1): \"\(pieces[0])\" is not a size like 4k, 64K, 1m or 4096")
      }
      guard bytes > 0, bytes % 512 == 0 else {
        throw SizeMixError(
          text: text, reason: "entry \(i + 1): size \(bytes) is not a positive multiple of 512 bytes")
      }
      sizes.append(bytes)
      if pieces.count == 2 {
        guard let p = Double(pieces[1]), p.isFinite, p >= 0, p <= 100 else {
          throw SizeMixError(
            text: text, reason: "entry \(i + 1): \"\(pieces[1])\" is not a percentage in 0...100")
        }
        percents.append(p)
      } else {
        percents.append(nil)
      }
    }
    let given = percents.reduce(0.0) { $0 + ($1 ?? 0) }
    guard given <= 100 + 1e-9 else {
      throw SizeMixError(text: text, reason: "percentages add up to \(given), more than 100")
    }
    let unspecified = percents.filter { $0 == nil }.count
    if unspecified == 0 && given < 100 - 1e-9 {
      throw SizeMixError(text: text, reason: "percentages add up to \(given), not 100")
    }
    let share = unspecified == 0 ? 0 : (100 - given) / Double(unspecified)
    var entries: [(bytes: Int, weight: Double)] = []
    for (bytes, p) in zip(sizes, percents) {
      entries.append((bytes, p ?? share))
    }
    do {
      try self.init(entries)
    } catch {
      throw SizeMixError(text: text, reason: error.reason)
    }
  }

  static func parseSize(_ s: Substring) -> Int? {
    var digits = s.lowercased()[...]
    if digits.hasSuffix("ib") {
      digits = digits.dropLast(2)
    } else if digits.hasSuffix("b") {
      digits = digits.dropLast()
    }
    var multiplier = 1
    switch digits.last {
    case "k": multiplier = 1 << 10
    case "m": multiplier = 1 << 20
    case "g": multiplier = 1 << 30
    default: break
    }
    if multiplier != 1 { digits = digits.dropLast() }
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits) else { return nil }
    let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : product
  }

  /// The largest size in the mix (what an address must leave room for).
  public var maximumBytes: Int { entries.map(\.bytes).max() ?? 0 }

  /// The bssplit form, percentages to two decimals at most.
  public var description: String {
    entries.map { e in
      let bytes = e.bytes
      let size =
        bytes % (1 << 20) == 0 ? "\(bytes >> 20)m" : bytes % 1024 == 0 ? "\(bytes >> 10)k" : "\(bytes)"
      let p = (e.weight * 10_000).rounded() / 100
      let pText = p == p.rounded() ? String(Int(p)) : String(p)
      return "\(size)/\(pText)"
    }.joined(separator: ":")
  }
}

/// Draws sizes from a ``SizeMix`` in O(1) (Walker's alias table).
public struct SizeSampler {
  public let mix: SizeMix
  let table: DiscreteDistribution?
  let sizes: [Int]

  public init(mix: SizeMix) {
    self.mix = mix
    sizes = mix.entries.map(\.bytes)
    // A single size needs no table and draws nothing from the stream.
    table = sizes.count == 1 ? nil : try? DiscreteDistribution(weights: mix.entries.map(\.weight))
  }

  /// A size in bytes.
  public func sample(_ random: RandomStream) -> Int {
    guard let table else { return sizes[0] }
    return sizes[table.sample(random)]
  }
}
