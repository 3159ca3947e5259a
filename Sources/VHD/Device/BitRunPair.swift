// SPDX-License-Identifier: GPL-3.0-or-later

/// At most two runs of set bits among 4,096, packed into the low 50 bits of a word: the encoding
/// `CompactChunk` (a chunk's data sectors) and `SectorRuns` (a sector's bits) share.
///
/// Run `r` (0 or 1) sits at bits `24r ..< 24r + 24`, its first bit in the low 12 and its last bit in
/// the high 12; the run count at bits 48-49. It is built from the edges of the bits (the positions
/// where a bit differs from the one before it), which the callers find a word at a time in their
/// own bit order.
struct BitRunPair {
  static let bits = 4096
  private static let countShift: UInt64 = 48

  /// Up to four 13-bit edge positions, in order.
  private var edges: UInt64 = 0
  private var edgeCount: UInt64 = 0

  /// Notes an edge at `position` (ascending); false when it would be a fifth, so more than two runs.
  mutating func addEdge(at position: Int) -> Bool {
    guard edgeCount < 4 else { return false }
    edges |= UInt64(position) << (13 * edgeCount)
    edgeCount += 1
    return true
  }

  /// The packed runs, once every edge has been added (the last bit set means an edge at 4,096).
  var code: UInt64 {
    var code = (edgeCount / 2) << Self.countShift
    for run in 0..<edgeCount / 2 {
      let first = edges >> (26 * run) & 0x1FFF
      let end = edges >> (26 * run + 13) & 0x1FFF
      code |= (first | (end - 1) << 12) << (24 * run)
    }
    return code
  }

  /// Calls `body(first, end)` for each run packed in `code`.
  static func forEachRun(in code: UInt64, _ body: (Int, Int) -> Void) {
    for run in 0..<Int(code >> countShift & 3) {
      let field = code >> UInt64(24 * run)
      body(Int(field & 0xFFF), Int(field >> 12 & 0xFFF) + 1)
    }
  }
}
