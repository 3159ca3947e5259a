// SPDX-License-Identifier: GPL-3.0-or-later

/// Lexical POSIX path normalisation shared by `FileStorage` and `MemoryStorage`, so both storages
/// agree on what a path means without touching the file system.
enum PathNormalizer {
  /// The absolute form of `path`: joined to `base` when relative, with empty and `.` components
  /// dropped and `..` removing the previous component (`..` at the root stays at the root).
  static func normalize(_ path: String, relativeTo base: String = "/") -> String {
    if isNormalized(path) { return path }
    let full = path.hasPrefix("/") ? path : base + "/" + path
    return normalizeASCII(full) ?? normalizeByCharacters(full)
  }

  /// The definition: `full` (absolute) split by `Character`, empty and `.` parts dropped, `..`
  /// removing the part before it.
  static func normalizeByCharacters(_ full: String) -> String {
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

  /// `normalize` over the bytes of an ASCII path (nil for any other): splitting by `Character`
  /// cost 20,000 instructions a path, and every storage call with a relative or dotted path pays it.
  /// Only ASCII, because a "/" followed by a combining mark is one `Character` that is not "/".
  private static func normalizeASCII(_ full: String) -> String? {
    full.utf8.withContiguousStorageIfAvailable { bytes -> String? in
      var out: [UInt8] = []
      out.reserveCapacity(bytes.count + 1)
      var i = 0
      while i < bytes.count {
        guard bytes[i] < 0x80 else { return nil }
        if bytes[i] == UInt8(ascii: "/") {
          i += 1
          continue
        }
        var end = i
        while end < bytes.count && bytes[end] != UInt8(ascii: "/") {
          guard bytes[end] < 0x80 else { return nil }
          end += 1
        }
        let length = end - i
        let dot = UInt8(ascii: ".")
        if length == 1 && bytes[i] == dot {
          // "." names the folder itself.
        } else if length == 2 && bytes[i] == dot && bytes[i + 1] == dot {
          // ".." drops the last component kept (none at the root).
          while let last = out.popLast(), last != UInt8(ascii: "/") {}
        } else {
          out.append(UInt8(ascii: "/"))
          out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
        }
        i = end
      }
      return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    } ?? nil
  }

  /// Whether `path` is already in normal form: absolute, ASCII, no empty, `.` or `..` component,
  /// no trailing slash (the root excepted); other paths go the full way. Storages normalise every
  /// path they are given, and most already are, so this check saves splitting and joining them.
  static func isNormalized(_ path: String) -> Bool {
    // Native strings hand out their bytes: a loop over a buffer, not the view's iterator.
    path.utf8.withContiguousStorageIfAvailable { isNormalized(utf8: $0) } ?? isNormalized(utf8: path.utf8)
  }

  private static func isNormalized<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) -> Bool {
    var utf8 = bytes.makeIterator()
    guard utf8.next() == UInt8(ascii: "/") else { return false }
    // Length of the current component and whether it is all dots so far.
    var length = 0
    var dots = 0
    var any = false
    while let c = utf8.next() {
      any = true
      // Not ASCII: a "/" and the combining mark after it are one `Character`, which the full
      // normalisation does not split at; it decides.
      if c >= 0x80 { return false }
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
