// SPDX-License-Identifier: GPL-3.0-or-later

/// An LVM SR's LV sizes by node uuid, with their sum kept as they change.
///
/// Why: the pool records the SR's physical utilisation (the sum) after every SR operation, and
/// summing a 200-VM SR's 2,000 LVs each time was 1.6 % of a month's simulation.
public struct LVSizes: Equatable, Sendable, ExpressibleByDictionaryLiteral {
  public private(set) var sizes: [String: UInt64] = [:]
  /// The sum of `sizes`.
  public private(set) var total: UInt64 = 0

  public init() {}

  public init(_ sizes: [String: UInt64]) {
    self.sizes = sizes
    total = sizes.values.reduce(0, +)
  }

  public init(dictionaryLiteral elements: (String, UInt64)...) {
    self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }

  /// The LV size of node `uuid`; nil removes it.
  public subscript(uuid: String) -> UInt64? {
    get { sizes[uuid] }
    set {
      if let old = sizes[uuid] { total -= old }
      if let newValue { total += newValue }
      sizes[uuid] = newValue
    }
  }
}
