// SPDX-License-Identifier: GPL-3.0-or-later

/// Names one scheduled event so it can be cancelled or inspected later.
///
/// A handle is a slot number plus the slot's generation when the event was scheduled. Slots are reused
/// once their event fires or is cancelled and every reuse bumps the generation, so a stale handle (for a
/// fired or cancelled event) never matches again: cancelling it is a harmless no-op. (The generation is 32
/// bits; a slot would need 2³² reuses while one stale handle is kept for a false match.)
public struct EventHandle: Hashable, Sendable {
  @usableFromInline let slot: UInt32
  @usableFromInline let generation: UInt32

  @inlinable init(slot: UInt32, generation: UInt32) {
    self.slot = slot
    self.generation = generation
  }

  /// A handle that names no event; handy as the initial value of a stored handle.
  public static let invalid = EventHandle(slot: .max, generation: .max)
}

/// The future-event set: a 4-ary min-heap on a flat array, ordered by (time, sequence number).
///
/// Why this shape:
/// - The sequence number is a per-queue counter, so events at equal times come out in insertion order
///   (deterministic FIFO ties, as SimPy and OMNeT++ do).
/// - A side table maps each handle's slot to the entry's current heap position (OMNeT++'s `heapIndex`),
///   so `cancel` is O(log n) with no search and no tombstones left in the heap.
/// - 4-ary rather than binary: half the depth, and the four children of a node are adjacent in memory;
///   it is the usual winner for hold-type workloads with 10³–10⁶ pending events.
/// - Events are stored by value inside the heap entries: no per-event boxing, closure or allocation.
///   All arrays grow geometrically and are never shrunk, so once the queue has reached its peak size
///   (or the capacity reserved up front) scheduling allocates nothing.
public struct EventQueue<Event> {
  @usableFromInline
  struct Entry {
    @usableFromInline var time: Int64
    @usableFromInline var seq: UInt64
    @usableFromInline var slot: UInt32
    @usableFromInline var event: Event

    @inlinable init(time: Int64, seq: UInt64, slot: UInt32, event: Event) {
      self.time = time
      self.seq = seq
      self.slot = slot
      self.event = event
    }

    @inlinable func precedes(_ other: Entry) -> Bool {
      time < other.time || (time == other.time && seq < other.seq)
    }
  }

  /// One handle slot. `position >= 0`: the live entry's index in `heap`. `position < 0`: the slot is free
  /// and `-position - 2` is the next free slot (-1 ends the list), an intrusive free list that needs no
  /// extra array.
  @usableFromInline
  struct Slot {
    @usableFromInline var position: Int32
    @usableFromInline var generation: UInt32

    @inlinable init(position: Int32, generation: UInt32) {
      self.position = position
      self.generation = generation
    }
  }

  @usableFromInline var heap: [Entry]
  @usableFromInline var slots: [Slot]
  @usableFromInline var freeHead: Int32 = -1
  @usableFromInline var nextSeq: UInt64 = 0

  /// Reserves room for `capacity` pending events, so a model that stays under it never allocates.
  @inlinable
  public init(capacity: Int = 1_024) {
    heap = []
    slots = []
    heap.reserveCapacity(capacity)
    slots.reserveCapacity(capacity)
  }

  /// Number of pending events.
  @inlinable public var count: Int { heap.count }
  @inlinable public var isEmpty: Bool { heap.isEmpty }
  /// Pending events the queue can hold before its storage grows.
  @inlinable public var capacity: Int { Swift.min(heap.capacity, slots.capacity) }

  @inlinable
  public mutating func reserveCapacity(_ n: Int) {
    heap.reserveCapacity(n)
    slots.reserveCapacity(n)
  }

  /// Time of the earliest pending event.
  @inlinable public var minTime: SimTime? { heap.isEmpty ? nil : SimTime(nanoseconds: heap[0].time) }

  /// The earliest pending event, without removing it.
  @inlinable
  public func peek() -> (time: SimTime, event: Event)? {
    guard let top = heap.first else { return nil }
    return (SimTime(nanoseconds: top.time), top.event)
  }

  /// Adds `event` at `time`. O(log n); allocation-free while within capacity.
  @inlinable
  @discardableResult
  public mutating func insert(_ event: Event, at time: SimTime) -> EventHandle {
    let slot: Int
    if freeHead >= 0 {
      slot = Int(freeHead)
      freeHead = -slots[slot].position - 2
    } else {
      precondition(slots.count < Int(Int32.max), "EventQueue: too many pending events")
      slot = slots.count
      slots.append(Slot(position: 0, generation: 0))
    }
    let entry = Entry(
      time: time.nanoseconds, seq: nextSeq, slot: UInt32(truncatingIfNeeded: slot), event: event)
    nextSeq &+= 1
    heap.append(entry)
    siftUp(from: heap.count - 1, entry)
    return EventHandle(slot: UInt32(truncatingIfNeeded: slot), generation: slots[slot].generation)
  }

  /// Removes and returns the earliest event (ties: the one inserted first).
  @inlinable
  public mutating func popMin() -> (time: SimTime, event: Event)? {
    guard !heap.isEmpty else { return nil }
    return removeTop()
  }

  /// Removes and returns the earliest event if it is due at or before `limit`; one comparison cheaper than
  /// `minTime` followed by `popMin`, which matters in the kernel's inner loop.
  @inlinable
  public mutating func popMin(notAfter limit: SimTime) -> (time: SimTime, event: Event)? {
    guard let top = heap.first, top.time <= limit.nanoseconds else { return nil }
    return removeTop()
  }

  @inlinable
  mutating func removeTop() -> (time: SimTime, event: Event) {
    let top = heap[0]
    let last = heap.removeLast()
    if !heap.isEmpty {
      siftDown(from: 0, last)
    }
    freeSlot(Int(top.slot))
    return (SimTime(nanoseconds: top.time), top.event)
  }

  /// Whether `handle` names an event that is still pending.
  @inlinable
  public func contains(_ handle: EventHandle) -> Bool {
    position(of: handle) != nil
  }

  /// When the event named by `handle` is due, or nil if it has fired or been cancelled.
  @inlinable
  public func time(of handle: EventHandle) -> SimTime? {
    guard let i = position(of: handle) else { return nil }
    return SimTime(nanoseconds: heap[i].time)
  }

  /// Removes the event named by `handle` in O(log n) and returns it; nil (and nothing changes) if the
  /// event has already fired or been cancelled.
  @inlinable
  @discardableResult
  public mutating func cancel(_ handle: EventHandle) -> Event? {
    guard let i = position(of: handle) else { return nil }
    let removed = heap[i]
    let last = heap.removeLast()
    if i < heap.count {
      // The former last entry fills the hole; it may belong above or below it.
      if i > 0 && last.precedes(heap[(i - 1) >> 2]) {
        siftUp(from: i, last)
      } else {
        siftDown(from: i, last)
      }
    }
    freeSlot(Int(handle.slot))
    return removed.event
  }

  /// Drops every pending event. Outstanding handles become stale; the storage is kept.
  public mutating func removeAll() {
    for entry in heap {
      freeSlot(Int(entry.slot))
    }
    heap.removeAll(keepingCapacity: true)
  }

  /// Checks the heap order and the slot table against each other (for tests and debugging; O(n)).
  public func isValid() -> Bool {
    for i in heap.indices {
      if i > 0 && heap[i].precedes(heap[(i - 1) >> 2]) { return false }
      let slot = Int(heap[i].slot)
      if slot >= slots.count || slots[slot].position != Int32(i) { return false }
    }
    var live = 0
    for slot in slots where slot.position >= 0 {
      live += 1
    }
    var free = 0
    var next = freeHead
    while next >= 0 {
      free += 1
      if free > slots.count { return false }
      next = -slots[Int(next)].position - 2
    }
    return live == heap.count && live + free == slots.count
  }

  @inlinable
  func position(of handle: EventHandle) -> Int? {
    let slot = Int(handle.slot)
    guard slot < slots.count else { return nil }
    let s = slots[slot]
    guard s.generation == handle.generation, s.position >= 0 else { return nil }
    return Int(s.position)
  }

  @inlinable
  mutating func freeSlot(_ slot: Int) {
    slots[slot].generation &+= 1
    slots[slot].position = -freeHead - 2
    freeHead = Int32(truncatingIfNeeded: slot)
  }

  /// Moves `entry` from hole `index` toward the root; parents slide down into the hole (no swaps).
  /// Works on raw buffers: the hot loop then has no uniqueness or bounds checks (indices stay within
  /// `heap.count` by construction, and every entry's slot exists).
  @inlinable
  mutating func siftUp(from index: Int, _ entry: Entry) {
    heap.withUnsafeMutableBufferPointer { heap in
      slots.withUnsafeMutableBufferPointer { slots in
        var i = index
        while i > 0 {
          let parent = (i &- 1) >> 2
          let p = heap[parent]
          guard entry.precedes(p) else { break }
          heap[i] = p
          slots[Int(p.slot)].position = Int32(truncatingIfNeeded: i)
          i = parent
        }
        heap[i] = entry
        slots[Int(entry.slot)].position = Int32(truncatingIfNeeded: i)
      }
    }
  }

  /// Moves `entry` from hole `index` toward the leaves; the least child slides up into the hole.
  @inlinable
  mutating func siftDown(from index: Int, _ entry: Entry) {
    heap.withUnsafeMutableBufferPointer { heap in
      slots.withUnsafeMutableBufferPointer { slots in
        let n = heap.count
        var i = index
        while true {
          let first = 4 &* i &+ 1
          if first >= n { break }
          // Least of up to four adjacent children; selects with conditional moves on (time, seq) keys
          // rather than copying entries, since the comparisons are unpredictable branches.
          var best = first
          var bestTime = heap[first].time
          var bestSeq = heap[first].seq
          let end = Swift.min(first &+ 4, n)
          var c = first &+ 1
          while c < end {
            let t = heap[c].time
            let q = heap[c].seq
            let better = t < bestTime || (t == bestTime && q < bestSeq)
            best = better ? c : best
            bestTime = better ? t : bestTime
            bestSeq = better ? q : bestSeq
            c &+= 1
          }
          let bestEntry = heap[best]
          guard bestEntry.precedes(entry) else { break }
          heap[i] = bestEntry
          slots[Int(bestEntry.slot)].position = Int32(truncatingIfNeeded: i)
          i = best
        }
        heap[i] = entry
        slots[Int(entry.slot)].position = Int32(truncatingIfNeeded: i)
      }
    }
  }
}

extension EventQueue.Entry: Sendable where Event: Sendable {}
extension EventQueue.Slot: Sendable {}
extension EventQueue: Sendable where Event: Sendable {}
