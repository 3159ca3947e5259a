// SPDX-License-Identifier: GPL-3.0-or-later

/// The offline design's VM suspend and resume times (xapi `VM.suspend` writes the guest's memory to
/// the suspend VDI, `VM.resume` reads it back): the guest does no I/O from the start of the suspend to
/// the end of the resume.
public struct OfflineParameters: Equatable, Sendable {
  public var suspendSeconds: Double
  public var resumeSeconds: Double

  /// Defaults: a 4 GiB guest's memory image at about 200 MB/s each way, plus xapi's own work
  /// (docs/storage-manager.md#offline-leaf-coalesce; an estimate, not a measurement).
  public init(suspendSeconds: Double = 20, resumeSeconds: Double = 20) {
    self.suspendSeconds = suspendSeconds
    self.resumeSeconds = resumeSeconds
  }

  /// Both times must be finite and not negative.
  public func validate() throws(LeafCoalesceDesignError) {
    guard suspendSeconds >= 0, suspendSeconds.isFinite else {
      throw .invalidParameter(field: "suspendSeconds", value: "\(suspendSeconds)")
    }
    guard resumeSeconds >= 0, resumeSeconds.isFinite else {
      throw .invalidParameter(field: "resumeSeconds", value: "\(resumeSeconds)")
    }
  }
}
