// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import VHD

/// The SR placement follows the SR's folder: every node has a volume on the device at its current
/// size (file SR: its length; LVM: its LV size as the SR says).
extension PoolModel {
  /// Brings the SR placement in line with the SR's folder: volumes of removed nodes are freed; a new
  /// node gets a volume (file SR: extents for its current length; LVM: its LV size); LVM volumes are
  /// resized to the SR's LV sizes (inflate, deflate). Renames are applied before, by whoever did them.
  mutating func syncPlacement() throws {

    let sr = host.sr
    let dir = sr.directory
    let names = try storage.list(directory: dir).sorted()
    var present = Set<String>()
    for name in names where sr.kind.uuid(ofNodeName: name) != nil { present.insert(VHDPath.join(dir, name)) }
    let prefix = dir.hasSuffix("/") ? dir : dir + "/"
    for (name, _) in tap.state.pointee.placement.volumeNames
    where name.hasPrefix(prefix) && !present.contains(name) {
      tap.state.pointee.placement.remove(name)
      host.placedSizes[name] = nil
    }
    for path in present.sorted() { try place(path) }
  }

  /// `syncPlacement` for the nodes at `paths` only: what a copy step touched (its levels), which
  /// can grow or shrink but not appear, vanish or be renamed. Keeps a GC step's cost independent of
  /// how many nodes the SR holds.
  mutating func syncPlacement(paths: [String]) throws {

    for path in paths {
      if storage.exists(path) {
        try place(path)
      } else if tap.volume(named: path) != nil {
        tap.state.pointee.placement.remove(path)
        host.placedSizes[path] = nil
      }
    }
  }

  /// Gives the node at `path` its volume at its current size (file SR: its length; LVM: its LV).
  private mutating func place(_ path: String) throws {

    let sr = host.sr
    let uuid = sr.kind.uuid(ofNodeName: VHDPath.basename(path)) ?? ""
    // An LV's size is the SR's to say; only a file SR (or an LV the SR has no size for) asks the file.
    let size: UInt64
    if case .lvm = sr.kind, let lv = sr.lvSizes[uuid] {
      size = lv
    } else {
      size = try storage.open(path, writable: false).length
    }
    // Placing a volume walks its extents: skip the ones whose size did not change since.
    if host.placedSizes[path] == size, tap.volume(named: path) != nil { return }
    host.placedSizes[path] = size
    let v = try tap.state.pointee.placement.attach(path, size: size)
    switch sr.kind {
    case .file: try tap.state.pointee.placement.reserve(volume: v, upTo: size)
    case .lvm: try tap.state.pointee.placement.resize(volume: v, to: Swift.max(size, 1))
    }
  }

  /// The SR renamed a node: its volume (its data on the device) follows the new name.
  mutating func renameVolume(_ from: String, to: String) {
    tap.state.pointee.placement.rename(from, to: to)
    host.placedSizes[from] = nil
    host.placedSizes[to] = nil
  }
}
