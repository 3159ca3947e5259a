// SPDX-License-Identifier: GPL-3.0-or-later

/// One journal entry of the storage manager (`journaler.py` / `fjournaler.py`): what an
/// interrupted operation left so that the next attach, scan or GC run can undo or finish it. At
/// most one entry exists per (kind, key).
public struct SRJournal: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, CaseIterable, Sendable {
    /// Marker of a running non-leaf coalesce (key: the child C, value "1"). No undo meaning: every
    /// GC loop iteration drops all of them.
    case coalesce
    /// The copy of C into P finished; the children of C are being relinked (key C, value P).
    /// Protects the hidden C from garbage collection and makes the GC resume it first.
    case relink
    /// A leaf coalesce is between its start and its swap (key L, value P).
    case leaf
    /// A snapshot or clone is in progress (key: the original VDI, value `<base>_<second>`, with
    /// `_clone` appended for `vdi_clone`).
    case clone
    /// An LV is being inflated (key: the node, value: its LV size before, in bytes).
    case inflate
  }

  public var kind: Kind
  public var key: String
  public var value: String

  public init(kind: Kind, key: String, value: String) {
    self.kind = kind
    self.key = key
    self.value = value
  }

  public var description: String { "\(kind.rawValue)[\(key)]=\(value)" }

  /// File SR entry name: `journal-<kind>-<key>` (the value is the file's content). It never ends
  /// in `.vhd`, so a scan never takes it for a node.
  static func fileName(kind: Kind, key: String) -> String { "journal-\(kind.rawValue)-\(key)" }

  /// LVM entry name: the LV `<kind>_<key>_<value>`. It never starts with `VHD-`.
  var lvName: String { "\(kind.rawValue)_\(key)_\(value)" }

  /// Parses a file SR entry name into (kind, key); nil for any other name.
  static func parseFileName(_ name: String) -> (kind: Kind, key: String)? {
    guard name.hasPrefix("journal-") else { return nil }
    let rest = name.dropFirst("journal-".count)
    guard let dash = rest.firstIndex(of: "-"), let kind = Kind(rawValue: String(rest[..<dash])) else {
      return nil
    }
    let key = String(rest[rest.index(after: dash)...])
    return key.isEmpty ? nil : (kind, key)
  }

  /// Parses an LVM journal LV name; nil for any other name. Keys are uuids, which hold no `_`.
  static func parseLVName(_ name: String) -> SRJournal? {
    let parts = name.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, let kind = Kind(rawValue: String(parts[0])), !parts[1].isEmpty else { return nil }
    return SRJournal(kind: kind, key: String(parts[1]), value: String(parts[2]))
  }
}
