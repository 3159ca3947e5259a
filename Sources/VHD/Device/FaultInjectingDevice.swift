// SPDX-License-Identifier: GPL-3.0-or-later

/// A device that simulates a power loss in the middle of an operation, for crash-recovery sweeps.
///
/// It wraps another device and counts its physical writes: `write`, `writeZeros` and `truncate`
/// each count as one. Armed with `crashAfterWrites(k)`, the k-th write after arming (1-based)
/// either does not happen at all or, with `tear: true`, only its first half (rounded down to a
/// multiple of 512 bytes, possibly nothing) reaches the wrapped device. That write and every later
/// write or flush then throw `DeviceError.Code.injectedFault`. Reads keep working and see what
/// survived, as the media would after the power came back. A torn `truncate` does not happen.
///
/// A sweep runs an operation once unarmed to learn its write count `n`, then for each `k` in
/// `1...n` rebuilds the images, arms `k`, runs the operation again and checks that what is left
/// on the wrapped device opens and is consistent.
///
/// The count lives in a `CrashSchedule`, which several devices (and a `FaultInjectingStorage`) may
/// share. Writes to a read-only `base` are not counted: they fail with `.readOnly` as usual.
public final class FaultInjectingDevice: BlockDevice {
  /// The device the writes reach.
  public let base: any BlockDevice
  /// The write counter, possibly shared with other devices.
  public let schedule: CrashSchedule
  /// Writes issued so far (through every device sharing the schedule), the crashing one
  /// included; writes refused after the crash do not count.
  public var writesSeen: Int { schedule.writesSeen }
  /// True once the injected crash has happened.
  public var hasCrashed: Bool { schedule.hasCrashed }

  /// Wraps `base`, optionally armed at once (see `crashAfterWrites(_:tear:)`).
  public init(_ base: any BlockDevice, crashAfterWrites writes: Int? = nil, tear: Bool = false) {
    self.base = base
    self.schedule = CrashSchedule()
    if let writes { crashAfterWrites(writes, tear: tear) }
  }

  /// Wraps `base`, counting its writes on `schedule` together with whatever else shares it.
  public init(_ base: any BlockDevice, schedule: CrashSchedule) {
    self.base = base
    self.schedule = schedule
  }

  /// Arms the crash: the `writes`-th write from now (1-based) is lost, or torn when `tear` is set.
  public func crashAfterWrites(_ writes: Int, tear: Bool = false) {
    schedule.crashAfterWrites(writes, tear: tear)
  }

  /// Cancels a pending crash (a crash that already happened stays).
  public func disarm() {
    schedule.disarm()
  }

  public var name: String { base.name }
  public var length: UInt64 { base.length }
  public var isWritable: Bool { base.isWritable }

  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    try base.read(into: buffer, at: offset, kind: kind)
  }

  public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    if try countWrite(offset, UInt64(buffer.count)) {
      try base.write(buffer, at: offset, kind: kind)
      return
    }
    let kept = Self.tornLength(buffer.count)
    if kept > 0 { try base.write(UnsafeRawBufferPointer(rebasing: buffer[..<kept]), at: offset, kind: kind) }
    throw fault(offset, UInt64(buffer.count))
  }

  public func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    if try countWrite(offset, length) {
      try base.writeZeros(at: offset, length: length, kind: kind)
      return
    }
    let kept = UInt64(Self.tornLength(Int(clamping: length)))
    if kept > 0 { try base.writeZeros(at: offset, length: kept, kind: kind) }
    throw fault(offset, length)
  }

  public func truncate(to length: UInt64) throws {
    if try countWrite(length, 0) {
      try base.truncate(to: length)
      return
    }
    throw fault(length, 0)
  }

  public func flush() throws {
    if hasCrashed { throw fault(0, 0) }
    try base.flush()
  }

  public func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] {
    try base.dataRegions(in: range)
  }

  public func settle() { base.settle() }

  /// Counts a write; true when it should go through whole, false when it is the crashing one
  /// (whose torn part, if any, the caller still writes). Throws when the crash already happened.
  private func countWrite(_ offset: UInt64, _ length: UInt64) throws -> Bool {
    if hasCrashed { throw fault(offset, length) }
    if !base.isWritable { return true }
    switch schedule.count() {
    case .proceed: return true
    case .torn: return false
    case .lost, nil: throw fault(offset, length)
    }
  }

  /// Bytes of a torn write that reach the media: half, rounded down to whole sectors.
  private static func tornLength(_ count: Int) -> Int {
    (count / 2) & ~511
  }

  private func fault(_ offset: UInt64, _ length: UInt64) -> DeviceError {
    DeviceError(.injectedFault, device: name, offset: offset, length: length)
  }
}
