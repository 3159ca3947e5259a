// SPDX-License-Identifier: GPL-3.0-or-later

/// The summary as programs read it (`vhdsim workload … --json`): counts and bytes, the duration,
/// the non-empty size buckets, the address histogram, and the replay and fragmenting extras when
/// there are any. Whole numbers of seconds print as integers, non-finite values as null.
extension WorkloadSummary: Encodable {
  private enum CodingKeys: String, CodingKey {
    case requests, reads, writes, flushes, discards
    case bytesRead = "bytes_read"
    case bytesWritten = "bytes_written"
    case durationSeconds = "duration_seconds"
    case sizeHistogram = "size_histogram"
    case addressHistogram = "address_histogram"
    case touchedBlocks = "touched_blocks"
    case fullBlocks = "full_blocks"
    case fullBlockFraction = "full_block_fraction"
  }

  private struct SizeBucket: Encodable {
    var bytesAtLeast: Int
    var count: Int
    enum CodingKeys: String, CodingKey {
      case bytesAtLeast = "bytes_at_least"
      case count
    }
  }

  private struct AddressHistogram: Encodable {
    var spanSectors: UInt64
    var bins: Int
    var counts: [Int]
    enum CodingKeys: String, CodingKey {
      case spanSectors = "span_sectors"
      case bins, counts
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(requests, forKey: .requests)
    try c.encode(reads, forKey: .reads)
    try c.encode(writes, forKey: .writes)
    try c.encode(flushes, forKey: .flushes)
    try c.encode(bytesRead, forKey: .bytesRead)
    try c.encode(bytesWritten, forKey: .bytesWritten)
    try Self.encode(durationSeconds, in: &c, forKey: .durationSeconds)
    try c.encode(
      sizeHistogram.map { SizeBucket(bytesAtLeast: $0.bytes, count: $0.count) }, forKey: .sizeHistogram)
    try c.encode(
      AddressHistogram(spanSectors: addressSpanSectors, bins: Self.addressBins, counts: addressCounts),
      forKey: .addressHistogram)
    try c.encodeIfPresent(discards, forKey: .discards)
    if let coverage = blockCoverage {
      try c.encode(coverage.touched, forKey: .touchedBlocks)
      try c.encode(coverage.full, forKey: .fullBlocks)
      try Self.encode(coverage.fraction, in: &c, forKey: .fullBlockFraction)
    }
  }

  /// `x` as `number(_:)` prints it: a whole number as an integer, non-finite as null.
  private static func encode(
    _ x: Double, in c: inout KeyedEncodingContainer<CodingKeys>, forKey key: CodingKeys
  ) throws {
    if !x.isFinite {
      try c.encodeNil(forKey: key)
    } else if x == x.rounded() && abs(x) < 1e15 {
      try c.encode(Int64(x), forKey: key)
    } else {
      try c.encode(x, forKey: key)
    }
  }
}
