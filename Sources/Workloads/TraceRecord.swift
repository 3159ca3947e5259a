// SPDX-License-Identifier: GPL-3.0-or-later

/// What one trace line means, before time scaling and address mapping: a request, a line that carries
/// none (file open, another blktrace action, a comment), a discard (not modelled, only counted), or the
/// end of the events (blkparse's trailing summary).
enum TraceRecord: Equatable {
  case request(
    timeNanoseconds: Int64, operation: GuestRequest.Operation, lba: UInt64, sectors: Int,
    flags: GuestRequest.Flags)
  case skip
  case discard
  case end
}

/// One format's line parser. Parsers keep what they need across lines (fio's version line, MSR's first
/// timestamp) and throw a ``TraceError`` naming the line for anything they cannot read. Each is made
/// with an optional device filter (lines of other devices are skipped) and names the device of the last
/// request line it parsed (blkparse "MAJOR,MINOR", fio the file name, MSR "HOSTNAME_DISK").
protocol TraceLineParser {
  var lastDevice: String { get }
  mutating func parse(_ line: Substring, file: String, lineNumber: Int) throws(TraceError) -> TraceRecord
}

/// Shared pieces of the parsers.
enum TraceText {
  /// Whitespace-separated fields.
  static func fields(_ line: Substring) -> [Substring] {
    line.split(whereSeparator: { $0 == " " || $0 == "\t" })
  }

  /// Byte extent → sectors covering it (traces from files need not be sector aligned).
  static func sectors(offset: UInt64, length: UInt64) -> (lba: UInt64, sectors: Int) {
    let lba = offset / 512
    let end = (offset + length + 511) / 512
    return (lba, Int(end - lba))
  }

  /// "sec.nsec" (blkparse; fewer than 9 fraction digits are scaled) → nanoseconds.
  static func secondsDotNanos(_ s: Substring) -> Int64? {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 1 || parts.count == 2, let sec = Int64(parts[0]), sec >= 0 else { return nil }
    var ns: Int64 = 0
    if parts.count == 2 {
      let frac = parts[1]
      guard !frac.isEmpty, frac.count <= 9, frac.allSatisfy({ $0.isASCII && $0.isNumber }),
        var f = Int64(frac)
      else { return nil }
      for _ in frac.count..<9 { f *= 10 }
      ns = f
    }
    let (total, o1) = sec.multipliedReportingOverflow(by: 1_000_000_000)
    guard !o1 else { return nil }
    return total + ns
  }
}
