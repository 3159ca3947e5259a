// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// What a package install does, as parameters: how many files of what sizes, how they are made durable,
/// what the package database and the post-install scriptlets write. ``PackageInstallGenerator`` turns it
/// into block requests on an ``Ext4LayoutModel``.
///
/// The defaults and presets follow the measurements in docs/simulation.md#package-install-io (dpkg
/// strace and the Debian `linux-image` size anchor); rpm/dnf specifics are marked there as
/// unverified and are assumptions here.
public struct PackageInstallSpec: Hashable, Sendable {
  /// How payload files are made durable before the package manager moves on.
  public enum FsyncPolicy: String, Hashable, Sendable, CaseIterable {
    /// Each file: create temp, write, fsync, rename — dpkg 1.15.6's immediate fsync, or rpm with
    /// `%_flush_io` (fsync before close) followed by its rename.
    case perFile
    /// dpkg's default three phases: write every file (with `sync_file_range(WRITE)`), a barrier
    /// (`WAIT_BEFORE` on all), then per file fsync + rename.
    case deferredBarrier
    /// rpm's default (and dpkg `force-unsafe-io`): write every file, then rename every file, no fsync.
    case none
  }

  /// Payload file sizes.
  public enum FileSizes: Hashable, Sendable {
    /// Every file the same size (tests that need exact counts).
    case fixed(bytes: Int)
    /// Lognormal through the given median and 90th percentile, clamped to `capBytes`.
    case lognormal(medianBytes: Double, p90Bytes: Double, capBytes: Int)

    /// The z-score of the 90th percentile of the standard normal.
    public static let z90 = 1.281_551_565_544_600_5

    /// (ζ, σ) of the lognormal: ζ = ln(median), σ = ln(p90 / median) / z₀.₉.
    public var lognormalParameters: (zeta: Double, sigma: Double)? {
      guard case .lognormal(let median, let p90, _) = self else { return nil }
      return (log(median), log(p90 / median) / Self.z90)
    }

    /// The Debian `linux-image-6.1` anchor: median 35 KB, p90 166 KB ⇒ ζ = ln 35 000 = 10.463,
    /// σ = ln(166/35)/1.2816 = 1.215. That lognormal puts p99 at 590 KB and its mean at 73 KB, while the
    /// measured p99 is 1.0 MB (max 19.5 MB, mean ≈ 100 KB): the real tail is heavier. Capping at
    /// 1 MiB (≈ the measured p99; 0.3 % of draws) keeps single files from dominating a run; the cost is
    /// that the payload totals ≈ 290 MB rather than the measured 388 MiB.
    public static let kernelModules = FileSizes.lognormal(
      medianBytes: 35_000, p90Bytes: 166_000, capBytes: 1 << 20)

    /// Draws one size (at least 1 byte).
    public func sample(_ random: RandomStream) -> Int {
      switch self {
      case .fixed(let bytes): return bytes
      case .lognormal(_, _, let cap):
        let (zeta, sigma) = lognormalParameters!
        return max(1, min(cap, Int(random.lognormal(zeta: zeta, sigma: sigma).rounded())))
      }
    }
  }

  /// A file a post-install step writes: to a temporary name, optionally fsynced, then renamed over
  /// its final name (depmod's `modules.dep.tmp`, dracut's image, a bootloader entry).
  public struct PostInstallFile: Hashable, Sendable {
    /// Where the file goes: the package's own top directory, or a pre-existing `/boot`,
    /// `/boot/loader/entries` or `/etc`.
    public enum Place: Hashable, Sendable { case packageRoot, boot, bootEntries, etc }
    public var name: String
    public var bytes: Int
    public var fsync: Bool
    public var place: Place

    public init(name: String, bytes: Int, fsync: Bool, place: Place) {
      self.name = name
      self.bytes = bytes
      self.fsync = fsync
      self.place = place
    }
  }

  public var name: String
  /// Payload regular files.
  public var files: Int
  /// Directories the package creates (the first is the package's top directory).
  public var directories: Int
  public var fileSizes: FileSizes
  /// Bytes of the package file(s) downloaded to the cache before the transaction.
  public var downloadBytes: Int
  public var fsyncPolicy: FsyncPolicy
  /// Size of the pre-existing package database file the transaction updates in place.
  public var databaseFileBytes: Int
  /// 4 KiB page writes to the database, at uniformly random pages.
  public var databaseWrites: Int
  /// fsyncs of the database; the page writes are split evenly before them (dpkg measured 34 per
  /// package, rpm's sqlite a few per transaction).
  public var databaseFsyncs: Int
  /// Post-install steps, in order; empty turns them off.
  public var postInstall: [PostInstallFile]
  /// jbd2's `commit=` interval: a running transaction is committed this long after it started.
  public var journalCommitInterval: SimTime
  /// Largest request the guest's block layer sends. xen-blkfront's default of 32 indirect segments of
  /// 4 KiB gives 128 KiB.
  public var maximumRequestBytes: Int
  /// CPU time per payload byte before it is written (decompression; rpm's xz runs at tens of MB/s),
  /// as think time in the closed loop. Zero: no think time.
  public var cpuNanosecondsPerByte: Double

  public init(
    name: String, files: Int, directories: Int, fileSizes: FileSizes, downloadBytes: Int,
    fsyncPolicy: FsyncPolicy, databaseFileBytes: Int = 64 << 20, databaseWrites: Int,
    databaseFsyncs: Int, postInstall: [PostInstallFile] = [], journalCommitInterval: SimTime = .seconds(5),
    maximumRequestBytes: Int = 128 << 10, cpuNanosecondsPerByte: Double = 0
  ) {
    self.name = name
    self.files = files
    self.directories = directories
    self.fileSizes = fileSizes
    self.downloadBytes = downloadBytes
    self.fsyncPolicy = fsyncPolicy
    self.databaseFileBytes = databaseFileBytes
    self.databaseWrites = databaseWrites
    self.databaseFsyncs = databaseFsyncs
    self.postInstall = postInstall
    self.journalCommitInterval = journalCommitInterval
    self.maximumRequestBytes = maximumRequestBytes
    self.cpuNanosecondsPerByte = cpuNanosecondsPerByte
  }

  /// Why the spec cannot be generated, or nil.
  public var problem: String? {
    if files < 0 { return "files must not be negative" }
    if directories < 1 { return "a package creates at least its top directory" }
    if downloadBytes < 0 || databaseWrites < 0 || databaseFsyncs < 0 { return "counts must not be negative" }
    if databaseFileBytes < 4096 && databaseWrites > 0 { return "the database must hold at least one page" }
    if maximumRequestBytes < 4096 || maximumRequestBytes % 4096 != 0 {
      return "the maximum request must be a positive multiple of 4 KiB"
    }
    if journalCommitInterval <= .zero { return "the journal commit interval must be positive" }
    if postInstall.contains(where: { $0.bytes < 0 }) { return "post-install sizes must not be negative" }
    if case .fixed(let b) = fileSizes, b < 0 { return "file sizes must not be negative" }
    if case .lognormal(let m, let p90, let cap) = fileSizes, !(m > 0 && p90 > m && cap >= 1) {
      return "a lognormal needs 0 < median < p90 and a positive cap"
    }
    return nil
  }

  /// A small library package: 50 files in 6 directories (median 12 KB, p90 64 KB), a 2 MB download,
  /// rpm's default of no payload fsync, one sqlite rpmdb transaction (40 pages, 3 fsyncs) and
  /// ldconfig's cache rewrite.
  public static func small(fsyncPolicy: FsyncPolicy = .none) -> PackageInstallSpec {
    PackageInstallSpec(
      name: "small", files: 50, directories: 6,
      fileSizes: .lognormal(medianBytes: 12_000, p90Bytes: 64_000, capBytes: 1 << 20),
      downloadBytes: 2_000_000, fsyncPolicy: fsyncPolicy, databaseWrites: 40, databaseFsyncs: 3,
      postInstall: [PostInstallFile(name: "ld.so.cache", bytes: 120_000, fsync: false, place: .etc)],
      cpuNanosecondsPerByte: 20)
  }

  /// `yum install kernel`, sized on the Debian `linux-image-6.1` anchor: 4 046 files in 895
  /// directories with the ``FileSizes/kernelModules`` sizes; an 80 MB download (kernel-core plus
  /// kernel-modules, assumed); rpm's default of no payload fsync; 800 rpmdb page writes over 12 fsyncs
  /// (three packages' sqlite transactions plus dnf's history database, assumed); post-install: depmod's
  /// ten `modules.*` indexes (≈ 5.8 MB, no fsync), a 60 MB initramfs and a BLS entry (each written to
  /// a temporary name, fsynced, renamed). Decompression at 50 MB/s (20 ns/byte) is the think time.
  public static func kernel(fsyncPolicy: FsyncPolicy = .none) -> PackageInstallSpec {
    let indexes: [(String, Int)] = [
      ("modules.alias", 1_400_000), ("modules.alias.bin", 1_350_000), ("modules.dep", 600_000),
      ("modules.dep.bin", 800_000), ("modules.symbols", 700_000), ("modules.symbols.bin", 900_000),
      ("modules.builtin.bin", 30_000), ("modules.builtin.alias.bin", 40_000),
      ("modules.devname", 1_000), ("modules.softdep", 1_000),
    ]
    var post = indexes.map { PostInstallFile(name: $0.0, bytes: $0.1, fsync: false, place: .packageRoot) }
    post.append(PostInstallFile(name: "initramfs.img", bytes: 60_000_000, fsync: true, place: .boot))
    post.append(PostInstallFile(name: "kernel.conf", bytes: 400, fsync: true, place: .bootEntries))
    return PackageInstallSpec(
      name: "kernel", files: 4_046, directories: 895, fileSizes: .kernelModules,
      downloadBytes: 80_000_000, fsyncPolicy: fsyncPolicy, databaseFileBytes: 96 << 20,
      databaseWrites: 800, databaseFsyncs: 12, postInstall: post, cpuNanosecondsPerByte: 20)
  }
}
