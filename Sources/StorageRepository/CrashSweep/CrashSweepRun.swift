// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// One run of a crash sweep: a fresh SR on a fault-injecting in-memory storage, set up
/// deterministically for its operation, with the guest (the VM writing to its VDI) and the oracle
/// of what every VDI must read. The sweep arms the storage, calls `perform()`, and when the injected
/// fault ends it, restarts the host on `faulty.base`.
public final class CrashSweepRun {
  public let operation: CrashSweepOperation
  public let configuration: CrashSweepConfiguration
  public let faulty: FaultInjectingStorage
  public let sr: SR
  public internal(set) var oracle = CrashSweepOracle()
  /// The VM's disk (the VDI the operation works on).
  public internal(set) var vdi = ""
  /// Nodes the setup named, for the operation (e.g. "B2" of the coalesce shape).
  var named: [String: String] = [:]
  /// Blocks the guest dirtied since the last `takeDirtyBlocks()` while tracking (mirror design).
  private var dirty: Set<Int> = []
  var trackingDirtyBlocks = false
  var random: SplitMix64
  /// Guest writes issued so far (each gets its own data pattern).
  public private(set) var guestWrites = 0
  /// Mirror design: the blocks of each `recopy(blocks:)` pass, in order (the last one paused).
  public internal(set) var mirrorRecopies: [[Int]] = []

  /// Builds the SR and runs the operation's setup; nothing is armed yet.
  public init(
    operation: CrashSweepOperation, kind: CrashSweepSRKind, configuration: CrashSweepConfiguration = .init()
  ) throws {
    self.operation = operation
    self.configuration = configuration
    faulty = FaultInjectingStorage(MemoryStorage())
    sr = SR(
      storage: faulty, directory: "/sr", kind: kind.srKind, capacity: configuration.capacity,
      stamps: StampSequence(seed: configuration.seed))
    random = SplitMix64(seed: configuration.seed ^ 0x5EED_0F_FA17)
    try setUp()
  }

  /// A copy of `template` as it is now (normally right after its setup): the same files byte for
  /// byte on a new fault-injecting in-memory storage, the same records, LV sizes, attachments and
  /// uuid sequence, the same oracle and guest state. Equivalent to a fresh setup, without redoing
  /// its many small writes for every crash point.
  public init(copying template: CrashSweepRun) throws {
    operation = template.operation
    configuration = template.configuration
    let memory = MemoryStorage()
    let source = template.faulty.base
    for name in try source.list(directory: template.sr.directory) {
      let path = VHDPath.join(template.sr.directory, name)
      let from = try source.open(path, writable: false)
      var bytes = [UInt8](repeating: 0, count: Int(from.length))
      try bytes.withUnsafeMutableBytes { try from.read(into: $0, at: 0, kind: .data) }
      let to = try memory.create(path)
      try bytes.withUnsafeBytes { try to.write($0, at: 0, kind: .data) }
    }
    faulty = FaultInjectingStorage(memory)
    let t = template.sr
    sr = SR(
      storage: faulty, directory: t.directory, kind: t.kind, capacity: t.capacity, depthLimit: t.depthLimit,
      engineOptions: t.engineOptions, stamps: t.stamps)
    sr.records = t.records
    sr.lvSizes = t.lvSizes
    sr.attachments = t.attachments
    sr.virtualAllocation = t.virtualAllocation
    oracle = template.oracle
    vdi = template.vdi
    named = template.named
    random = template.random
    guestWrites = template.guestWrites
  }

  /// Physical writes and namespace changes counted so far.
  public var writesSeen: Int { faulty.writesSeen }

  // MARK: the guest

  /// Creates the VM's disk, attached read-write as a running VM's is.
  func createDisk(label: String) throws -> String {
    let r = try sr.createVDI(nameLabel: label, virtualSize: configuration.virtualSize)
    oracle.disks[r.uuid] = [UInt8](repeating: 0, count: Int(configuration.virtualSize))
    try sr.attach(r.uuid, writable: true)
    return r.uuid
  }

  /// One guest write of seeded data at a seeded place, through the VDI's chain on the same
  /// (fault-injecting) storage. A write the crash interrupts is recorded as such in the oracle
  /// before the fault goes on up.
  func guestWrite(_ uuid: String) throws {
    let sectors = configuration.virtualSize / 512
    let count = Int(random.next() % UInt64(configuration.maxWriteSectors)) + 1
    try guestWrite(uuid, sector: random.next() % (sectors - UInt64(count)), count: count)
  }

  /// The guest writes its whole disk once (as an installed system has): every sector holds data,
  /// so every later read is served by some level rather than zero-filled.
  func guestFillWholeDisk(_ uuid: String) throws {
    let sectors = Int(configuration.virtualSize / 512)
    let perWrite = Int(VHDSpace.blockSize / 512)
    for sector in stride(from: 0, to: sectors, by: perWrite) {
      try guestWrite(uuid, sector: UInt64(sector), count: min(perWrite, sectors - sector))
    }
  }

  /// A guest write of `count` sectors of seeded data at `sector`.
  func guestWrite(_ uuid: String, sector: UInt64, count: Int) throws {
    var pattern = SplitMix64(seed: configuration.seed &* 0x9E37_79B9 &+ UInt64(guestWrites))
    guestWrites += 1
    var bytes = [UInt8](repeating: 0, count: count * 512)
    for i in stride(from: 0, to: bytes.count, by: 8) {
      let v = pattern.next()
      for b in 0..<8 { bytes[i + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(b))) }
    }
    if trackingDirtyBlocks {
      let perBlock = VHDSpace.blockSize / 512
      for block in Int(sector / perBlock)...Int((sector + UInt64(count) - 1) / perBlock) {
        dirty.insert(block)
      }
    }
    do {
      let chain = try VHDChain.open(
        sr.path(of: uuid), storage: sr.storage, writable: true, options: sr.engineOptions)
      try chain.write(sector: sector, bytes: bytes)
      try chain.close()
    } catch {
      oracle.interrupted = .init(vdi: uuid, sector: sector, bytes: bytes)
      throw error
    }
    oracle.apply(uuid, sector: sector, bytes: bytes)
  }

  /// `count` guest writes to `uuid`.
  func guestWrites(_ uuid: String, _ count: Int) throws {
    for _ in 0..<count { try guestWrite(uuid) }
  }

  /// The blocks dirtied since the last call, ascending; clears them.
  func takeDirtyBlocks() -> [Int] {
    defer { dirty.removeAll() }
    return dirty.sorted()
  }

  /// A snapshot whose new leaf the oracle learns (it reads what `uuid` held).
  @discardableResult
  func snapshot(_ uuid: String, kind: SnapshotKind = .double) throws -> SnapshotResult {
    let r = try sr.snapshot(uuid, kind: kind)
    if let s = r.snapshot { oracle.disks[s.uuid] = oracle.disks[uuid] }
    return r
  }

  func delete(_ uuid: String) throws {
    try sr.delete(uuid)
    oracle.disks[uuid] = nil
  }

  /// Lets `optional` VDIs (from the reference run) appear after a crash.
  func allow(_ optional: [String: CrashSweepOracle.OptionalVDI]) {
    oracle.optional = optional
  }
}
