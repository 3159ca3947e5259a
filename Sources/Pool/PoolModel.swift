// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// What happens in the pool, as plain values the kernel stores without allocating.
public enum PoolEvent: Sendable {
  /// A closed-loop VM issues its next request.
  case issue(vm: Int32)
  /// An open-loop VM's Poisson arrival.
  case arrival(vm: Int32)
  /// The disk finished serving a request slot.
  case diskDone(slot: Int32)
  /// A request that needed no device I/O (reads of never-written sectors) completes.
  case done(slot: Int32)
  case sample
  case pause(vdi: Int32)
  case unpause(vdi: Int32, reopen: Bool)
  /// A request a generator-driven VM made reaches its tapdisk (the slot already holds it).
  case arrive(slot: Int32)
  /// A scheduled snapshot (index into the pool's snapshot records) begins.
  case snapshot(index: Int32)
  /// A scheduled storage-repository operation (index into the SR host's records) begins or retries.
  case srOperation(index: Int32)
  /// A backup schedule's period comes round.
  case backup(schedule: Int32)
  /// The periodic SR scan (xapi's auto-scan), which kicks the GC.
  case autoScan
  /// The GC's quiet period ends (worker −1), or a GC worker's wait (overhead, retry, timeout) ends;
  /// `token` tells a stale wake-up from the current one.
  case gcWake(worker: Int32, token: Int32)
}

/// One request in the system: a guest request, or a tapdisk's reopen metadata read. Slots are reused so
/// that their arrays (device I/Os, per-level work) keep their storage from request to request.
struct RequestSlot {
  enum Kind { case guest, reopen, gc }
  var kind = Kind.guest
  var vm: Int32 = 0
  var vdi: Int32 = 0
  var isWrite = false
  var sector: UInt64 = 0
  var sectors = 0
  var issued = SimTime.zero
  /// When a paused tapdisk started holding it (`.min`: never held).
  var heldSince = SimTime.min
  var stall = SimTime.zero
  var diskArrived = SimTime.zero
  var serviceTime = SimTime.zero
  var ops: [DiskOp] = []
  var depth = 0
  var levelsProbed = 0
  var zeroFilled = 0
  var blocksAllocated = 0
  var levels: [LevelWork] = []
  var counts = [Int](repeating: 0, count: IOTap.countSlots)
  var bytes = [UInt64](repeating: 0, count: IOTap.countSlots)
  /// Index in the VDI's write log (writes of a pool that records them), else −1.
  var logIndex = -1
  /// The generator's `GuestRequest.sequence` (−1 for the built-in workload).
  var guestSequence = -1
  /// Between the engine call and completion.
  var inEngine = false
  /// What the write overwrote (only while a `skipDrain` snapshot is scheduled).
  var preimage: [UInt8] = []
}

/// The guests' data buffer: one allocation for the run, filled once with a pattern for writes.
final class EngineBuffer {
  let pointer: UnsafeMutableRawPointer
  let bytes: Int
  init(bytes: Int) {
    self.bytes = Swift.max(bytes, 4096)
    pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 4096), alignment: 4096)
    pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Swift.max(bytes, 4096))
  }
  deinit { pointer.deallocate() }
}

/// The simulated system as one `SimulationModel`: VMs → tapdisk queues → engine → SR placement → disk
/// FIFO → completion → metrics. All state is here; `PoolSimulation` is the public front.
struct PoolModel: SimulationModel {
  var disk: SimulatedDisk
  let tap: IOTap
  let storage: any Storage
  let engine: EngineOptions
  var tapdisks: [Tapdisk] = []
  var vms: [VirtualMachine] = []
  var slots: [RequestSlot] = []
  var freeSlots: [Int32] = []
  var accounting = RequestAccounting()
  var buffer = EngineBuffer(bytes: 4096)
  var result = RunResult()
  var recordTrace = false
  var sampleInterval: SimTime?
  /// Unpause requests that arrived while their tapdisk was still draining.
  var pendingUnpause: [Int: Bool] = [:]
  var failure: (any Error)?
  /// Per VDI: every guest write in the order the tapdisk handed it to the engine (when recording).
  var recordWrites = false
  var writeLogs: [[WriteRecord]] = []
  /// Snapshots scheduled or taken, in scheduling order.
  var snapshots: [SnapshotRecord] = []
  /// VDI → snapshot waiting for its tapdisk to drain.
  var pendingSnapshot: [Int: Int] = [:]
  /// VDI → snapshot whose reopen has not finished yet.
  var awaitingResume: [Int: Int] = [:]
  /// Save what each write overwrites (a `skipDrain` snapshot is scheduled).
  var keepPreimages = false
  var seed: UInt64 = 1
  /// Flushes the generators asked for (acknowledged at once: data is in the image when a write completes).
  var flushes = 0
  /// The storage repository the VDIs live in and its GC, when the pool runs over one (`useSR`).
  var host: SRHost?
  /// VDI → SR-layer user waiting for its tapdisk to drain (SR snapshot, GC refresh or leaf coalesce).
  var pauseClients: [Int: PauseClient] = [:]
  /// VDI → SR-layer user waiting for its tapdisk's reopen to finish.
  var resumeClients: [Int: PauseClient] = [:]

  init(disk: any DiskModel, placement: SRPlacement, storage: any Storage, engine: EngineOptions) {
    self.disk = SimulatedDisk(model: disk)
    tap = IOTap(placement: placement)
    self.storage = storage
    self.engine = engine
  }

  mutating func handle(_ event: PoolEvent, at now: SimTime, sim: inout Simulator<PoolEvent>) {
    switch event {
    case .issue(let vm):
      issue(Int(vm), sim: &sim)
    case .arrival(let vm):
      issue(Int(vm), sim: &sim)
      sim.schedule(.arrival(vm: vm), after: vms[Int(vm)].interarrival())
    case .diskDone(let slot):
      if let next = disk.depart(arrivedAt: slots[Int(slot)].diskArrived, at: now) {
        startService(next, sim: &sim)
      }
      finish(slot, sim: &sim)
    case .done(let slot):
      finish(slot, sim: &sim)
    case .sample:
      result.timeSeries.append(
        TimeSample(
          time: now, chainDepth: tapdisks.map(\.chain.depth).max() ?? 0,
          allocatedBytes: tap.state.pointee.placement.allocatedBytes,
          completed: result.requests))
      if let host {
        do { try host.recordSpace(at: now) } catch { fail(error, sim: &sim) }
      }
      if let dt = sampleInterval { sim.schedule(.sample, after: dt) }
    case .pause(let vdi):
      pause(Int(vdi), sim: &sim)
    case .unpause(let vdi, let reopen):
      unpause(Int(vdi), reopen: reopen, sim: &sim)
    case .arrive(let slot):
      slots[Int(slot)].issued = now
      let vm = Int(slots[Int(slot)].vm)
      admit(slot, sim: &sim)
      if vms[vm].generatorLoop == .open { pull(vm, sim: &sim) }
    case .snapshot(let index):
      beginSnapshot(Int(index), sim: &sim)
    case .srOperation(let index):
      beginSROperation(Int(index), sim: &sim)
    case .backup(let schedule):
      runBackup(Int(schedule), sim: &sim)
    case .autoScan:
      autoScan(sim: &sim)
    case .gcWake(let worker, let token):
      gcWake(Int(worker), token: Int(token), sim: &sim)
    }
  }

  // MARK: requests

  mutating func allocateSlot() -> Int32 {
    if let s = freeSlots.popLast() { return s }
    slots.append(RequestSlot())
    return Int32(slots.count - 1)
  }

  mutating func issue(_ vm: Int, sim: inout Simulator<PoolEvent>) {
    let request = vms[vm].nextRequest()
    let s = allocateSlot()
    let vdi = vms[vm].vdi
    let now = sim.now
    do {
      let i = Int(s)
      slots[i].kind = .guest
      slots[i].vm = Int32(vm)
      slots[i].vdi = Int32(vdi)
      slots[i].isWrite = request.isWrite
      slots[i].sector = request.sector
      slots[i].sectors = request.sectors
      slots[i].issued = now
      slots[i].heldSince = .min
      slots[i].stall = .zero
      slots[i].guestSequence = -1
    }
    admit(s, sim: &sim)
  }

  /// The next request of a generator-driven VM: flushes are acknowledged at once; a data request takes
  /// a slot and arrives at its time.
  mutating func pull(_ vm: Int, sim: inout Simulator<PoolEvent>) {
    var t = sim.now
    var flushesInARow = 0
    while true {
      guard let r = vms[vm].generator?.next(now: t) else { return }
      t = Swift.max(t, r.time)
      if r.operation == .flush {
        flushes += 1
        flushesInARow += 1
        if flushesInARow > 100_000 {
          fail(PoolError("VM \(vm)'s generator issues nothing but flushes"), sim: &sim)
          return
        }
        continue
      }
      let vdi = vms[vm].vdi
      let size = tapdisks[vdi].chain.leaf.sizeSectors
      guard r.sectors > 0, r.lba < size, UInt64(r.sectors) <= size - r.lba else {
        fail(
          PoolError(
            "VM \(vm) request #\(r.sequence) (\(r.lba)+\(r.sectors)) runs past the \(size)-sector disk"),
          sim: &sim)
        return
      }
      let s = allocateSlot()
      let i = Int(s)
      slots[i].kind = .guest
      slots[i].vm = Int32(vm)
      slots[i].vdi = Int32(vdi)
      slots[i].isWrite = r.operation == .write
      slots[i].sector = r.lba
      slots[i].sectors = r.sectors
      slots[i].issued = t
      slots[i].heldSince = .min
      slots[i].stall = .zero
      slots[i].guestSequence = r.sequence
      sim.schedule(.arrive(slot: s), at: t)
      return
    }
  }

  /// The tapdisk takes the request now, or queues it (held while paused).
  mutating func admit(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let vdi = Int(slots[Int(s)].vdi)
    let now = sim.now
    if tapdisks[vdi].accepting && tapdisks[vdi].waiting.isEmpty {
      dispatch(s, sim: &sim)
    } else {
      if tapdisks[vdi].state != .running { slots[Int(s)].heldSince = now }
      tapdisks[vdi].waiting.append(s)
    }
  }

  /// The tapdisk takes the request: engine call, then the disk.
  mutating func dispatch(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let i = Int(s)
    let vdi = Int(slots[i].vdi)
    let now = sim.now
    tapdisks[vdi].inFlight += 1
    if slots[i].heldSince != .min { slots[i].stall = now - slots[i].heldSince }
    let chain = tapdisks[vdi].chain
    let need = slots[i].sectors * 512
    if need > buffer.bytes { buffer = EngineBuffer(bytes: need) }
    slots[i].inEngine = true
    slots[i].logIndex = -1
    do {
      if slots[i].isWrite && recordWrites {
        let index = writeLogs[vdi].count
        slots[i].logIndex = index
        writeLogs[vdi].append(
          WriteRecord(
            sequence: index, vm: Int(slots[i].vm), guestSequence: slots[i].guestSequence,
            lba: slots[i].sector, sectors: slots[i].sectors, dispatched: now))
        SectorTag.fill(buffer.pointer, write: index, lba: slots[i].sector, sectors: slots[i].sectors)
        if keepPreimages {
          var pre = [UInt8](repeating: 0, count: need)
          let (sector, count) = (slots[i].sector, slots[i].sectors)
          try pre.withUnsafeMutableBytes {
            try chain.read(sector: sector, count: count, into: $0.baseAddress!, accounting: &accounting)
          }
          slots[i].preimage = pre
        }
      }
      tap.begin(levels: tapdisks[vdi].levelVolumes)
      if slots[i].isWrite {
        try chain.write(
          sector: slots[i].sector, count: slots[i].sectors, from: buffer.pointer, accounting: &accounting)
      } else {
        try chain.read(
          sector: slots[i].sector, count: slots[i].sectors, into: buffer.pointer, accounting: &accounting)
      }
    } catch {
      fail(error, sim: &sim)
      return
    }
    if let f = tap.state.pointee.failure {
      fail(f, sim: &sim)
      return
    }
    if slots[i].isWrite && tapdisks[vdi].mirror != nil {
      tapdisks[vdi].mirror!.mark(sector: slots[i].sector, sectors: slots[i].sectors)
    }
    // Keep what the metrics need; the per-level copy reuses the slot's array.
    let depth = accounting.levels.count
    slots[i].depth = depth
    slots[i].levelsProbed = accounting.levelsProbed
    slots[i].zeroFilled = accounting.zeroFilledSectors
    slots[i].blocksAllocated = accounting.blocksAllocated
    if slots[i].levels.count != depth { slots[i].levels = Array(repeating: LevelWork(), count: depth) }
    for l in 0..<depth { slots[i].levels[l] = accounting.levels[l] }
    let tapState = tap.state
    for k in 0..<IOTap.countSlots {
      slots[i].counts[k] = tapState.pointee.counts[k]
      slots[i].bytes[k] = tapState.pointee.bytes[k]
    }
    swap(&tapState.pointee.ops, &slots[i].ops)
    submit(s, sim: &sim)
  }

  mutating func submit(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let i = Int(s)
    slots[i].diskArrived = sim.now
    slots[i].serviceTime = .zero
    if slots[i].ops.isEmpty {
      sim.schedule(.done(slot: s), after: .zero)
    } else if disk.arrive(s, at: sim.now) {
      startService(s, sim: &sim)
    }
  }

  mutating func startService(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let ops = slots[Int(s)].ops
    let t = ops.withUnsafeBufferPointer { disk.service($0, at: sim.now) }
    slots[Int(s)].serviceTime = t
    sim.schedule(.diskDone(slot: s), after: t)
  }

  mutating func finish(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let i = Int(s)
    let vdi = Int(slots[i].vdi)
    // Read before anything below can reuse the freed slot (a drain may start a snapshot or GC step).
    let vm = Int(slots[i].vm)
    freeSlots.append(s)
    if slots[i].kind == .gc {
      gcRequestDone(Int(slots[i].vm), sim: &sim)
      return
    }
    if slots[i].kind == .reopen {
      if let k = awaitingResume.removeValue(forKey: vdi) { snapshots[k].resumedAt = sim.now }
      tapdisks[vdi].state = .running
      pump(vdi, sim: &sim)
      if let client = resumeClients.removeValue(forKey: vdi) { resumed(vdi, for: client, sim: &sim) }
      return
    }
    record(i, at: sim.now)
    slots[i].inEngine = false
    if slots[i].logIndex >= 0 { writeLogs[vdi][slots[i].logIndex].completed = sim.now }
    tapdisks[vdi].inFlight -= 1
    if tapdisks[vdi].state == .draining && tapdisks[vdi].inFlight == 0 {
      drained(vdi, sim: &sim)
    } else {
      pump(vdi, sim: &sim)
    }
    if vms[vm].generator != nil {
      if vms[vm].generatorLoop != .open { pull(vm, sim: &sim) }
    } else if case .closedLoop = vms[vm].spec.arrivals {
      issue(vm, sim: &sim)
    }
  }

  /// Moves queued requests into the engine while the tapdisk accepts them.
  mutating func pump(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    while tapdisks[vdi].accepting, let next = tapdisks[vdi].waiting.popFirst() {
      dispatch(next, sim: &sim)
      if failure != nil { return }
    }
  }

  mutating func fail(_ error: any Error, sim: inout Simulator<PoolEvent>) {
    if failure == nil { failure = error }
    sim.stop()
  }

  // MARK: metrics

  mutating func record(_ i: Int, at now: SimTime) {
    let latency = now - slots[i].issued
    let bytes = UInt64(slots[i].sectors) * 512
    if slots[i].isWrite {
      result.writes += 1
      result.bytesWritten += bytes
      result.writeLatency.record(latency)
    } else {
      result.reads += 1
      result.bytesRead += bytes
      result.readLatency.record(latency)
    }
    result.latency.record(latency)
    let depth = slots[i].depth
    if result.levels.count < depth {
      result.levels.append(contentsOf: repeatElement(LevelTotals(), count: depth - result.levels.count))
    }
    var probes = 0
    var hits = 0
    var reads = 0
    var shortcuts = 0
    for l in 0..<depth {
      let w = slots[i].levels[l]
      result.levels[l] += w
      probes += w.batProbes
      hits += w.bitmapCacheHits
      reads += w.bitmapReads
      shortcuts += w.batmapShortcuts
    }
    result.levelsProbedSum += slots[i].levelsProbed
    result.chainDepthSum += depth
    result.zeroFilledSectors += slots[i].zeroFilled
    result.blocksAllocated += slots[i].blocksAllocated
    for k in 0..<IOTap.countSlots where slots[i].counts[k] != 0 {
      result.ios[k].count += slots[i].counts[k]
      result.ios[k].bytes += slots[i].bytes[k]
    }
    result.deviceIOs += slots[i].ops.count
    if slots[i].heldSince != .min {
      result.stalledRequests += 1
      result.stallTime += slots[i].stall
      if slots[i].stall > result.maxStall { result.maxStall = slots[i].stall }
    }
    if recordTrace {
      var kinds = [Int](repeating: 0, count: IOKind.allCases.count)
      for k in 0..<IOTap.countSlots { kinds[k / 2] += slots[i].counts[k] }
      result.trace.append(
        TraceRecord(
          issued: slots[i].issued, completed: now, vm: Int(slots[i].vm), isWrite: slots[i].isWrite,
          sector: slots[i].sector, bytes: Int(bytes), queueTime: latency - slots[i].serviceTime,
          serviceTime: slots[i].serviceTime, stallTime: slots[i].stall, chainDepth: depth,
          levelsProbed: slots[i].levelsProbed, batProbes: probes, bitmapCacheHits: hits, bitmapReads: reads,
          batmapShortcuts: shortcuts, iosByKind: kinds))
    }
  }

  // MARK: pause, unpause, reopen

  mutating func pause(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    guard tapdisks[vdi].state == .running else { return }
    let now = sim.now
    tapdisks[vdi].waiting.forEach { s in if slots[Int(s)].heldSince == .min { slots[Int(s)].heldSince = now }
    }
    if tapdisks[vdi].inFlight == 0 {
      tapdisks[vdi].state = .paused
    } else {
      tapdisks[vdi].state = .draining
    }
  }

  mutating func drained(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    tapdisks[vdi].state = .paused
    if let k = pendingSnapshot.removeValue(forKey: vdi) {
      takeSnapshot(k, sim: &sim)
      return
    }
    if let client = pauseClients.removeValue(forKey: vdi) {
      paused(vdi, for: client, sim: &sim)
      return
    }
    if let reopen = pendingUnpause.removeValue(forKey: vdi) { unpause(vdi, reopen: reopen, sim: &sim) }
  }

  mutating func unpause(_ vdi: Int, reopen: Bool, sim: inout Simulator<PoolEvent>) {
    switch tapdisks[vdi].state {
    case .running, .reopening: return
    case .draining:
      pendingUnpause[vdi] = reopen
      return
    case .paused: break
    }
    guard reopen else {
      tapdisks[vdi].state = .running
      pump(vdi, sim: &sim)
      return
    }
    do {
      try reopenChain(vdi, sim: &sim)
    } catch {
      fail(error, sim: &sim)
    }
  }

  /// Closes and reopens the VDI's chain (it may have changed while paused), then reads every level's
  /// metadata through the disk; the tapdisk runs again when that read completes.
  mutating func reopenChain(_ vdi: Int, closeFirst: Bool = true, sim: inout Simulator<PoolEvent>) throws {
    if closeFirst { try tapdisks[vdi].chain.close() }
    let chain = try VHDChain.open(tapdisks[vdi].leafPath, storage: storage, writable: true, options: engine)
    chain.setObserver(tap)
    tapdisks[vdi].chain = chain
    tapdisks[vdi].levelVolumes = try PoolModel.attachVolumes(chain, placement: &tap.state.pointee.placement)
    tapdisks[vdi].state = .reopening
    let s = allocateSlot()
    let i = Int(s)
    slots[i].kind = .reopen
    slots[i].vdi = Int32(vdi)
    slots[i].ops.removeAll(keepingCapacity: true)
    for (level, image) in chain.images.enumerated() {
      for r in Tapdisk.reopenReads(image) {
        try tap.state.pointee.placement.translate(
          volume: tapdisks[vdi].levelVolumes[level], offset: r.offset, length: r.length, isWrite: false,
          into: &slots[i].ops)
        result.reopenBytes += r.length
      }
    }
    result.reopens += 1
    submit(s, sim: &sim)
  }

  /// Gives every level of `chain` its SR volume (base first, so a chain's levels are placed in order)
  /// and returns the level → volume table. A new file volume gets extents for the bytes already in the
  /// file; a new LV gets its whole size: a leaf is inflated to hold every block, a read-only parent is
  /// deflated to its file size, as the LVM SR's storage manager sizes them.
  static func attachVolumes(_ chain: VHDChain, placement: inout SRPlacement) throws(PoolError) -> [Int] {
    var volumes = [Int](repeating: 0, count: chain.depth)
    for level in stride(from: chain.depth - 1, through: 0, by: -1) {
      let image = chain.images[level]
      let fileBytes = image.device.length
      var size = fileBytes
      if placement.kind == .lvm, image.isWritable, let header = image.header {
        let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
        let perBlock = UInt64(header.blockSize) + 512 * UInt64(header.bitmapSectors)
        size = Swift.max(
          fileBytes, layout.locatorsOffset + 64 << 10 + UInt64(header.maxTableEntries) * perBlock)
      }
      let fresh = placement.volume(named: image.path) == nil
      let v = try placement.attach(image.path, size: size)
      if fresh && placement.kind == .file { try placement.reserve(volume: v, upTo: fileBytes) }
      volumes[level] = v
    }
    return volumes
  }
}
