// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One thing `VHDCheck` found wrong: which file, which structure field, where, and what.
public struct CheckProblem: Equatable, Sendable, CustomStringConvertible {
  public var file: String
  /// The structure and field, e.g. "footer.checksum", "header.table_offset", "BAT[12]",
  /// "batmap.checksum", "locator[1].data_offset", "parent".
  public var field: String
  /// Absolute byte offset of the field or region, when there is one.
  public var offset: UInt64?
  public var message: String

  public init(file: String, field: String, offset: UInt64? = nil, message: String) {
    self.file = file
    self.field = field
    self.offset = offset
    self.message = message
  }

  public var description: String {
    var s = "\(file): \(field)"
    if let offset { s += " (offset \(offset))" }
    return s + ": " + message
  }
}

/// The options of `vhd-util check` (docs/vhd-format.md#vhd-util-commands).
public struct CheckOptions: Sendable {
  /// `-i`: a bad primary footer is not a problem when the copy at offset 0 is good (the state of
  /// an image tapdisk has open, or left by a crash); the copy is then used.
  public var ignorePrimaryFooter: Bool
  /// `-I`: do not compare the parent's unique id with the header's parent UUID.
  public var ignoreParentUUID: Bool
  /// `-t`: do not check timestamps against `now`.
  public var ignoreTimestamps: Bool
  /// `-p`: also check every parent up the chain.
  public var checkParents: Bool
  /// `-b`: sectors whose bitmap bit is clear must hold zeros.
  public var checkZeroData: Bool
  /// `-B`: skip the BAT overlap test.
  public var skipOverlapTest: Bool
  /// The current time, Unix seconds (timestamps may be at most 1800 s past it).
  public var now: Int64

  public init(
    ignorePrimaryFooter: Bool = false, ignoreParentUUID: Bool = false, ignoreTimestamps: Bool = false,
    checkParents: Bool = false, checkZeroData: Bool = false, skipOverlapTest: Bool = false,
    now: Int64 = CheckOptions.wallClock()
  ) {
    self.ignorePrimaryFooter = ignorePrimaryFooter
    self.ignoreParentUUID = ignoreParentUUID
    self.ignoreTimestamps = ignoreTimestamps
    self.checkParents = checkParents
    self.checkZeroData = checkZeroData
    self.skipOverlapTest = skipOverlapTest
    self.now = now
  }

  /// The system's current Unix time.
  public static func wallClock() -> Int64 { Int64(time(nil)) }
}

/// blktap's `vhd-util check` (docs/vhd-format.md#vhd-util-check): validates a VHD's metadata and
/// reports every problem found rather than stopping at the first. It never throws and never traps:
/// a file that cannot be opened is itself one problem. The device is opened read-only.
public enum VHDCheck {
  /// How far in the future a timestamp may lie (clock skew with NFS servers).
  public static let timestampSlack: Int64 = 1800

  /// Checks the file at `path`; with `options.checkParents`, also every parent up the chain
  /// (each problem names its own file).
  public static func check(path: String, storage: any Storage, options: CheckOptions = .init())
    -> [CheckProblem]
  {
    var problems: [CheckProblem] = []
    var seen: Set<String> = [storage.canonicalPath(path)]
    var current = path
    while true {
      let file = FileCheck(path: current, storage: storage, options: options)
      file.run()
      problems += file.problems
      guard options.checkParents, let parent = file.parentToFollow else { break }
      if !seen.insert(storage.canonicalPath(parent)).inserted {
        problems.append(
          CheckProblem(
            file: current, field: "parent", message: "parent loop: \(parent) is already in the chain"))
        break
      }
      current = parent
    }
    return problems
  }

  /// `check` with `checkParents` set: the whole chain from `path` down to its base.
  public static func checkChain(path: String, storage: any Storage, options: CheckOptions = .init())
    -> [CheckProblem]
  {
    var chained = options
    chained.checkParents = true
    return check(path: path, storage: storage, options: chained)
  }
}

extension VHDCheck {
  /// The state of checking one file. The rules live in extensions, one structure per file.
  final class FileCheck {
    let path: String
    let storage: any Storage
    let options: CheckOptions
    private(set) var problems: [CheckProblem] = []

    var device: (any BlockDevice)?
    /// File length in bytes.
    var eof: UInt64 = 0
    /// The footer the remaining checks rely on (primary, or the copy at 0).
    var footer: HardDiskFooter?
    /// The primary footer failed a rule (blktap's `primary_footer_missing`).
    var primaryFooterBad = false
    var header: DynamicDiskHeader?
    var headerOffset: UInt64 = 0
    /// Table offset and block size are sound, so the BAT can be read and blocks measured.
    var tableUsable = false
    /// The first `blockCount` BAT entries (fewer if the table is too small).
    var bat: [UInt32] = []
    /// BAT indices whose block lies inside the file, after the metadata.
    var blocksInFile: [Int] = []
    var batmap: BATMapState?
    /// Where a chain check continues: the first locator that resolves (blktap's
    /// `vhd_parent_locator_get`), nil for a raw parent or a base.
    var parentToFollow: String?

    init(path: String, storage: any Storage, options: CheckOptions) {
      self.path = path
      self.storage = storage
      self.options = options
    }

    func run() {
      do {
        device = try storage.open(path, writable: false)
      } catch {
        report("file", nil, "cannot open: \(error)")
        return
      }
      guard let device else { return }
      eof = device.length
      if eof % 512 != 0 && eof % 512 != 511 {
        report("file.size", nil, "invalid file size \(eof): neither a multiple of 512 nor 511 past one")
      }
      guard let f = checkFooters() else { return }
      footer = f
      guard f.diskType.isSparse, let h = checkHeader(footer: f) else { return }
      header = h
      checkParentFields(footer: f, header: h)
      loadBATMap(footer: f, header: h)
      checkBAT(footer: f, header: h)
      checkBATMap(footer: f, header: h)
      if f.diskType == .differencing { checkLocators(header: h) }
      if options.checkZeroData { checkZeroData(header: h) }
    }

    // MARK: shared helpers

    func report(_ field: String, _ offset: UInt64?, _ message: String) {
      problems.append(CheckProblem(file: path, field: field, offset: offset, message: message))
    }

    /// `count` bytes at `offset`, or nil when they are not all inside the file or the read fails.
    func read(_ count: Int, at offset: UInt64, kind: IOKind) -> [UInt8]? {
      guard let device else { return nil }
      return ParentLookup.read(device, count, at: offset, kind: kind, limit: eof)
    }

    /// The last byte a structure may use: everything must end before the footer (EOF − 512).
    var footerStart: UInt64 { eof >= 512 ? eof - 512 : 0 }

    /// The current time on the VHD clock, plus the allowed slack.
    var latestTimestamp: Int64 { options.now - VHDTimestamp.unixOffset + VHDCheck.timestampSlack }
  }

  /// `a + b`, saturating instead of trapping on garbage offsets.
  static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? UInt64.max : sum
  }

  /// `a * b`, saturating.
  static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? UInt64.max : product
  }

  /// `ceil(a / b)` without overflow (b > 0).
  static func ceilDiv(_ a: UInt64, _ b: UInt64) -> UInt64 {
    a / b + (a % b == 0 ? 0 : 1)
  }

  static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

  /// blktap tests the creator application with `strncmp(crtr_app, "tap", 3)`.
  static func isTapCreator(_ f: HardDiskFooter) -> Bool {
    f.creatorApplication >> 8 == HardDiskFooter.tapCreator >> 8
  }
}
