// SPDX-License-Identifier: GPL-3.0-or-later

/// The byte offset of a sector for an error message, saturated at `UInt64.max`: a sector number from
/// the user can be anything, and naming it must never trap on overflow.
@inlinable
func byteOffset(ofSector sector: UInt64) -> UInt64 {
  let (bytes, overflow) = sector.multipliedReportingOverflow(by: 512)
  return overflow ? .max : bytes
}
