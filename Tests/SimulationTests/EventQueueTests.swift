// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// A model that just records what it handled.
private struct Recorder: SimulationModel {
  var log: [(SimTime, Int)] = []
  mutating func handle(_ event: Int, at time: SimTime, sim: inout Simulator<Int>) {
    log.append((time, event))
  }
}

@Suite struct EventQueueTests {
  @Test func equalTimesFireInInsertionOrder() {
    var sim = Simulator<Int>()
    for i in 0..<100 {
      // Three distinct times, interleaved, so heap reshuffles cannot hide behind sorted input.
      sim.schedule(i, at: .milliseconds(2 - i % 3))
    }
    var recorder = Recorder()
    #expect(sim.run(&recorder) == .exhausted)
    let expected = (0..<100).sorted { a, b in
      (2 - a % 3, a) < (2 - b % 3, b)
    }
    #expect(recorder.log.map(\.1) == expected)
    #expect(recorder.log.map(\.0) == expected.map { SimTime.milliseconds(2 - $0 % 3) })
    #expect(sim.eventsProcessed == 100)
  }

  @Test func zeroDelayRunsAfterEventsAlreadyDueNow() {
    struct Chain: SimulationModel {
      var log: [String] = []
      mutating func handle(_ event: String, at time: SimTime, sim: inout Simulator<String>) {
        log.append(event)
        if event == "a" { sim.schedule("a-child", after: .zero) }
      }
    }
    var sim = Simulator<String>()
    sim.schedule("a", at: .seconds(1))
    sim.schedule("b", at: .seconds(1))
    var model = Chain()
    sim.run(&model)
    #expect(model.log == ["a", "b", "a-child"])
  }

  @Test func cancellation() {
    var queue = EventQueue<Int>(capacity: 4)
    let a = queue.insert(1, at: .seconds(1))
    let b = queue.insert(2, at: .seconds(2))
    let c = queue.insert(3, at: .seconds(3))
    // Cancel the current minimum.
    #expect(queue.cancel(a) == 1)
    #expect(queue.minTime == .seconds(2))
    #expect(!queue.contains(a))
    #expect(queue.contains(b))
    #expect(queue.time(of: c) == .seconds(3))
    // A second cancel of the same handle is a no-op.
    #expect(queue.cancel(a) == nil)
    #expect(queue.count == 2)
    // A fired event's handle is stale: cancelling it is a no-op, even after its slot is reused.
    #expect(queue.popMin()?.event == 2)
    let d = queue.insert(4, at: .seconds(4))
    #expect(queue.cancel(b) == nil)
    #expect(queue.count == 2)
    #expect(queue.cancel(EventHandle.invalid) == nil)
    #expect(queue.popMin()?.event == 3)
    #expect(queue.popMin()?.event == 4)
    #expect(queue.popMin() == nil)
    #expect(!queue.contains(d))
    #expect(queue.isValid())
  }

  @Test func cancelFromInsideHandlers() {
    // A timeout raced by a completion: whichever fires first cancels the other.
    struct Race: SimulationModel {
      var timeout = EventHandle.invalid
      var log: [String] = []
      mutating func handle(_ event: String, at time: SimTime, sim: inout Simulator<String>) {
        log.append("\(event)@\(time)")
        if event == "done" { log.append("cancelled:\(sim.cancel(timeout))") }
      }
    }
    var sim = Simulator<String>()
    var model = Race()
    model.timeout = sim.schedule("timeout", at: .milliseconds(5))
    sim.schedule("done", at: .milliseconds(3))
    sim.run(&model)
    #expect(model.log == ["done@3 ms", "cancelled:true"])
    #expect(sim.cancel(model.timeout) == false)
  }

  @Test func runUntilStopsAndAdvancesTheClock() {
    var sim = Simulator<Int>()
    for i in 1...5 { sim.schedule(i, at: .seconds(i)) }
    var recorder = Recorder()
    #expect(sim.run(&recorder, until: .milliseconds(2_500)) == .reachedLimit)
    #expect(recorder.log.map(\.1) == [1, 2])
    #expect(sim.now == .milliseconds(2_500))
    #expect(sim.nextEventTime == .seconds(3))
    #expect(sim.step(&recorder) == true)
    #expect(sim.now == .seconds(3))
    #expect(sim.run(&recorder, until: .seconds(10)) == .exhausted)
    #expect(sim.now == .seconds(10))
    #expect(sim.step(&recorder) == false)
  }

  @Test func stopFromAHandler() {
    struct Stopper: SimulationModel {
      mutating func handle(_ event: Int, at time: SimTime, sim: inout Simulator<Int>) {
        if event == 3 { sim.stop() }
      }
    }
    var sim = Simulator<Int>()
    for i in 1...5 { sim.schedule(i, at: .seconds(i)) }
    var model = Stopper()
    #expect(sim.run(&model) == .stopped)
    #expect(sim.now == .seconds(3))
    #expect(sim.pendingCount == 2)
    #expect(sim.run(&model) == .exhausted)
  }

  @Test func doesNotGrowBeyondItsPeak() {
    var queue = EventQueue<Int>(capacity: 64)
    for i in 0..<64 { queue.insert(i, at: .nanoseconds(i)) }
    let capacity = queue.capacity
    for round in 0..<10_000 {
      let (time, event) = queue.popMin()!
      queue.insert(event, at: time + .nanoseconds(64 + round % 7))
    }
    #expect(queue.capacity == capacity)
    #expect(queue.count == 64)
    #expect(queue.isValid())
  }

  /// 100 000 random schedule / cancel / pop operations, checked against a sorted array.
  @Test func randomMixAgainstSortedArrayOracle() {
    struct Key: Comparable {
      var time: Int64
      var seq: Int
      static func < (a: Key, b: Key) -> Bool { (a.time, a.seq) < (b.time, b.seq) }
    }
    let random = RandomStream(seed: 0x5EED)
    var queue = EventQueue<Int>(capacity: 16)
    var oracle: [Key] = []  // sorted; seq doubles as the event payload
    var handles: [Int: EventHandle] = [:]
    var stale: [EventHandle] = []
    var live: [Int] = []  // event ids pending, for picking cancellation victims
    var livePosition: [Int: Int] = [:]
    var now: Int64 = 0
    var seq = 0

    func removeLive(_ id: Int) {
      let p = livePosition.removeValue(forKey: id)!
      let last = live.removeLast()
      if last != id {
        live[p] = last
        livePosition[last] = p
      }
    }

    for op in 0..<100_000 {
      let r = random.uniform()
      if r < 0.5 || oracle.isEmpty {
        // Times from a small window so equal times are common.
        let time = now + Int64(random.uniformInt(40))
        let handle = queue.insert(seq, at: SimTime(nanoseconds: time))
        let key = Key(time: time, seq: seq)
        let at = oracle.partitionPoint { $0 > key }
        oracle.insert(key, at: at)
        handles[seq] = handle
        livePosition[seq] = live.count
        live.append(seq)
        seq += 1
      } else if r < 0.8 {
        let (time, event) = queue.popMin()!
        let expected = oracle.removeLast()
        #expect(time.nanoseconds == expected.time && event == expected.seq)
        now = time.nanoseconds
        stale.append(handles.removeValue(forKey: event)!)
        removeLive(event)
      } else if r < 0.95 || stale.isEmpty {
        let id = live[random.uniformInt(live.count)]
        let handle = handles.removeValue(forKey: id)!
        #expect(queue.cancel(handle) == id)
        let index = oracle.firstIndex { $0.seq == id }!
        oracle.remove(at: index)
        stale.append(handle)
        removeLive(id)
      } else {
        // Fired or cancelled handles must be harmless, even after their slots were reused.
        let handle = stale[random.uniformInt(stale.count)]
        let before = queue.count
        #expect(queue.cancel(handle) == nil)
        #expect(queue.count == before)
      }
      #expect(queue.count == oracle.count)
      if op % 997 == 0 {
        #expect(queue.isValid())
        #expect(queue.minTime?.nanoseconds == oracle.last?.time)
      }
    }
    #expect(queue.isValid())
    while let (time, event) = queue.popMin() {
      let expected = oracle.removeLast()
      #expect(time.nanoseconds == expected.time && event == expected.seq)
    }
    #expect(oracle.isEmpty)
  }
}

extension Array {
  /// Index of the first element not greater than the new key. The oracle is kept in descending order, so
  /// its minimum is `last` and pops in O(1).
  fileprivate func partitionPoint(_ isGreater: (Element) -> Bool) -> Int {
    var low = 0
    var high = count
    while low < high {
      let mid = (low + high) / 2
      if isGreater(self[mid]) { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
