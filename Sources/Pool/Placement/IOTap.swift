// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// The engine's I/O observer for the pool: it owns the SR placement, turns each physical I/O the engine
/// issues (per image, per level) into device I/Os, and counts them by kind for the request's metrics.
///
/// One tap serves every chain on the SR; before each engine call the pool points `levelVolumes` at the
/// calling tapdisk's level → volume table, so the hot path does no lookups by path.
///
/// The state lives behind a `let` pointer rather than in `var` properties: the engine calls `observe`
/// several times per request, and every access to a class's `var` costs a dynamic exclusivity check
/// that measured as a third of the simulator's time.
public final class IOTap: IOObserver {
  struct State {
    var placement: SRPlacement
    var levelVolumes: [Int] = []
    var ops: [DiskOp] = []
    var counts = [Int](repeating: 0, count: IOTap.countSlots)
    var bytes = [UInt64](repeating: 0, count: IOTap.countSlots)
    var failure: PoolError?
    /// The device ops of the call's latest data write (`dataOps.lowerBound == -1`: none pending),
    /// marked allocating if a bitmap write follows, and whether the call zeroed a block's space.
    var dataOps = -1 ..< -1
    var zeroed = false
  }

  let state: UnsafeMutablePointer<State>

  public static let countSlots = IOKind.allCases.count * 2

  public init(placement: SRPlacement) {
    state = .allocate(capacity: 1)
    state.initialize(to: State(placement: placement))
    state.pointee.ops.reserveCapacity(64)
  }

  deinit {
    state.deinitialize(count: 1)
    state.deallocate()
  }

  public var placement: SRPlacement {
    get { state.pointee.placement }
    set { state.pointee.placement = newValue }
  }

  /// The placement's volume for `name`, read in place (`placement` returns a copy, which retains
  /// and releases every array of the placement).
  public func volume(named name: String) -> Int? { state.pointee.placement.volume(named: name) }

  /// Device I/Os of the current engine call.
  public var ops: [DiskOp] { state.pointee.ops }
  /// Engine I/Os of the current call by `IOKind.rawValue * 2 + direction.rawValue`.
  public var counts: [Int] { state.pointee.counts }
  /// The first placement failure (the SR filled up); the pool stops the run with it.
  public var failure: PoolError? { state.pointee.failure }

  /// Clears the per-call state (keeps capacity) and selects the calling chain's level → volume table.
  @inline(__always)
  public func begin(levels: [Int]) {
    state.pointee.levelVolumes = levels
    state.pointee.ops.removeAll(keepingCapacity: true)
    state.pointee.dataOps = -1 ..< -1
    state.pointee.zeroed = false
    state.pointee.counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    state.pointee.bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }

  public func observe(_ io: PhysicalIO) {
    let slot = Int(io.kind.rawValue) * 2 + Int(io.direction.rawValue)
    state.pointee.counts[slot] &+= 1
    state.pointee.bytes[slot] &+= io.length
    guard io.length > 0, io.level < state.pointee.levelVolumes.count else { return }
    let space = spaceChange(io)
    let first = state.pointee.ops.count
    do {
      try state.pointee.placement.translate(
        volume: state.pointee.levelVolumes[io.level], offset: io.offset, length: io.length,
        isWrite: io.direction == .write, space: space, into: &state.pointee.ops)
    } catch {
      if state.pointee.failure == nil { state.pointee.failure = error }
    }
    if io.direction == .write && io.kind == .data && !io.zeroing {
      state.pointee.dataOps = first..<state.pointee.ops.count
    }
  }

  /// What a write does to the space of its sparse file (docs/simulation.md#file-system-allocation).
  /// The engine writes a block's data, then its bitmap when the data set bits that were clear, so a
  /// bitmap write marks the data write before it as landing in a hole (sectors the file never had:
  /// a block's data area is a hole until written). A zeroing punches a hole; after one, the block's
  /// bitmap lands in that hole too. A footer write moves the footer to the file's new end.
  private func spaceChange(_ io: PhysicalIO) -> SpaceChange {
    guard io.direction == .write else { return .none }
    if io.zeroing {
      state.pointee.zeroed = true
      return .punchesHole
    }
    switch io.kind {
    case .bitmap:
      let data = state.pointee.dataOps
      if data.lowerBound >= 0 {
        for i in data { state.pointee.ops[i].space = .allocates }
      }
      state.pointee.dataOps = -1 ..< -1
      return state.pointee.zeroed ? .allocates : .none
    case .footer: return .allocates
    default: return .none
    }
  }
}
