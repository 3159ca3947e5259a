// SPDX-License-Identifier: GPL-3.0-or-later

/// MSR Cambridge block traces as SNIA IOTTA distributes them:
/// `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`, e.g.
/// `128166372003061629,hm,1,Read,3154685952,8192,1475`.
///
/// Timestamps are Windows FILETIME (100 ns units since 1601); replay time is taken relative to the first
/// request's timestamp (of any device, so a filtered device keeps its place in time). Offset and Size
/// are bytes; ResponseTime (100 ns units) is what the traced disk
/// took and is ignored. A header line beginning with "Timestamp" is allowed on line 1.
struct MSRParser: TraceLineParser {
  let deviceFilter: String?
  var lastDevice = ""
  var firstTimestamp: UInt64?

  init(device: String? = nil) { deviceFilter = device }

  mutating func parse(_ line: Substring, file: String, lineNumber: Int) throws(TraceError) -> TraceRecord {
    func fail(_ expected: String) -> TraceError {
      TraceError(file: file, line: lineNumber, expected: expected, found: String(line))
    }
    let text = line.trimmingSpaces
    if text.isEmpty { return .skip }
    if lineNumber == 1 && text.hasPrefix("Timestamp") { return .skip }
    let f = text.split(separator: ",", omittingEmptySubsequences: false)
    guard f.count == 7 else {
      throw fail("7 comma-separated fields: Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime")
    }
    guard let ts = UInt64(f[0].trimmingSpaces) else { throw fail("a FILETIME timestamp in field 1") }
    guard let disk = UInt32(f[2].trimmingSpaces) else { throw fail("a disk number in field 3") }
    let name = "\(f[1].trimmingSpaces)_\(disk)"
    let operation: GuestRequest.Operation
    switch f[3].trimmingSpaces.lowercased() {
    case "read": operation = .read
    case "write": operation = .write
    default: throw fail("Read or Write in field 4")
    }
    guard let offset = UInt64(f[4].trimmingSpaces) else { throw fail("a byte offset in field 5") }
    guard let size = UInt64(f[5].trimmingSpaces), size > 0 else { throw fail("a positive size in field 6") }
    guard UInt64(f[6].trimmingSpaces) != nil else { throw fail("a response time in field 7") }
    let base = firstTimestamp ?? ts
    if firstTimestamp == nil { firstTimestamp = ts }
    guard ts >= base else { throw fail("a timestamp not before the first request's") }
    if let deviceFilter, name != deviceFilter { return .skip }
    lastDevice = name
    let (lba, sectors) = TraceText.sectors(offset: offset, length: size)
    return .request(
      timeNanoseconds: Int64(ts - base) * 100, operation: operation, lba: lba, sectors: sectors, flags: [])
  }
}
