// SPDX-License-Identifier: GPL-3.0-or-later

/// VHD timestamps count seconds since 2000-01-01 00:00:00 UTC in an unsigned 32-bit field;
/// blktap and qemu both convert with the constant 946684800 (docs/vhd-format.md#conventions).
public enum VHDTimestamp {
  /// Seconds between the Unix epoch and the VHD epoch.
  public static let unixOffset: Int64 = 946_684_800

  /// The VHD timestamp for a Unix time, clamped to the field's range.
  public static func fromUnix(_ seconds: Int64) -> UInt32 {
    let v = seconds - unixOffset
    if v < 0 { return 0 }
    if v > Int64(UInt32.max) { return UInt32.max }
    return UInt32(v)
  }

  /// The Unix time of a VHD timestamp.
  public static func toUnix(_ timestamp: UInt32) -> Int64 { Int64(timestamp) + unixOffset }
}
