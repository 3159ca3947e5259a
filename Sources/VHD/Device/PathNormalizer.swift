// SPDX-License-Identifier: GPL-3.0-or-later

/// Lexical POSIX path normalisation shared by `FileStorage` and `MemoryStorage`, so both storages
/// agree on what a path means without touching the file system.
enum PathNormalizer {
  /// The absolute form of `path`: joined to `base` when relative, with empty and `.` components
  /// dropped and `..` removing the previous component (`..` at the root stays at the root).
  static func normalize(_ path: String, relativeTo base: String = "/") -> String {
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

  /// The folder and the last component of a normalised path ("/" has no name: `("/", "")`).
  static func split(_ normalized: String) -> (directory: String, name: String) {
    guard let slash = normalized.lastIndex(of: "/") else { return ("/", normalized) }
    let directory = slash == normalized.startIndex ? "/" : String(normalized[..<slash])
    return (directory, String(normalized[normalized.index(after: slash)...]))
  }
}
