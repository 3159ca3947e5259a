// SPDX-License-Identifier: GPL-3.0-or-later

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a text file one line at a time with `getline`, reusing one buffer: traces run to gigabytes, and
/// replay needs only the current line.
///
/// A class so the `FILE*` is closed exactly once, when the last reference goes.
final class LineReader {
  let path: String
  private let file: UnsafeMutablePointer<FILE>
  private var buffer: UnsafeMutablePointer<CChar>? = nil
  private var capacity = 0
  /// 1-based number of the line last returned.
  private(set) var lineNumber = 0

  init(path: String) throws(TraceError) {
    guard let f = fopen(path, "r") else {
      let reason = String(cString: strerror(errno))
      throw TraceError(file: path, line: 0, expected: "cannot open: \(reason)", found: "")
    }
    self.path = path
    file = f
  }

  deinit {
    free(buffer)
    fclose(file)
  }

  /// The next line without its line terminator (`\n` or `\r\n`), or nil at the end of the file.
  func nextLine() throws(TraceError) -> Substring? {
    let n = getline(&buffer, &capacity, file)
    if n < 0 {
      if ferror(file) != 0 {
        throw TraceError(
          file: path, line: lineNumber + 1, expected: "a readable line (read error)", found: "")
      }
      return nil
    }
    lineNumber += 1
    var length = n
    let bytes = UnsafeRawPointer(buffer!).assumingMemoryBound(to: UInt8.self)
    while length > 0 && (bytes[length - 1] == 10 || bytes[length - 1] == 13) { length -= 1 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    return text[...]
  }
}
