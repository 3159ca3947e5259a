// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The JSON files Experiments writes (`shard.json`, `summary.json`, `comparison.json`): Encodable
/// values through one `JSONEncoder` (keys sorted, pretty printed, `/` as written), with a trailing
/// newline, so equal values always give equal bytes.
enum JSONOutput {
  static func text<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do { return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n" } catch {
      // Only non-finite doubles fail to encode, and every double goes through `JSONNumber`.
      preconditionFailure("cannot encode \(T.self) as JSON: \(error)")
    }
  }
}

/// A number as the summaries write it: rounded to 10 significant digits (``ScenarioReport/format``),
/// `null` when absent or not finite.
struct JSONNumber: Encodable, Sendable {
  var value: Double?

  init(_ value: Double?) { self.value = value }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if let v = value, v.isFinite, let rounded = Double(ScenarioReport.format(v)) {
      try c.encode(rounded)
    } else {
      try c.encodeNil()
    }
  }
}
