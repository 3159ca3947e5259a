// SPDX-License-Identifier: GPL-3.0-or-later

/// Who asks a tapdisk to pause (or waits for its reopen), so the drain and the reopen report back to
/// the right party.
enum TapdiskClient: Equatable {
  /// A scheduled SR operation (snapshot of an SR VDI), by index in the SR host's records.
  case srOperation(Int)
  /// A GC worker: a tapdisk refresh after a coalesce, a leaf-coalesce pause, an internal snapshot.
  case gcWorker(Int)
  /// A scheduled unpause that arrived while the tapdisk was still draining.
  case unpause(reopen: Bool)

  /// An SR operation or GC worker (told through the SR host), not the pool's own scheduling.
  var isSRLayer: Bool {
    switch self {
    case .srOperation, .gcWorker: true
    case .unpause: false
    }
  }

  /// Which drain waiter is served first when several wait (the SR layer, then a scheduled unpause).
  var drainPriority: Int {
    switch self {
    case .srOperation, .gcWorker: 1
    case .unpause: 2
    }
  }
}

/// One party waiting on a tapdisk, and what for.
struct TapdiskWaiter: Equatable {
  enum Phase: Equatable {
    /// The requests in flight to complete (the tapdisk is draining).
    case drain
    /// The reopen's metadata read to complete.
    case reopen
  }

  let client: TapdiskClient
  let phase: Phase
}
