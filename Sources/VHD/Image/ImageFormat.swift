// SPDX-License-Identifier: GPL-3.0-or-later

/// What kind of image a chain level is. A raw image is a blktap extension: the parent of a
/// differencing disk whose parent UUID is null (docs/vhd-format.md#raw-parent).
public enum ImageFormat: Equatable, Sendable, CustomStringConvertible {
  case fixed, dynamic, differencing, raw

  public var description: String {
    switch self {
    case .fixed: "fixed"
    case .dynamic: "dynamic"
    case .differencing: "differencing"
    case .raw: "raw"
    }
  }

  /// Has a BAT and block bitmaps.
  public var isSparse: Bool { self == .dynamic || self == .differencing }
}

/// Identity and time stamped into a new VHD. Tools use the wall clock and random UUIDs; the
/// simulator passes seeded values so that the same scenario writes the same bytes.
public struct CreationStamp: Sendable {
  /// The Unix time simulated files are stamped with: 1 700 000 000 s (2023-11-14 22:13:20 UTC), a
  /// fixed instant rather than the clock, so a seeded run writes byte-identical files (the footer's
  /// and header's timestamps are part of their bytes and checksums). Hosts with simulated time add it
  /// to this instant; `MemoryStorage`'s logical clock starts here.
  public static let fixedUnixTime: Int64 = 1_700_000_000

  public var unixTime: Int64
  public var uuid: DiskUUID

  public init(unixTime: Int64, uuid: DiskUUID) {
    self.unixTime = unixTime
    self.uuid = uuid
  }

  /// The current time and a random UUID.
  public static func now() -> CreationStamp {
    var g = SystemRandomNumberGenerator()
    return CreationStamp(unixTime: currentUnixTime(), uuid: .random(using: &g))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Wall-clock seconds since the Unix epoch.
public func currentUnixTime() -> Int64 { Int64(time(nil)) }
