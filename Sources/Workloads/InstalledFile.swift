// SPDX-License-Identifier: GPL-3.0-or-later

/// One file a package install leaves on disk, with what a crash-consistency check needs: where its data
/// lives and from which request on it is durable under its final name.
///
/// The extents are those of the temporary-name inode; the rename only changes a directory entry, so the
/// same sectors hold the file under its final name.
public struct InstalledFile: Hashable, Sendable {
  /// Path under its final name (the package's directories are `dir<k>`, files `file<i>`).
  public var name: String
  public var bytes: Int
  public var inode: Int
  /// The file's data as sector ranges, in file order (whole 4 KiB blocks; empty for an empty file).
  public var extents: [Range<UInt64>]
  /// Written by a post-install step (module index, initramfs, boot entry) rather than the payload.
  public var isPostInstall: Bool
  /// Sequence number of the journal commit-block write whose completion makes the rename durable;
  /// nil until the generator has emitted it. With ext4's `data=ordered` every data write of the file
  /// precedes that commit in the stream, so from this request on the file is whole under its name.
  public var durableAt: Int?

  public init(
    name: String, bytes: Int, inode: Int, extents: [Range<UInt64>], isPostInstall: Bool,
    durableAt: Int? = nil
  ) {
    self.name = name
    self.bytes = bytes
    self.inode = inode
    self.extents = extents
    self.isPostInstall = isPostInstall
    self.durableAt = durableAt
  }

  /// Sectors of data.
  public var sectors: UInt64 { extents.reduce(0) { $0 + UInt64($1.count) } }
}

/// What a ``PackageInstallGenerator`` has emitted so far.
public struct PackageInstallCounters: Hashable, Sendable {
  /// Requests emitted.
  public var requests = 0
  /// Bytes of write requests emitted.
  public var bytesWritten = 0
  /// Files created (payload and post-install).
  public var files = 0
  /// fsync calls (payload, database, post-install), whether they caused a commit or a bare flush.
  public var fsyncs = 0
  /// Renames into final names.
  public var renames = 0
  /// Journal commits of any cause (each is a journal write plus a commit block with preflush + FUA).
  public var journalCommits = 0
  /// Commits caused by an fsync.
  public var fsyncCommits = 0
  /// Commits caused by the `commit=` timer (including the one after the last step).
  public var timerCommits = 0
  /// Commits forced because the running transaction reached a quarter of the journal.
  public var forcedCommits = 0
  /// fsyncs whose inode was already committed: ext4 then only flushes the cache.
  public var bareFlushes = 0
  /// Checkpoints (metadata written home, then the journal superblock) and their home writes.
  public var checkpoints = 0
  public var checkpointWrites = 0

  public init() {}
}
