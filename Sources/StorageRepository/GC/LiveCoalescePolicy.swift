// SPDX-License-Identifier: GPL-3.0-or-later

/// Whether a leaf may be coalesced while its tapdisk is paused (`canLiveCoalesce`;
/// docs/storage-manager.md#live-leaf-test, docs/storage-manager.md#constants).
///
/// The guest is stalled for the whole copy, so the GC only goes live when the predicted copy time
/// fits half the kill timeout; without a speed estimate it falls back to a fixed size limit.
public struct LiveCoalescePolicy: Equatable, Sendable {
  /// Which form of the test (docs/storage-manager.md#xcp-ng-82-live-test).
  public enum LiveTest: String, CaseIterable, Equatable, Sendable {
    /// sm since CP-40871 (2f863b9, 2023-09-05): the leaf's allocated size, floor(size ÷ speed), and
    /// speed samples of the bytes vhd-util reports (08d7450).
    case upstream
    /// XCP-ng 8.2, the form of b43525c (2019) unchanged through 2885fb8 (2022): the leaf's physical
    /// size, size ÷ speed without a floor, and speed samples of the child's physical size.
    case xcpNG82 = "xcp-ng-8.2"

    /// The bytes one `vhd-util coalesce` run adds to the speed log
    /// (docs/storage-manager.md#speed-log): what it copied (upstream), or the physical size of the
    /// child as loaded before the run (XCP-ng 8.2).
    public func speedSampleBytes(copied: UInt64, childPhysicalSize: UInt64) -> UInt64 {
      self == .xcpNG82 ? childPhysicalSize : copied
    }
  }

  /// `LIVE_LEAF_COALESCE_TIMEOUT`: the paused copy is killed after this many seconds.
  public var timeoutSeconds: Double
  /// `TIMEOUT_SAFETY_MARGIN`: the share of the timeout the predicted copy may take.
  public var safetyMargin: Double
  /// `LIVE_LEAF_COALESCE_MAX_SIZE`: the limit (exclusive) when there is no speed estimate.
  public var maxSizeWithoutEstimate: UInt64
  /// VDI other-config `leaf-coalesce=force`: always live, and no timeout.
  public var force: Bool
  /// The form of the test (upstream, or XCP-ng 8.2's).
  public var liveTest: LiveTest

  public init(
    timeoutSeconds: Double = 10, safetyMargin: Double = 0.5,
    maxSizeWithoutEstimate: UInt64 = 20 * VHDSpace.miB,
    force: Bool = false, liveTest: LiveTest = .upstream
  ) {
    self.timeoutSeconds = timeoutSeconds
    self.safetyMargin = safetyMargin
    self.maxSizeWithoutEstimate = maxSizeWithoutEstimate
    self.force = force
    self.liveTest = liveTest
  }

  /// Upstream defaults.
  public static let xcp = LiveCoalescePolicy()

  /// The predicted copy time allowed: timeout × margin (5 s by default).
  public var allowedSeconds: Double { timeoutSeconds * safetyMargin }

  /// The kill timeout of the paused copy; nil when forced (no timeout).
  public var copyTimeoutSeconds: Double? { force ? nil : timeoutSeconds }

  /// The live test (docs/storage-manager.md#live-leaf-test) for a leaf whose judged size is
  /// `allocatedBytes` (the physical size for XCP-ng 8.2; see `judgedSize(of:)`), given the speed
  /// estimate in bytes per second. With an estimate: floor(size / speed) < allowed upstream,
  /// size / speed < allowed for XCP-ng 8.2 (docs/storage-manager.md#xcp-ng-82-live-test); without:
  /// size < `maxSizeWithoutEstimate`.
  public func canLiveCoalesce(allocatedBytes: UInt64, speed: Double?) -> Bool {
    if force { return true }
    if let speed, speed > 0, speed.isFinite {
      let predicted = Double(allocatedBytes) / speed
      return (liveTest == .xcpNG82 ? predicted : predicted.rounded(.down)) < allowedSeconds
    }
    return allocatedBytes < maxSizeWithoutEstimate
  }

  /// The size the test judges for `node`: allocated (upstream) or physical (XCP-ng 8.2).
  public func judgedSize(of node: VHDNode) -> UInt64 {
    liveTest == .xcpNG82 ? node.physicalSize : node.allocatedSize
  }

  /// `canLiveCoalesce` for a scanned node.
  public func canLiveCoalesce(_ node: VHDNode, speed: Double?) -> Bool {
    canLiveCoalesce(allocatedBytes: judgedSize(of: node), speed: speed)
  }

  /// A typed error naming the first field that makes no sense (negative or non-finite times, a
  /// margin outside (0, 1]).
  public func validate() throws(LeafCoalesceDesignError) {
    guard timeoutSeconds > 0, timeoutSeconds.isFinite else {
      throw .invalidParameter(field: "timeoutSeconds", value: "\(timeoutSeconds)")
    }
    guard safetyMargin > 0, safetyMargin <= 1 else {
      throw .invalidParameter(field: "safetyMargin", value: "\(safetyMargin)")
    }
  }
}
