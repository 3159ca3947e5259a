// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// The blktap user-space process serving one attached VDI: a request queue in front of the engine with a
/// limit on requests in flight (the ring's slots), and the pause / unpause protocol the storage manager
/// uses around chain changes (docs/storage-manager.md#tapdisk-pause-and-refresh).
///
/// Pausing stops taking requests from the queue and waits for those in flight to finish (drain); new
/// requests are held. Unpausing releases them, after an optional reopen of the chain, which reads every
/// level's footer, header, BAT and BATmap through the disk like the real tapdisk does, so a leaf
/// coalesce's pause shows up as guest stall time that grows with the chain's depth.
///
/// Whoever waits on this tapdisk is in its one list of ``TapdiskWaiter``s, which says who waits (an SR
/// operation such as a snapshot, a GC worker's refresh or leaf pause, a scheduled unpause) and for
/// what (the drain or the reopen).
/// The tapdisk itself only changes state; the pool performs the reopen's metadata read on the disk.
struct Tapdisk {
  enum State: Equatable { case running, draining, paused, reopening }

  /// What `requestPause` did.
  enum PauseRequest: Equatable {
    /// Another pause, snapshot or reopen is in progress: ask again later.
    case busy
    /// Nothing was in flight: paused now (no waiter was added).
    case paused
    /// Draining: the waiter is told when the last request in flight completes.
    case draining
  }

  var chain: VHDChain
  var leafPath: String
  /// SR volume of each level (0 = leaf).
  var levelVolumes: [Int]
  let maxOutstanding: Int
  var inFlight = 0
  /// When the tapdisk's one thread finishes the engine calls it has begun (`EngineCPUCost`).
  var engineFreeAt = SimTime.zero
  /// That thread in turns, when guest requests are served one I/O at a time.
  var thread = TapdiskThread()

  private(set) var state = State.running
  /// Requests the tapdisk has not taken yet (held while paused), as request-slot indices.
  var waiting = RingBuffer<Int32>(capacity: 16)
  /// Blocks the guest dirtied since the mirror design's last pass (only while a mirror runs).
  var mirror: MirrorTracker?
  private(set) var waiters: [TapdiskWaiter] = []

  /// When the thread is free again, if it is running an engine call at `now`; nil when free.
  @inline(__always)
  func threadBusy(at now: SimTime) -> SimTime? { engineFreeAt > now ? engineFreeAt : nil }

  init(chain: VHDChain, leafPath: String, levelVolumes: [Int], maxOutstanding: Int) {
    self.chain = chain
    self.leafPath = leafPath
    self.levelVolumes = levelVolumes
    self.maxOutstanding = maxOutstanding
  }

  /// Takes a request from the queue now.
  var accepting: Bool { state == .running && inFlight < maxOutstanding }

  /// Running with nobody waiting: a new pause may start.
  var isIdle: Bool { state == .running && waiters.isEmpty }

  /// Stops taking requests: paused at once when nothing is in flight, else draining. A tapdisk that
  /// is not running ignores it. Returns whether it was running.
  @discardableResult
  mutating func pause() -> Bool {
    guard state == .running else { return false }
    state = inFlight == 0 ? .paused : .draining
    return true
  }

  /// Pauses for `client` when idle; a drain waiter is added when requests are in flight.
  mutating func requestPause(for client: TapdiskClient) -> PauseRequest {
    guard isIdle else { return .busy }
    pause()
    guard state == .draining else { return .paused }
    waiters.append(TapdiskWaiter(client: client, phase: .drain))
    return .draining
  }

  /// Paused without draining (a deliberately broken snapshot that does not wait for writes in flight).
  mutating func pauseWithoutDraining() { state = .paused }

  /// A request the tapdisk had taken completed; true when that finished a drain.
  mutating func completed() -> Bool {
    inFlight -= 1
    return state == .draining && inFlight == 0
  }

  /// The drain finished: paused now. Returns the waiter the drain is for: an SR operation or GC
  /// worker before a scheduled unpause.
  mutating func drained() -> TapdiskClient? {
    state = .paused
    guard
      let k = waiters.indices.filter({ waiters[$0].phase == .drain }).min(by: { a, b in
        waiters[a].client.drainPriority < waiters[b].client.drainPriority
      })
    else { return nil }
    return waiters.remove(at: k).client
  }

  /// A scheduled unpause while still draining: it runs when the drain ends (a later one replaces it).
  mutating func deferUnpause(reopen: Bool) {
    waiters.removeAll { if case .unpause = $0.client { true } else { false } }
    waiters.append(TapdiskWaiter(client: .unpause(reopen: reopen), phase: .drain))
  }

  /// Starts a reopen of the paused tapdisk on `chain` (its metadata read goes through the disk);
  /// `client`, if any, is told when it is done.
  mutating func beginReopen(_ chain: VHDChain, levelVolumes: [Int], for client: TapdiskClient?) {
    self.chain = chain
    self.levelVolumes = levelVolumes
    state = .reopening
    if let client { waiters.append(TapdiskWaiter(client: client, phase: .reopen)) }
  }

  /// Runs again without a reopen (the chain did not change).
  mutating func resume() { state = .running }

  /// The reopen's metadata read completed: running again. Returns who waited for it.
  mutating func reopened() -> TapdiskClient? {
    state = .running
    guard let k = waiters.firstIndex(where: { $0.phase == .reopen }) else { return nil }
    return waiters.remove(at: k).client
  }

  /// Metadata a reopen reads, per level: the footer (end copy), the header, the BAT, and the BATmap
  /// header and bitmap when present.
  static func reopenReads(_ image: VHDImage) -> [(offset: UInt64, length: UInt64)] {
    var reads: [(UInt64, UInt64)] = []
    let length = image.device.length
    if length >= 512 { reads.append((length - 512, 512)) }
    guard let header = image.header else { return reads }
    reads.append((image.footer.dataOffset, 1024))
    let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
    reads.append((header.tableOffset, layout.batBytes))
    if image.hasBATMap { reads.append((layout.batmapHeaderOffset, 512 + 512 * UInt64(layout.batmapSectors))) }
    return reads
  }
}
