// SPDX-License-Identifier: GPL-3.0-or-later
import CFileOps

/// Direct I/O (`O_DIRECT`): reads and writes that bypass the page cache and reach the device, as
/// tapdisk opens its VHD files. Offsets, lengths and buffer addresses must be multiples of the
/// device's logical block size; `alignment` (4096) satisfies every common device.
public enum DirectIO {
  /// The open(2) flag; 0 on a platform without one.
  public static let openFlag: Int32 = cfileops_direct_flag()
  public static let alignment = 4096
}
