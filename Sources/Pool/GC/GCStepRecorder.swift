// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// Collects the physical I/O a GC step machine reports during one step; the daemon places it with the
/// step's `levelPaths` and sends it to the disk as one GC request.
final class GCStepRecorder: IOObserver {
  var ios: [PhysicalIO] = []

  init() { ios.reserveCapacity(256) }

  func reset() { ios.removeAll(keepingCapacity: true) }

  func observe(_ io: PhysicalIO) { ios.append(io) }
}
