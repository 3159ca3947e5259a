// SPDX-License-Identifier: GPL-3.0-or-later

/// What one step of a GC step machine did, so that a host can time it: every `PhysicalIO` the
/// step's images reported to the operation's observer carries a `level`, and `levelPaths[level]`
/// is the SR node path that level belongs to. The SR has no clock; turning this into time is the
/// host's business.
public struct GCStepWork: Sendable, Equatable {
  public var levelPaths: [String]
  /// Payload copied in this step (0 for metadata-only steps).
  public var bytesCopied: UInt64

  public init(levelPaths: [String] = [], bytesCopied: UInt64 = 0) {
    self.levelPaths = levelPaths
    self.bytesCopied = bytesCopied
  }
}
