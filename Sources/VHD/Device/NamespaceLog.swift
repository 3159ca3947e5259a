// SPDX-License-Identifier: GPL-3.0-or-later

/// The paths of a storage's last creates, removes and renames, one per namespace generation (a
/// ring of `capacity`), so a reader that cached a folder can ask which names came or went since
/// its generation without listing the folder (`Storage.namespaceChanges`).
struct NamespaceLog {
  static let capacity = 1 << 16
  /// Namespace changes so far: the generation of the newest entry.
  private(set) var generation: UInt64 = 0
  private var paths = [String](repeating: "", count: NamespaceLog.capacity)

  /// Records a change of the name at `path` (a canonical path) as the next generation.
  mutating func record(_ path: String) {
    generation &+= 1
    paths[Int(generation % UInt64(Self.capacity))] = path
  }

  /// The paths changed after generation `since`, or nil when the ring no longer reaches back that
  /// far (or `since` is from the future).
  func changed(since: UInt64) -> Set<String>? {
    guard since <= generation, generation - since <= UInt64(Self.capacity) else { return nil }
    var changed = Set<String>()
    var g = since
    while g < generation {
      g &+= 1
      changed.insert(paths[Int(g % UInt64(Self.capacity))])
    }
    return changed
  }
}
