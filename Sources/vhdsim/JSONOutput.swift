// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// `value` as the commands print JSON: `JSONEncoder`, sorted keys, one line unless `pretty`.
func jsonText<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
  return String(decoding: try encoder.encode(value), as: UTF8.self)
}
