// SPDX-License-Identifier: GPL-3.0-or-later

/// The trace formats `TraceReplay` reads.
public enum TraceFormat: String, Hashable, Sendable, CaseIterable {
  /// `blkparse` default text output.
  case blkparse
  /// fio `write_iolog` output, version 2 or 3.
  case fio
  /// MSR Cambridge / SNIA IOTTA CSV.
  case msr

  /// The format of the trace at `path`, from its first line that is neither blank nor a `#` comment:
  /// `fio version N iolog` is fio; a first field `MAJOR,MINOR` followed by whitespace-separated fields is
  /// blkparse; seven comma-separated fields (or SNIA's `Timestamp,…` header) are MSR.
  public static func detect(path: String) throws(TraceError) -> TraceFormat {
    let reader = try LineReader(path: path)
    while let line = try reader.nextLine() {
      let text = line.trimmingSpaces
      if text.isEmpty || text.hasPrefix("#") { continue }
      if text.hasPrefix("fio version") { return .fio }
      let commas = text.split(separator: ",", omittingEmptySubsequences: false)
      if commas.count == 7 && UInt64(commas[0].trimmingSpaces) != nil || text.hasPrefix("Timestamp,") {
        return .msr
      }
      let first = TraceText.fields(text).first ?? ""
      let device = first.split(separator: ",", omittingEmptySubsequences: false)
      if device.count == 2, UInt32(device[0]) != nil, UInt32(device[1]) != nil { return .blkparse }
      throw TraceError(
        file: path, line: reader.lineNumber,
        expected:
          "a blkparse line (\"8,0 0 1 0.000000000 ...\"), \"fio version 2 iolog\" or \"fio version 3 iolog\", "
          + "or an MSR CSV line (7 comma-separated fields); name the format to override", found: String(line))
    }
    throw TraceError(file: path, line: 0, expected: "at least one trace line (the file is empty)", found: "")
  }
}
