// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The fixed costs around the GC's copies: what a real coalesce or snapshot-coalesce round spends in
/// processes, xapi calls, tapdisk control and calls to the pool's other hosts, besides the I/O the
/// disk model times (docs/storage-manager.md#per-round-costs). On by default: with no fixed cost a
/// snapshot-coalesce round's leaf settles at w·c/(1 − w/s) = 0 and every design looks convergent.
///
/// Every default is an estimate of the process structure sm's code shows (a Python SM driver
/// started per snapshot, one process per `vhd-util` or LVM command, an xapi RPC per record change, a
/// host plugin call per other host); none was measured on a pool here. Each is a scenario key, so a
/// study sweeps it or sets it from a real SMlog's timestamps.
public struct GCCosts: Equatable, Sendable {
  /// One xapi RPC from the GC (a VDI record change, a relink tag, `VDI.snapshot`'s own call).
  public var xapiCall: SimTime
  /// Starting one `vhd-util` or LVM command (fork, exec, sm's `util.pread` wrapper).
  public var commandStart: SimTime
  /// The SM driver's work in a snapshot beyond its metadata I/O (Python start, locks, LVM commands),
  /// spent with the VM paused.
  public var smSnapshot: SimTime
  /// `tap-ctl pause` and `unpause` of one tapdisk (control messages), beyond the reopen's metadata read.
  public var tapdiskRefresh: SimTime
  /// One call to another host of the pool (`host.call_plugin`: refresh an LV, a renamed VDI).
  public var hostRoundTrip: SimTime
  /// Hosts in the pool: the master plus `hosts − 1` others, each called after a resize or rename on
  /// an LVM SR.
  public var hosts: Int
  /// Time the metadata reads of scans and checks through the disk (every VHD's footer, header and
  /// BAT per scan; the checked node's per check).
  public var metadataIO: Bool

  public init(
    xapiCall: SimTime = .milliseconds(20), commandStart: SimTime = .milliseconds(10),
    smSnapshot: SimTime = .milliseconds(500), tapdiskRefresh: SimTime = .milliseconds(50),
    hostRoundTrip: SimTime = .milliseconds(200), hosts: Int = 1, metadataIO: Bool = true
  ) {
    self.metadataIO = metadataIO
    self.xapiCall = xapiCall
    self.commandStart = commandStart
    self.smSnapshot = smSnapshot
    self.tapdiskRefresh = tapdiskRefresh
    self.hostRoundTrip = hostRoundTrip
    self.hosts = hosts
  }

  /// No fixed cost at all (the simulator's behaviour before these were modelled; tests of the
  /// mechanics use it).
  public static let zero = GCCosts(
    xapiCall: .zero, commandStart: .zero, smSnapshot: .zero, tapdiskRefresh: .zero, hostRoundTrip: .zero,
    metadataIO: false)

  /// Scans sm makes per GC loop pass (`scanLocked` before `hasWork` and again after the journal
  /// cleanup), each reading every VHD's metadata.
  public static let scansPerPass = 2

  /// Calls to the other hosts after one resize or rename on an LVM SR (none on a file SR, whose
  /// hosts share the files).
  func otherHosts(lvm: Bool) -> SimTime { lvm ? hostRoundTrip * max(0, hosts - 1) : .zero }

  /// Before a non-leaf copy (`_doCoalesce`): the pass's scans, `vhd-util check` of the child and a
  /// fast check of the parent, the parent's resize and the other hosts told of it.
  func beforeCopy(lvm: Bool) -> SimTime {
    commandStart * (GCCosts.scansPerPass + 3) + otherHosts(lvm: lvm)
  }

  /// After the copy, before the relink (`_coalesce`): check of the parent, `updateBlockInfo`, two
  /// relink tags per child, the relink's rescan and one `vhd-util modify` per child; then the delete
  /// of the coalesced node (a record forgotten, on LVM an `lvremove` and the other hosts told).
  func afterCopy(children: Int, lvm: Bool) -> SimTime {
    commandStart * (3 + children + (lvm ? 1 : 0)) + xapiCall * (2 * children + 1)
      + otherHosts(lvm: lvm)
  }

  /// The paused part of a live leaf step beyond the copy (`_doCoalesceLeaf`): journal, two checks,
  /// two renames, three VDI record changes, the other hosts told of the renames and of the resize.
  func liveStepPaused(lvm: Bool) -> SimTime {
    commandStart * (5) + xapiCall * 3 + otherHosts(lvm: lvm) * 2
  }

  /// A negative value or no host names the bad field.
  public func validate() throws(PoolError) {
    for (name, t) in [
      ("xapiCall", xapiCall), ("commandStart", commandStart), ("smSnapshot", smSnapshot),
      ("tapdiskRefresh", tapdiskRefresh), ("hostRoundTrip", hostRoundTrip),
    ] where t < .zero {
      throw PoolError("GC cost \(name) must not be negative")
    }
    guard hosts >= 1 else { throw PoolError("pool.hosts must be at least 1, found \(hosts)") }
  }
}
