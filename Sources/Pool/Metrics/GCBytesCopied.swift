// SPDX-License-Identifier: GPL-3.0-or-later

/// Payload the GC copied: by non-leaf coalesces (snapshot-coalesce iterations included) and by leaf
/// copies (mirror passes included).
public struct GCBytesCopied: Sendable, Equatable {
  public var nonLeaf: UInt64 = 0
  public var leaf: UInt64 = 0

  public init() {}

  public var total: UInt64 { nonLeaf + leaf }
}
