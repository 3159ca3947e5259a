// SPDX-License-Identifier: GPL-3.0-or-later

/// Cylinder/head/sector geometry stored in the footer. Computed by the algorithm of the spec's
/// appendix exactly as libvhd's `vhd_chs` (docs/vhd-format.md#chs-geometry). blktap sizes its disks
/// by `current_size`, never by C·H·S, so the geometry is informational — but `vhd-util check`
/// rejects a geometry larger than `vhd_chs(current_size)`.
public struct DiskGeometry: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var cylinders: UInt16
  public var heads: UInt8
  public var sectorsPerTrack: UInt8

  public init(cylinders: UInt16, heads: UInt8, sectorsPerTrack: UInt8) {
    self.cylinders = cylinders
    self.heads = heads
    self.sectorsPerTrack = sectorsPerTrack
  }

  /// From the packed big-endian u32 of footer offset 56 (`C<<16 | H<<8 | S`).
  public init(packed: UInt32) {
    cylinders = UInt16(truncatingIfNeeded: packed >> 16)
    heads = UInt8(truncatingIfNeeded: packed >> 8)
    sectorsPerTrack = UInt8(truncatingIfNeeded: packed)
  }

  /// The packed u32 form; `vhd-util check` compares geometries in this form.
  public var packed: UInt32 {
    UInt32(cylinders) << 16 | UInt32(heads) << 8 | UInt32(sectorsPerTrack)
  }

  /// Bytes addressed by C·H·S (usually less than the requested size).
  public var capacity: UInt64 {
    UInt64(cylinders) * UInt64(heads) * UInt64(sectorsPerTrack) * 512
  }

  /// The spec/libvhd geometry for a disk of `size` bytes.
  public init(forSize size: UInt64) {
    var total = max(1, (size + 511) / 512)
    let maxTotal: UInt64 = 65535 * 16 * 255
    if total > maxTotal { total = maxTotal }
    var s: UInt64
    var h: UInt64
    var ch: UInt64
    if total >= 65535 * 16 * 63 {
      s = 255
      h = 16
      ch = total / s
    } else {
      s = 17
      ch = total / s
      h = max(4, (ch + 1023) / 1024)
      if ch >= h * 1024 || h > 16 {
        s = 31
        h = 16
        ch = total / s
      }
      if ch >= h * 1024 {
        s = 63
        h = 16
        ch = total / s
      }
    }
    let c = ch / h
    self.init(cylinders: UInt16(truncatingIfNeeded: c), heads: UInt8(h), sectorsPerTrack: UInt8(s))
  }

  public var description: String { "\(cylinders)/\(heads)/\(sectorsPerTrack)" }
}
