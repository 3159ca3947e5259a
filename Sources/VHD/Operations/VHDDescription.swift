// SPDX-License-Identifier: GPL-3.0-or-later

/// Human-readable dump of an image's metadata (`vhd-util read -p`).
public enum VHDDescription {
  public static func lines(for image: VHDImage) -> [String] {
    let f = image.footer
    var out = [
      "VHD Footer Summary:",
      "-------------------",
      "Cookie              : \(String(decoding: f.cookie, as: UTF8.self))",
      "Features            : (0x\(hex(f.features)))",
      "File format version : Major: \(f.formatVersion >> 16), Minor: \(f.formatVersion & 0xFFFF)",
      "Data offset         : \(f.dataOffset == UInt64.max ? "0xffffffffffffffff" : String(f.dataOffset))",
      "Timestamp           : \(f.timestamp) (unix \(VHDTimestamp.toUnix(f.timestamp)))",
      "Creator Application : '\(fourCharacterCode(f.creatorApplication))'",
      "Creator version     : Major: \(f.creatorVersion >> 16), Minor: \(f.creatorVersion & 0xFFFF)",
      "Creator OS          : 0x\(hex(f.creatorHostOS))",
      "Original disk size  : \(f.originalSize >> 20) MB (\(f.originalSize) Bytes)",
      "Current disk size   : \(f.currentSize >> 20) MB (\(f.currentSize) Bytes)",
      "Geometry            : Cyl: \(f.geometry.cylinders), Hds: \(f.geometry.heads), Sctrs: \(f.geometry.sectorsPerTrack)",
      "                    : = \(f.geometry.capacity >> 20) MB (\(f.geometry.capacity) Bytes)",
      "Disk type           : \(f.diskType)",
      "Checksum            : 0x\(hex(f.checksum))|\(f.hasValidChecksum ? "Good!" : "Bad!")",
      "UUID                : \(f.uniqueID)",
      "Saved state         : \(f.savedState == 0 ? "No" : "Yes")",
      "Hidden              : \(f.hidden)",
      "",
    ]
    guard let h = image.header else { return out }
    out += [
      "VHD Header Summary:",
      "-------------------",
      "Cookie              : \(String(decoding: h.cookie, as: UTF8.self))",
      "Data offset (unusd) : \(h.dataOffset == UInt64.max ? "0xffffffffffffffff" : String(h.dataOffset))",
      "Table offset        : \(h.tableOffset)",
      "Header version      : 0x\(hex(h.headerVersion))",
      "Max BAT size        : \(h.maxTableEntries)",
      "Block size          : \(h.blockSize) (\(h.blockSize >> 20) MB)",
      "Parent name         : \(h.parentName ?? "(undecodable)")",
      "Parent UUID         : \(h.parentUniqueID)",
      "Parent timestamp    : \(h.parentTimestamp)",
      "Checksum            : 0x\(hex(h.checksum))|\(h.hasValidChecksum ? "Good!" : "Bad!")",
      "",
    ]
    for (i, l) in h.locators.enumerated() where !l.isEmpty {
      let decoded = image.locatorPaths.first { $0.slot == i }?.path ?? "(not decoded)"
      out += [
        "VHD Parent Locator \(i):",
        "  code      : \(l.code?.description ?? "0x" + hex(l.platformCode))",
        "  data space: \(l.platformDataSpace)",
        "  data len  : \(l.platformDataLength)",
        "  offset    : \(l.platformDataOffset)",
        "  decoded   : \(decoded)",
      ]
    }
    out += [
      "Allocated blocks    : \(image.allocatedBlockCount) of \(image.blockCount)",
      "End of metadata     : sector \(image.metadataEndSector)",
      "End of data         : sector \(image.endOfDataSector)",
    ]
    if image.hasBATMap {
      let full = (0..<image.blockCount).filter { image.batmapBit($0) }.count
      out.append("BATmap              : present, \(full) full blocks")
    } else {
      out.append("BATmap              : none")
    }
    return out
  }

  static func hex(_ v: UInt32) -> String { String(v, radix: 16).leftPadded(to: 8) }
}
