// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The tapdisk's one thread as its event loop runs it, in turns (blktap tapdisk-server.c,
/// `tapdisk_server_iterate`; the validation's `TapdiskLoop` is built the same way): the thread waits
/// for completions (`io_getevents`), handles those it collected one after another (a completion's
/// callback queues its request's next I/O, or completes the request, whose ring slot takes the guest's
/// next request at once: the engine call), then submits every I/O the turn queued with one
/// `io_submit` (`tapdisk_server_submit_tiocbs`). What completes meanwhile waits for the next turn. A
/// submission the file system makes wait (`DiskModel.submitterHeld`) holds back the I/Os queued
/// behind it; a zeroing (the engine's punch of a new block) is a system call made in place, while its
/// request is handled. An `io_submit` of more than two I/Os plugs the block layer (Linux fs/aio.c,
/// `AIO_PLUG_THRESHOLD`): its reads and overwrites reach the device together when the call ends
/// (`blk_finish_plug`), or when the plug is full or the thread must wait in the call.
///
/// Used on a disk that times I/Os as they start, or with a thread that pays per I/O
/// (`PoolModel.servesOneIOAtATime`), where a request's I/Os go to the disk one at a time. It holds
/// only the thread's queues, its plug and its current action; the pool runs the actions
/// (`TapdiskThreadWork`).
struct TapdiskThread {
  /// One piece of the thread's work, for a request slot.
  enum Action: Equatable {
    /// Handle a completion the turn's `io_getevents` returned (the per-I/O time).
    case collect(Int32)
    /// Run the engine on a request the tapdisk took (the engine's processor time).
    case engineCall(Int32)
    /// Punch a hole in place (the thread waits for it).
    case punch(Int32)
    /// Submit the request's next I/O (waiting only where the file system makes it wait).
    case submit(Int32)
    /// Send what the plug holds to the device (the end of a plugged `io_submit`).
    case flush

    /// The request slot it is for; nil for a flush, which is for every request in the plug.
    var slot: Int32? {
      switch self {
      case .collect(let s), .engineCall(let s), .punch(let s), .submit(let s): s
      case .flush: nil
      }
    }
  }

  /// An `io_submit` of more I/Os than this plugs the block layer (fs/aio.c `AIO_PLUG_THRESHOLD`).
  static let plugThreshold = 2
  /// A plug holding this many requests goes to the device at once (block/blk-mq.c,
  /// `BLK_MAX_REQUEST_COUNT`).
  static let plugCapacity = 32

  /// I/Os completed and not collected yet.
  private var completions = RingBuffer<Int32>(capacity: 16)
  /// Of those, how many the current turn's `io_getevents` returned and are not yet handled.
  private var toCollect = 0
  /// Work the actions made that runs next, before anything else (the engine call of the request a
  /// freed slot took, a zeroing).
  private var inPlace = RingBuffer<Action>(capacity: 4)
  /// Requests taken from the ring and not yet run through the engine.
  private var engineCalls = RingBuffer<Int32>(capacity: 16)
  /// Requests whose next I/O this turn's `io_submit` submits, in order.
  private var batch = RingBuffer<Int32>(capacity: 16)
  /// The action under way: its effects apply when its time is over (the next step).
  var current: Action?
  /// A step is scheduled or running: the thread is not waiting in `io_getevents`.
  var running = false
  /// An action's effects are being applied (a completion's callback, an engine call's end): a
  /// request the tapdisk takes now has its engine call run in place.
  var handling = false
  /// When the current turn's `io_submit` began (its first submission); an I/O's time in flight is
  /// counted from it, as the validation's loop counts it.
  private(set) var submitBegan = SimTime.zero
  /// When the current turn's `io_getevents` returned: a collected I/O's time in flight ends there.
  private(set) var collectedAt = SimTime.zero
  private var submitting = false
  /// The current `io_submit` plugs (it submits more than `plugThreshold` I/Os), and the requests
  /// whose I/O waits in the plug, in order.
  private(set) var plugging = false
  private var plug = RingBuffer<Int32>(capacity: 16)
  /// Writes among the I/Os the plug holds.
  private var plugWrites = 0
  /// The turns' `io_getevents` calls that returned completions, and the completions they returned.
  private(set) var collections = CollectionCounts()

  /// An I/O of request `s` completed.
  mutating func completed(_ s: Int32) { completions.append(s) }

  /// The tapdisk took request `s`: its engine call runs next if the thread is `handling` a
  /// completion now (a freed slot takes the next request in its callback), else in the turn.
  mutating func take(_ s: Int32) {
    if handling {
      inPlace.append(.engineCall(s))
    } else {
      engineCalls.append(s)
    }
  }

  /// Request `s` needs a zeroing before its next I/O: done next, in place.
  mutating func punchNext(_ s: Int32) { inPlace.append(.punch(s)) }

  /// Request `s`'s next I/O goes in this turn's submission.
  mutating func queueSubmission(_ s: Int32) { batch.append(s) }

  /// Request `s`'s I/O, submitted in a plugging `io_submit`, waits in the plug; true when the plug
  /// is now full and goes to the device.
  mutating func plugged(_ s: Int32, isWrite: Bool) -> Bool {
    plug.append(s)
    if isWrite { plugWrites += 1 }
    return plug.count >= Self.plugCapacity
  }

  /// The plug goes to the device now: the I/Os it holds and the writes among them (the device takes
  /// them as one burst); `unplugNext` then takes them out in order.
  mutating func unplugging() -> (count: Int, writes: Int) {
    defer { plugWrites = 0 }
    return (plug.count, plugWrites)
  }

  /// The next request whose I/O the plug holds, in order, taken out: it goes to the device now.
  mutating func unplugNext() -> Int32? { plug.popFirst() }

  /// The thread's next action at `now`, or nil when it has nothing to do (it waits in
  /// `io_getevents`). A turn handles what its `io_getevents` returned, then the requests taken, then
  /// submits; a new turn begins when the last submission is made and completions are waiting.
  mutating func next(at now: SimTime) -> Action? {
    if let a = inPlace.popFirst() { return a }
    if submitting {
      // One io_submit: nothing else runs until it has submitted the turn's I/Os and unplugged.
      if let s = batch.popFirst() { return .submit(s) }
      if !plug.isEmpty { return .flush }
      submitting = false
      plugging = false
    }
    if toCollect > 0, let s = completions.popFirst() {
      toCollect -= 1
      return .collect(s)
    }
    if let s = engineCalls.popFirst() { return .engineCall(s) }
    if let s = batch.popFirst() {
      submitting = true
      submitBegan = now
      plugging = batch.count + 1 > Self.plugThreshold
      return .submit(s)
    }
    guard !completions.isEmpty else { return nil }
    toCollect = completions.count
    collections.calls += 1
    collections.completions += toCollect
    collectedAt = now
    return next(at: now)
  }
}
