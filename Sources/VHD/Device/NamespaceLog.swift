// SPDX-License-Identifier: GPL-3.0-or-later

/// The paths of a storage's last creates, removes and renames, one per namespace generation (a
/// ring of `capacity`), so a reader that cached a folder can ask which names came or went since
/// its generation without listing the folder (`Storage.namespaceChanges`).
struct NamespaceLog {
  static let capacity = 1 << 16
  /// Namespace changes so far: the generation of the newest entry.
  private(set) var generation: UInt64 = 0
  /// Generation g's path at (g − 1) mod `capacity`; grows to `capacity` as changes come, so a
  /// storage with few changes (the crash sweep makes thousands) holds few.
  private var paths: [String] = []

  /// Records a change of the name at `path` (a canonical path) as the next generation.
  mutating func record(_ path: String) {
    let slot = Int(generation % UInt64(Self.capacity))
    generation &+= 1
    if slot == paths.count { paths.append(path) } else { paths[slot] = path }
  }

  /// The paths changed after generation `since`, or nil when the ring no longer reaches back that
  /// far (or `since` is from the future).
  func changed(since: UInt64) -> Set<String>? {
    guard since <= generation, generation - since <= UInt64(Self.capacity) else { return nil }
    var changed = Set<String>()
    var g = since
    while g < generation {
      changed.insert(paths[Int(g % UInt64(Self.capacity))])
      g &+= 1
    }
    return changed
  }
}
