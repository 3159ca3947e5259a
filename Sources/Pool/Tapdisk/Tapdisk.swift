// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// The blktap user-space process serving one attached VDI: a request queue in front of the engine with a
/// limit on requests in flight (the ring's slots), and the pause / unpause protocol the storage manager
/// uses around chain changes.
///
/// Pausing stops taking requests from the queue and waits for those in flight to finish (drain); new
/// requests are held. Unpausing releases them, after an optional reopen of the chain, which reads every
/// level's footer, header, BAT and BATmap through the disk like the real tapdisk does, so a leaf
/// coalesce's pause shows up as guest stall time that grows with the chain's depth.
struct Tapdisk {
  enum State: Equatable { case running, draining, paused, reopening }

  var chain: VHDChain
  var leafPath: String
  /// SR volume of each level (0 = leaf).
  var levelVolumes: [Int]
  let maxOutstanding: Int
  var inFlight = 0
  var state = State.running
  var waiting = SlotQueue()
  /// Blocks the guest dirtied since the mirror design's last pass (only while a mirror runs).
  var mirror: MirrorTracker?

  init(chain: VHDChain, leafPath: String, levelVolumes: [Int], maxOutstanding: Int) {
    self.chain = chain
    self.leafPath = leafPath
    self.levelVolumes = levelVolumes
    self.maxOutstanding = maxOutstanding
  }

  var accepting: Bool { state == .running && inFlight < maxOutstanding }

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

/// A FIFO of request slots that reuses its storage (no allocation once warm).
struct SlotQueue {
  private var items: [Int32] = []
  private var head = 0

  var isEmpty: Bool { head == items.count }
  var count: Int { items.count - head }

  mutating func append(_ s: Int32) {
    if head > 64 && head * 2 > items.count {
      items.removeFirst(head)
      head = 0
    }
    items.append(s)
  }

  mutating func popFirst() -> Int32? {
    guard head < items.count else { return nil }
    let s = items[head]
    head += 1
    if head == items.count {
      items.removeAll(keepingCapacity: true)
      head = 0
    }
    return s
  }

  func forEach(_ body: (Int32) -> Void) { for i in head..<items.count { body(items[i]) } }
}
