// SPDX-License-Identifier: GPL-3.0-or-later

/// fio's `write_iolog` format, which `read_iolog` replays.
///
/// Line 1 is `fio version 2 iolog` or `fio version 3 iolog`. Version 2 lines are `FILE ACTION` (add,
/// open, close) or `FILE ACTION OFFSET LENGTH` (read, write, sync, datasync, trim, and wait, whose
/// OFFSET is a delay in microseconds added to the clock). Version 3 (fio ≥ 3.31) puts a timestamp in
/// microseconds since the start first: `TS FILE ACTION [OFFSET LENGTH]`. Offsets and lengths are bytes;
/// every file maps to the one virtual disk unless a device filter keeps one file's lines (`wait` lines
/// count whatever their file). sync/datasync become flushes,
/// trim a counted discard.
struct FioIologParser: TraceLineParser {
  let deviceFilter: String?
  var lastDevice = ""
  var version = 0
  /// Version 2: microseconds accumulated from wait lines.
  var clockMicroseconds: Int64 = 0

  init(device: String? = nil) { deviceFilter = device }

  mutating func parse(_ line: Substring, file: String, lineNumber: Int) throws(TraceError) -> TraceRecord {
    func fail(_ expected: String) -> TraceError {
      TraceError(file: file, line: lineNumber, expected: expected, found: String(line))
    }
    if version == 0 {
      let header = line.trimmingSpaces
      if header == "fio version 2 iolog" {
        version = 2
      } else if header == "fio version 3 iolog" {
        version = 3
      } else {
        throw fail("\"fio version 2 iolog\" or \"fio version 3 iolog\" on the first line")
      }
      return .skip
    }
    var f = TraceText.fields(line)
    if f.isEmpty { return .skip }
    var micros = clockMicroseconds
    if version == 3 {
      guard let ts = Int64(f[0]), ts >= 0 else {
        throw fail("a timestamp in microseconds as the first field")
      }
      micros = ts
      f.removeFirst()
    }
    let shape = version == 3 ? "TIMESTAMP FILE ACTION [OFFSET LENGTH]" : "FILE ACTION [OFFSET LENGTH]"
    guard f.count == 2 || f.count == 4 else { throw fail(shape) }
    let action = f[1]
    if let deviceFilter, f[0] != deviceFilter, action != "wait" { return .skip }
    if action != "wait" { lastDevice = String(f[0]) }
    if f.count == 2 {
      switch action {
      case "add", "open", "close": return .skip
      case "sync", "datasync":
        return .request(timeNanoseconds: micros * 1000, operation: .flush, lba: 0, sectors: 0, flags: [])
      default: throw fail("add, open, close, sync or datasync after the file name")
      }
    }
    guard let offset = UInt64(f[2]) else { throw fail("a byte offset (or wait time) after the action") }
    guard let length = UInt64(f[3]) else { throw fail("a length in bytes after the offset") }
    switch action {
    case "wait":
      guard version == 2 else { throw fail("read, write, sync, datasync or trim (wait is version 2 only)") }
      clockMicroseconds += Int64(offset)
      return .skip
    case "sync", "datasync":
      return .request(timeNanoseconds: micros * 1000, operation: .flush, lba: 0, sectors: 0, flags: [])
    case "trim": return .discard
    case "read", "write":
      guard length > 0 else { throw fail("a positive length") }
      let (lba, sectors) = TraceText.sectors(offset: offset, length: length)
      return .request(
        timeNanoseconds: micros * 1000, operation: action == "read" ? .read : .write, lba: lba,
        sectors: sectors, flags: [])
    default:
      throw fail("read, write, sync, datasync, trim or wait as the action")
    }
  }
}

extension Substring {
  var trimmingSpaces: Substring {
    var s = self
    while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
    while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
    return s
  }
}
