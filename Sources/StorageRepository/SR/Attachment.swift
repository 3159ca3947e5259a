// SPDX-License-Identifier: GPL-3.0-or-later

/// How a VDI is plugged (its VBDs): writable attaches inflate an LVM leaf, read-only ones do not,
/// and a thin LV is deflated only when the last one goes.
public struct Attachment: Equatable, Sendable {
  public var readWrite: Int
  public var readOnly: Int

  public init(readWrite: Int = 0, readOnly: Int = 0) {
    self.readWrite = readWrite
    self.readOnly = readOnly
  }

  public var isEmpty: Bool { readWrite == 0 && readOnly == 0 }
}
