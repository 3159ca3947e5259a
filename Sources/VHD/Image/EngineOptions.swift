// SPDX-License-Identifier: GPL-3.0-or-later

/// Switches that change how the engine works without changing what it stores, so that designs can
/// be measured against each other (BATmap on/off, bitmap cache size, tapdisk vs libvhd footers).
public struct EngineOptions: Equatable, Sendable {
  /// When the end footer is rewritten after a block allocation.
  public enum FooterPolicy: Equatable, Sendable {
    /// libvhd (`vhd_io_write`, vhd-util): after every allocation the footer moves to the new end
    /// and the file is truncated there. The file is valid after every call.
    case everyAllocation
    /// tapdisk: a new block overwrites the old footer; footer and BATmap are written on `close()`
    /// (or `flush()`). Until then only the offset-0 copy is valid, as with a live tapdisk.
    case onClose
  }

  /// What is zeroed when a block is allocated by a write that does not cover the whole block.
  public enum ZeroFill: Equatable, Sendable {
    /// Gap, bitmap and the 2 MiB data area (tapdisk with preallocation, libvhd). Devices turn the
    /// data part into holes, so it is cheap to run but visible as a 2 MiB write to the I/O tap.
    case fullBlock
    /// Gap and bitmap only (tapdisk on NFS and LVM, `vhd-util coalesce -s`).
    case bitmapOnly
  }

  /// What the engine does beyond ordering its writes so that files survive a crash
  /// (docs/vhd-format.md#crash-safety).
  public enum Durability: Equatable, Sendable {
    /// Writes are ordered so that a file stays valid if the process stops after any of them;
    /// nothing is fsynced (the page cache survives a killed process, not a power loss).
    case ordered
    /// Also fsync before every BAT update and when an image is closed or flushed, so the order
    /// holds on the disk too; new files are built under a staging name and renamed into place.
    case synced
  }

  /// Bitmaps cached per image; tapdisk keeps a small per-image cache. 0 disables caching (every
  /// bitmap consult reads the device); `Int.max` caches every bitmap.
  public var bitmapCacheCapacity: Int
  /// Whether reads (and coalesce) may take the BATmap shortcut. The BATmap is maintained on disk
  /// either way, so files stay blktap-compatible; turning this off measures the design without it.
  public var useBATMap: Bool
  public var footerPolicy: FooterPolicy
  public var zeroFill: ZeroFill
  public var durability: Durability

  public init(
    bitmapCacheCapacity: Int = EngineOptions.tapdiskBitmapCacheSize, useBATMap: Bool = true,
    footerPolicy: FooterPolicy = .everyAllocation, zeroFill: ZeroFill = .fullBlock,
    durability: Durability = .ordered
  ) {
    self.durability = durability
    self.bitmapCacheCapacity = bitmapCacheCapacity
    self.useBATMap = useBATMap
    self.footerPolicy = footerPolicy
    self.zeroFill = zeroFill
  }

  /// What the vhd-util-style commands use on real files: libvhd's engine, fsynced
  /// (docs/vhd-format.md#crash-safety).
  public static let synced = EngineOptions(durability: .synced)

  /// fsync when `synced`: the ordering barrier before a BAT update, and at flush and creation.
  func sync(_ device: any BlockDevice, file: String) throws {
    guard durability == .synced else { return }
    do { try device.flush() } catch { throw VHDError.wrap(error, file: file, field: "fsync") }
  }

  /// tapdisk's per-image bitmap cache (`VHD_CACHE_SIZE` in drivers/block-vhd.c).
  public static let tapdiskBitmapCacheSize = 32
}

/// One physical I/O the engine issued, as the I/O tap reports it.
public struct PhysicalIO: Equatable, Sendable, CustomStringConvertible {
  /// Chain level of the image (0 = leaf), or the image's `level` as set by its owner.
  public var level: Int
  public var kind: IOKind
  public var direction: IODirection
  public var offset: UInt64
  public var length: UInt64
  /// A `writeZeros`: the range is to read as zeros. No data need move (a sparse file punches a hole
  /// or grows), so a timing model may charge it differently from a write of `length` bytes.
  public var zeroing: Bool

  public init(
    level: Int, kind: IOKind, direction: IODirection, offset: UInt64, length: UInt64, zeroing: Bool = false
  ) {
    self.level = level
    self.kind = kind
    self.direction = direction
    self.offset = offset
    self.length = length
    self.zeroing = zeroing
  }

  public var description: String { "L\(level) \(direction) \(kind) @\(offset)+\(length)" }
}

/// Receives every physical I/O of the images it is attached to. Nothing is recorded (and nothing
/// costs) when no observer is attached.
public protocol IOObserver: AnyObject {
  func observe(_ io: PhysicalIO)
}

/// An observer that keeps the list, for tests and small runs.
public final class IORecorder: IOObserver {
  public private(set) var ios: [PhysicalIO] = []
  public init() {}
  public func observe(_ io: PhysicalIO) { ios.append(io) }
  public func reset() { ios.removeAll(keepingCapacity: true) }
  /// Total bytes per kind and direction.
  public func bytes(_ kind: IOKind, _ direction: IODirection) -> UInt64 {
    ios.reduce(0) { $0 + ($1.kind == kind && $1.direction == direction ? $1.length : 0) }
  }
  public func count(_ kind: IOKind, _ direction: IODirection) -> Int {
    ios.reduce(0) { $0 + ($1.kind == kind && $1.direction == direction ? 1 : 0) }
  }
}
