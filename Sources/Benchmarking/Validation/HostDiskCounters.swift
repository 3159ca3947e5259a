// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The kernel's counters of the block device a folder lives on (Linux `/sys/dev/block/MAJ:MIN/stat`,
/// the kernel's Documentation/admin-guide/iostats.rst), read around the real loop of `vhdsim
/// validate`. They say what the device itself completed while the engine ran, beside what the engine
/// issued: I/O the host adds (file-system metadata, its journal) or merges shows as a difference, and
/// the time the requests spent in the device's queue gives the mean queue the device worked at,
/// which the disk profile's queue-depth curve is measured against.
struct HostDiskCounters: Equatable {
  /// Reads and writes completed (fields 1 and 5).
  var reads: UInt64
  var writes: UInt64
  /// Sum over completed and in-flight requests of their milliseconds in the queue (field 11).
  var queueMs: UInt64
  /// Milliseconds the completed reads and writes took, each from its request's allocation in the
  /// block layer to its end, summed (fields 4 and 8).
  var readMs: UInt64 = 0
  var writeMs: UInt64 = 0

  /// The counters of the device holding `path` (a file or folder), or of `path` itself if it is a
  /// block device; nil where there are none: not Linux, or a file system on no block device (tmpfs,
  /// overlay, NFS: device major 0).
  static func of(path: String) -> HostDiskCounters? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    let dev = UInt64((st.st_mode & S_IFMT) == S_IFBLK ? st.st_rdev : st.st_dev)
    // glibc's gnu_dev_major and gnu_dev_minor (sys/sysmacros.h), which Swift does not import.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
    let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
    guard major != 0,
      let text = try? String(contentsOfFile: "/sys/dev/block/\(major):\(minor)/stat", encoding: .utf8)
    else { return nil }
    return parse(text)
  }

  /// One line of a stat file: at least the 11 fields every kernel since 2.6 writes.
  static func parse(_ text: String) -> HostDiskCounters? {
    let fields = text.split(whereSeparator: \.isWhitespace)
    guard fields.count >= 11 else { return nil }
    let values = fields.prefix(11).compactMap { UInt64($0) }
    guard values.count == 11 else { return nil }
    return HostDiskCounters(
      reads: values[0], writes: values[4], queueMs: values[10], readMs: values[3], writeMs: values[7])
  }

  /// What happened between `earlier` and `self`; nil if a counter went back (the device was
  /// replaced, or a 32-bit counter wrapped).
  func since(_ earlier: HostDiskCounters) -> HostDiskCounters? {
    guard reads >= earlier.reads, writes >= earlier.writes, queueMs >= earlier.queueMs,
      readMs >= earlier.readMs, writeMs >= earlier.writeMs
    else { return nil }
    return HostDiskCounters(
      reads: reads - earlier.reads, writes: writes - earlier.writes, queueMs: queueMs - earlier.queueMs,
      readMs: readMs - earlier.readMs, writeMs: writeMs - earlier.writeMs)
  }

  var ios: UInt64 { reads + writes }
}
