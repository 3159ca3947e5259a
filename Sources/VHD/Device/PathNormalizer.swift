// SPDX-License-Identifier: GPL-3.0-or-later

/// Lexical POSIX path normalisation shared by `FileStorage` and `MemoryStorage`, so both storages
/// agree on what a path means without touching the file system.
enum PathNormalizer {
  /// The absolute form of `path`: joined to `base` when relative, with empty and `.` components
  /// dropped and `..` removing the previous component (`..` at the root stays at the root).
  static func normalize(_ path: String, relativeTo base: String = "/") -> String {
    if isNormalized(path) { return path }
    let full = path.hasPrefix("/") ? path : base + "/" + path
    var parts: [Substring] = []
    for part in full.split(separator: "/", omittingEmptySubsequences: true) {
      switch part {
      case ".": continue
      case "..": _ = parts.popLast()
      default: parts.append(part)
      }
    }
    return "/" + parts.joined(separator: "/")
  }

  /// Whether `path` is already in normal form: absolute, no empty, `.` or `..` component, no
  /// trailing slash (the root excepted). Storages normalise every path they are given, and most
  /// already are, so this check saves splitting and joining them.
  static func isNormalized(_ path: String) -> Bool {
    var utf8 = path.utf8.makeIterator()
    guard utf8.next() == UInt8(ascii: "/") else { return false }
    // Length of the current component and whether it is all dots so far.
    var length = 0
    var dots = 0
    var any = false
    while let c = utf8.next() {
      any = true
      if c == UInt8(ascii: "/") {
        if length == 0 || (length == dots && dots <= 2) { return false }
        length = 0
        dots = 0
      } else {
        length += 1
        if c == UInt8(ascii: ".") { dots += 1 }
      }
    }
    guard any else { return true }  // "/"
    return length > 0 && !(length == dots && dots <= 2)
  }

  /// The folder and the last component of a normalised path ("/" has no name: `("/", "")`).
  static func split(_ normalized: String) -> (directory: String, name: String) {
    guard let slash = normalized.lastIndex(of: "/") else { return ("/", normalized) }
    let directory = slash == normalized.startIndex ? "/" : String(normalized[..<slash])
    return (directory, String(normalized[normalized.index(after: slash)...]))
  }
}
