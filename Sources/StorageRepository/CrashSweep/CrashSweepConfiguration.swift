// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// The knobs of a crash sweep. Small disks keep a sweep of every crash point quick; the seed names
/// every uuid, write position and data pattern, so a sweep is reproducible bit for bit.
public struct CrashSweepConfiguration: Equatable, Sendable {
  /// Seed of the SR's uuids and of the guest's write positions and data.
  public var seed: UInt64
  /// Virtual size of the VDIs (a multiple of the 2 MiB block).
  public var virtualSize: UInt64
  /// Copy budget of one coalesce step (smaller: more steps, more crash points).
  public var maxCopyBytes: Int
  /// Guest writes that fill a VDI before each snapshot of the setup.
  public var setupWrites: Int
  /// Largest guest write, in sectors (each write is 1...this many sectors).
  public var maxWriteSectors: Int
  /// Capacity of the SR (file system or VG).
  public var capacity: UInt64
  /// How many failure descriptions each result keeps.
  public var keptFailures: Int

  public init(
    seed: UInt64 = 1, virtualSize: UInt64 = 32 * VHDSpace.miB, maxCopyBytes: Int = 64 << 10,
    setupWrites: Int = 6, maxWriteSectors: Int = 96, capacity: UInt64 = 4 * VHDSpace.giB,
    keptFailures: Int = 5
  ) {
    self.seed = seed
    self.virtualSize = virtualSize
    self.maxCopyBytes = maxCopyBytes
    self.setupWrites = setupWrites
    self.maxWriteSectors = maxWriteSectors
    self.capacity = capacity
    self.keptFailures = keptFailures
  }

  /// Refuses values the sweep cannot run with, naming the field.
  public func validate() throws(CrashSweepError) {
    guard virtualSize >= 2 * VHDSpace.blockSize, virtualSize % VHDSpace.blockSize == 0 else {
      throw .invalidConfiguration(field: "virtualSize", reason: "must be a multiple of 2 MiB, at least 4 MiB")
    }
    guard maxCopyBytes >= 512 else {
      throw .invalidConfiguration(field: "maxCopyBytes", reason: "must be at least one sector (512)")
    }
    guard setupWrites >= 1 else {
      throw .invalidConfiguration(field: "setupWrites", reason: "must be at least 1")
    }
    guard maxWriteSectors >= 1, UInt64(maxWriteSectors) * 512 < virtualSize else {
      throw .invalidConfiguration(
        field: "maxWriteSectors", reason: "must be at least 1 and smaller than the disk")
    }
    guard keptFailures >= 0 else {
      throw .invalidConfiguration(field: "keptFailures", reason: "must not be negative")
    }
  }
}
