// SPDX-License-Identifier: GPL-3.0-or-later

/// POSIX path arithmetic the engine needs for parent locators: blktap stores the path of the
/// parent relative to the child's folder (`./p.vhd`, `../d/p.vhd`), computed from canonical paths.
public enum VHDPath {
  /// The folder part of `path` ("." when there is none).
  public static func directory(_ path: String) -> String {
    guard let i = lastSlash(path) else { return "." }
    if i == path.startIndex { return "/" }
    return String(path[..<i])
  }

  /// The last component.
  public static func basename(_ path: String) -> String {
    guard let i = lastSlash(path) else { return path }
    return String(path[path.index(after: i)...])
  }

  /// The last "/" of `path` as a character. An ASCII path's characters are its bytes (a "/" starts
  /// no cluster), so it is found among the bytes, without walking grapheme clusters (the SR asks
  /// for names and folders of every node it places or scans); any other path is walked by
  /// character, so that a "/" followed by a combining mark stays part of its cluster.
  private static func lastSlash(_ path: String) -> String.Index? {
    // One pass over a native string's bytes: whether all are ASCII, and the last "/".
    let scan = path.utf8.withContiguousStorageIfAvailable { bytes -> (ascii: Bool, slash: Int?) in
      var high: UInt8 = 0
      var slash: Int?
      for i in bytes.indices {
        high |= bytes[i]
        if bytes[i] == UInt8(ascii: "/") { slash = i }
      }
      return (high < 0x80, slash)
    }
    if let scan, scan.ascii {
      return scan.slash.map { path.utf8.index(path.utf8.startIndex, offsetBy: $0) }
    }
    return path.lastIndex(of: "/")
  }

  /// `base/relative`, or `relative` when it is absolute.
  public static func join(_ base: String, _ relative: String) -> String {
    if relative.hasPrefix("/") { return relative }
    if base.hasSuffix("/") { return base + relative }
    return base + "/" + relative
  }

  /// Components of an absolute path with `.`/`..`/empty parts resolved lexically.
  static func components(_ path: String) -> [Substring] {
    var out: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if !out.isEmpty { out.removeLast() }
        continue
      }
      out.append(part)
    }
    return out
  }

  /// blktap's relative path from folder `fromDirectory` to file `to` (both absolute): `./name` in
  /// the same folder, otherwise `../` repeated then the remaining components.
  public static func relative(fromDirectory: String, to target: String) -> String {
    let a = components(fromDirectory)
    let b = components(target)
    var common = 0
    while common < a.count && common < b.count - 1 && a[common] == b[common] { common += 1 }
    let ups = a.count - common
    let rest = b[common...].joined(separator: "/")
    if ups == 0 { return "./" + rest }
    return String(repeating: "../", count: ups) + rest
  }
}
