// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Every refusal of an SR operation, as the storage manager reports it (the SR_BACKEND_FAILURE
/// code, where there is one, is in the doc comment), so tests and the simulator can tell a policy
/// refusal from an engine failure.
public enum SRError: Error, Equatable, Sendable {
  /// No VDI record with that uuid.
  case noSuchVDI(String)
  /// Chain depth of the VDI being snapshotted or cloned is already at the limit (109,
  /// `SnapshotChainTooLong`).
  case chainTooLong(uuid: String, depth: Int, limit: Int)
  /// The operation needs more space than is free (44, "There is insufficient space"; 180 "VG out of
  /// space, SR over-provisioned" when inflating on attach).
  case insufficientSpace(needed: UInt64, free: UInt64)
  /// Hidden VDIs cannot be snapshotted, cloned or attached.
  case hiddenVDI(String)
  /// Only leaves are deleted; base copies go through the GC.
  case notALeaf(String)
  /// Unmanaged VDIs (base copies) are never deleted directly.
  case unmanagedVDI(String)
  /// Deleting an attached VDI is refused.
  case vdiInUse(String)
  /// Detach of a VDI that is not attached.
  case notAttached(String)
  /// Writable attach of a read-only VDI.
  case readOnlyVDI(String)
  /// A VHD node whose parent is not in the SR (a hard scan error for the GC).
  case missingParent(node: String)
  /// The engine refused (bad file, I/O error).
  case engine(VHDError)
  /// A fresh scan no longer shows the node as a non-leaf coalesce candidate
  /// (docs/storage-manager.md#predicates) and it has no relink journal to resume.
  case notCoalesceable(String)
  /// A fresh scan no longer shows the node as a leaf coalesce candidate
  /// (docs/storage-manager.md#predicates), or the tree changed under a running leaf coalesce.
  case notLeafCoalesceable(String)
  /// A step machine was asked for something its phase does not allow (e.g. `recopy` after the
  /// swap, `step` once done).
  case wrongPhase(operation: String, phase: String)
}

extension SRError {
  /// Runs an engine or storage call, turning whatever it throws into `.engine`.
  static func engine<T>(_ path: String, _ body: () throws -> T) throws(SRError) -> T {
    do { return try body() } catch let e as VHDError {
      throw .engine(e)
    } catch let e as StorageError {
      throw .engine(VHDError(.storage(e.code), file: path, e.description))
    } catch let e as DeviceError {
      throw .engine(VHDError(.device(e.code), file: path, e.description))
    } catch {
      throw .engine(VHDError(.invalidArgument, file: path, "\(error)"))
    }
  }
}
