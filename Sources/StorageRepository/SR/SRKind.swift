// SPDX-License-Identifier: GPL-3.0-or-later

/// The two SR families whose space rules differ: a file SR (ext, nfs, smb: `<uuid>.vhd` files in
/// one folder, sized by what they hold) and an LVM SR (lvm, lvmoiscsi, lvmohba: one LV
/// `VHD-<uuid>` per node, sized by the storage manager independently of the VHD inside).
public enum SRKind: Equatable, Sendable {
  case file
  case lvm(LVMProvisioning)

  /// How a node of uuid `uuid` is named in the SR's folder.
  public func nodeName(_ uuid: String) -> String {
    switch self {
    case .file: return uuid + ".vhd"
    case .lvm: return "VHD-" + uuid
    }
  }

  /// The uuid a node name stands for, or nil for a name that is not a VHD node of this SR.
  public func uuid(ofNodeName name: String) -> String? {
    switch self {
    case .file:
      guard name.hasSuffix(".vhd"), Self.longerThan4(name) else { return nil }
      return String(name.dropLast(4))
    case .lvm:
      guard name.hasPrefix("VHD-"), Self.longerThan4(name) else { return nil }
      return String(name.dropFirst(4))
    }
  }

  /// Whether `name` has more than 4 characters. An ASCII name's characters are its bytes, counted
  /// without walking grapheme clusters (the SR asks this of every node name it scans or places).
  private static func longerThan4(_ name: String) -> Bool {
    let bytes = name.utf8
    return bytes.allSatisfy { $0 < 0x80 } ? bytes.count > 4 : name.count > 4
  }
}

/// SR `allocation=thin|thick` (docs/storage-manager.md#thin-and-thick). Thick is the storage
/// manager's default: every LV of a writable VDI is created fully inflated. Thin creates 8 MiB LVs
/// and inflates them on attach.
public enum LVMProvisioning: Equatable, Sendable {
  case thick
  case thin
}
