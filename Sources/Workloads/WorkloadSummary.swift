// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// What a request stream looks like, in the figures one checks first against a trace or a job file:
/// counts by operation, bytes, duration, sizes (power-of-two buckets) and where on the disk it went
/// (16 equal bins). Built one request at a time in constant memory, so it summarises traces of any
/// length.
///
/// The address histogram covers `0..<addressSpaceSectors` when the disk size is known. Otherwise (a
/// trace) it starts at 2²¹ sectors (1 GiB) and doubles its span, merging bins pairwise, whenever a
/// request ends beyond it — exact counts, bins always equal and a power of two sectors wide.
public struct WorkloadSummary: Hashable, Sendable {
  public static let addressBins = 16

  public private(set) var requests = 0
  public private(set) var reads = 0
  public private(set) var writes = 0
  public private(set) var flushes = 0
  public private(set) var bytesRead: UInt64 = 0
  public private(set) var bytesWritten: UInt64 = 0
  public private(set) var firstTime: SimTime?
  public private(set) var lastTime: SimTime?
  /// `sizeBuckets[k]`: data requests of 2^k ≤ bytes < 2^(k+1).
  public private(set) var sizeBuckets = [Int](repeating: 0, count: 64)
  /// Data requests whose first sector falls in each bin.
  public private(set) var addressCounts = [Int](repeating: 0, count: WorkloadSummary.addressBins)
  /// Span covered by the address histogram, in sectors.
  public private(set) var addressSpanSectors: UInt64
  let fixedSpan: Bool
  /// Trace lines skipped as discards (replay only).
  public var discards: Int?
  /// Fragmenting workloads: touched blocks, full blocks and their ratio.
  public var blockCoverage: (touched: Int, full: Int, fraction: Double)? {
    get { coverage.map { ($0.0, $0.1, $0.1 == 0 ? 0 : Double($0.1) / Double($0.0)) } }
    set { coverage = newValue.map { ($0.touched, $0.full) } }
  }
  var coverage: (Int, Int)?

  public static func == (a: WorkloadSummary, b: WorkloadSummary) -> Bool {
    a.requests == b.requests && a.reads == b.reads && a.writes == b.writes && a.flushes == b.flushes
      && a.bytesRead == b.bytesRead && a.bytesWritten == b.bytesWritten && a.firstTime == b.firstTime
      && a.lastTime == b.lastTime && a.sizeBuckets == b.sizeBuckets && a.addressCounts == b.addressCounts
      && a.addressSpanSectors == b.addressSpanSectors && a.discards == b.discards
      && a.coverage?.0 == b.coverage?.0 && a.coverage?.1 == b.coverage?.1
  }
  public func hash(into h: inout Hasher) {
    h.combine(requests)
    h.combine(bytesRead)
    h.combine(bytesWritten)
    h.combine(addressCounts)
  }

  /// - Parameter addressSpaceSectors: the disk size, if known (nil: grow to fit, see above).
  public init(addressSpaceSectors: UInt64? = nil) {
    if let s = addressSpaceSectors, s > 0 {
      addressSpanSectors = s
      fixedSpan = true
    } else {
      addressSpanSectors = 1 << 21
      fixedSpan = false
    }
  }

  public mutating func record(_ r: GuestRequest) {
    requests += 1
    if firstTime == nil || r.time < firstTime! { firstTime = r.time }
    if lastTime == nil || r.time > lastTime! { lastTime = r.time }
    switch r.operation {
    case .flush:
      flushes += 1
      return
    case .read:
      reads += 1
      bytesRead += UInt64(r.bytes)
    case .write:
      writes += 1
      bytesWritten += UInt64(r.bytes)
    }
    if r.sectors > 0 {
      sizeBuckets[63 - r.bytes.leadingZeroBitCount] += 1
    }
    if !fixedSpan {
      while r.endLBA > addressSpanSectors && addressSpanSectors < 1 << 62 {
        for i in 0..<Self.addressBins / 2 {
          addressCounts[i] = addressCounts[2 * i] + addressCounts[2 * i + 1]
        }
        for i in Self.addressBins / 2..<Self.addressBins { addressCounts[i] = 0 }
        addressSpanSectors *= 2
      }
    }
    addressCounts[addressBin(r.lba)] += 1
  }

  /// The bin of a sector (the last bin for anything beyond the span).
  public func addressBin(_ lba: UInt64) -> Int {
    let bin = lba.multipliedFullWidth(by: UInt64(Self.addressBins))
    let (q, _) = addressSpanSectors.dividingFullWidth(bin)
    return Int(min(q, UInt64(Self.addressBins - 1)))
  }

  /// Last request time − first request time.
  public var durationSeconds: Double {
    guard let firstTime, let lastTime else { return 0 }
    return (lastTime - firstTime).seconds
  }

  /// Non-empty size buckets as (lower bound in bytes, count).
  public var sizeHistogram: [(bytes: Int, count: Int)] {
    sizeBuckets.enumerated().filter { $0.element > 0 }.map { (1 << $0.offset, $0.element) }
  }

  /// One JSON object on one line, sorted keys (`JSONEncoder`; see `encode(to:)`).
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  /// Aligned text for people.
  public var text: String {
    var lines: [String] = []
    lines.append("requests          \(requests) (\(reads) reads, \(writes) writes, \(flushes) flushes)")
    lines.append("bytes             \(bytesRead) read, \(bytesWritten) written")
    lines.append("duration          \(Self.number(durationSeconds)) s")
    if let discards { lines.append("discards skipped  \(discards)") }
    if let c = blockCoverage {
      lines.append(
        "blocks            \(c.touched) touched, \(c.full) full (full-block fraction \(Self.number(c.fraction)))"
      )
    }
    lines.append("sizes             (bytes at least: count)")
    for (bytes, count) in sizeHistogram {
      lines.append("  " + Self.pad(Self.bytesText(bytes), 14) + "  \(count)")
    }
    lines.append(
      "addresses         16 bins over \(addressSpanSectors) sectors (first sector of each request)")
    lines.append("  " + addressCounts.map(String.init).joined(separator: " "))
    return lines.joined(separator: "\n")
  }

  static func number(_ x: Double) -> String {
    x.isFinite ? (x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)) : "null"
  }

  static func bytesText(_ b: Int) -> String {
    b >= 1 << 30
      ? "\(b >> 30) GiB" : b >= 1 << 20 ? "\(b >> 20) MiB" : b >= 1024 ? "\(b >> 10) KiB" : "\(b) B"
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }
}
