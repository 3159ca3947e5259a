// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// An SR brought back after a crash or restart: the host keeps xapi's records (its database) and
/// the LV sizes (LVM metadata); everything else is read from storage, then `recover()` undoes or
/// finishes what was interrupted.
extension SR {
  /// Re-creates the SR over `storage` with the host's `records`, `lvSizes` and `attachments`,
  /// reconciles the LV sizes with the nodes that exist, runs `recover()` (its lines are kept in
  /// `recoveryLog`), forgets records whose node is gone, and rescans (`virtual_allocation`).
  public static func reopen(
    storage: any Storage, directory: String, kind: SRKind, capacity: UInt64,
    records: [String: VDIRecord], lvSizes: LVSizes = [:], attachments: [String: Attachment] = [:],
    depthLimit: Int = VHDLimits.maximumChainDepth, engineOptions: EngineOptions = .init(),
    stamps: StampSequence = .init()
  ) throws(SRError) -> SR {
    let sr = SR(
      storage: storage, directory: directory, kind: kind, capacity: capacity, depthLimit: depthLimit,
      engineOptions: engineOptions, stamps: stamps)
    sr.records = records
    sr.attachments = attachments
    if case .lvm = kind { sr.lvSizes = lvSizes }
    try sr.lvm.reconcile()
    var log = try sr.recover()
    try sr.lvm.reconcile()
    for uuid in sr.records.keys.sorted() where !storage.exists(sr.records[uuid]!.path) {
      sr.records[uuid] = nil
      sr.attachments[uuid] = nil
      log.append("forgot record of \(uuid): its node is gone")
    }
    sr.recoveryLog = log
    try sr.scan()
    return sr
  }

  /// This SR reopened on `storage` (default: its own) with its current records, LV sizes,
  /// attachments and uuid sequence, as a host restarting after a crash would.
  public func reopened(on storage: (any Storage)? = nil) throws(SRError) -> SR {
    try Self.reopen(
      storage: storage ?? self.storage, directory: directory, kind: kind, capacity: capacity,
      records: records,
      lvSizes: lvSizes, attachments: attachments, depthLimit: depthLimit, engineOptions: engineOptions,
      stamps: stamps)
  }

  /// Undoes or finishes every interrupted operation from the journals (`SRRecovery.recover`);
  /// `reopen` runs it. Returns one human-readable line per action.
  @discardableResult
  public func recover() throws(SRError) -> [String] { try recovery.recover() }
}
