// SPDX-License-Identifier: GPL-3.0-or-later
import Dispatch

/// Flattens a chain into a raw image: every sector as the chain reads it, with holes wherever the
/// chain reads zeros (blocks no level holds are skipped without reading; read blocks are scanned
/// for zero pages so that the output stays sparse, as `qemu-img convert` does). Like qemu-img's
/// default, the output is not fsynced unless `sync` is set.
public enum VHDExport {
  public struct Result: Sendable {
    public var bytesWritten: UInt64
    public var blocksSkipped: Int
    public var blocksRead: Int
  }

  /// Exports `chain`. With more than one chain (independent opens of the same leaf, e.g. from
  /// `VHDChain.open` called once per core) the blocks are shared out between them and read,
  /// scanned and written in parallel, as qemu-img keeps several requests in flight; this needs an
  /// output that takes concurrent positional writes (files), otherwise one chain is used.
  public static func toRaw(
    _ chain: VHDChain, output: any BlockDevice, sync: Bool = false, progress: ((Double) -> Void)? = nil
  ) throws -> Result {
    try toRaw([chain], output: output, sync: sync, progress: progress)
  }

  public static func toRaw(
    _ chains: [VHDChain], output: any BlockDevice, sync: Bool = false, progress: ((Double) -> Void)? = nil
  ) throws -> Result {
    precondition(!chains.isEmpty, "export needs a chain")
    let size = chains[0].virtualSize
    do {
      // Old contents must go (the output is sparse), but a truncate to 0 of a file that is already
      // empty is not free: ext4 takes it as replace-via-truncate and flushes the data at close.
      if output.length != 0 { try output.truncate(to: 0) }
      try output.truncate(to: size)
    } catch {
      throw VHDError.wrap(error, file: output.name)
    }
    let spb = chains[0].images.first { $0.format.isSparse }?.sectorsPerBlock ?? 4096
    let blocks = Int((size + UInt64(spb * 512) - 1) / UInt64(spb * 512))
    let workers = output.supportsConcurrentWrites ? chains.count : 1
    let shared = ExportProgress(blocks: blocks, progress: progress)
    let job = ExportJob(
      chains: chains, output: output, blocks: blocks, workers: workers, spb: spb, progress: shared)
    if workers == 1 {
      job.run(worker: 0)
    } else {
      DispatchQueue.concurrentPerform(iterations: workers) { job.run(worker: $0) }
    }
    let result = try job.result()
    if sync {
      do { try output.flush() } catch { throw VHDError.wrap(error, file: output.name) }
    }
    progress?(1)
    return result
  }

  /// Exports into the file at `path`, replacing what is there only once the new image is complete:
  /// it is built under `StagedCreation.stagingPath(path)` and renamed into place, so a stopped or failed
  /// export leaves the old output or none, never a partial one at `path`; a failure removes the
  /// staging file (docs/vhd-format.md#crash-safety).
  public static func toFile(
    _ chains: [VHDChain], path: String, storage: any Storage, sync: Bool = false,
    progress: ((Double) -> Void)? = nil
  ) throws -> Result {
    let staging = StagedCreation.stagingPath(path)
    var created = false
    do {
      if storage.exists(staging) { try storage.remove(staging) }
      let output = try storage.create(staging)
      created = true
      let result = try toRaw(chains, output: output, sync: sync, progress: progress)
      try storage.rename(staging, to: path)
      return result
    } catch {
      if created { try? storage.remove(staging) }
      throw VHDError.wrap(error, file: path)
    }
  }

  /// Writes the non-zero 4 KiB pages of `buffer` in runs; returns the bytes written.
  static func writeNonZero(
    _ buffer: UnsafeRawPointer, bytes: Int, at offset: UInt64, to output: any BlockDevice
  )
    throws -> UInt64
  {
    let page = 4096
    var written: UInt64 = 0
    var p = 0
    while p < bytes {
      while p < bytes && isZero(buffer + p, min(page, bytes - p)) { p += page }
      if p >= bytes { break }
      var e = p
      while e < bytes && !isZero(buffer + e, min(page, bytes - e)) { e += page }
      e = min(e, bytes)
      do {
        try output.write(
          UnsafeRawBufferPointer(start: buffer + p, count: e - p), at: offset + UInt64(p), kind: .data)
      } catch { throw VHDError.wrap(error, file: output.name) }
      written += UInt64(e - p)
      p = e
    }
    return written
  }

  /// Whether any level might hold data for `block` (fixed and raw levels always might).
  static func anyLevelHolds(_ chain: VHDChain, block: Int, lba: UInt64) -> Bool {
    for img in chain.images {
      if lba >= img.sizeSectors { return false }
      switch img.format {
      case .fixed, .raw: return true
      case .dynamic, .differencing:
        if img.blockEntry(block) != nil { return true }
        if img.format == .dynamic { return false }
      }
    }
    return false
  }

  /// Whether `n` bytes are zero: the first 16 bytes by hand (most data pages fail there), the rest
  /// with memcmp against the same region shifted by 16 — SIMD in the C library.
  @inline(__always)
  static func isZero(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
    guard n >= 32 else {
      for i in 0..<n where p.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
      return true
    }
    if p.loadUnaligned(as: UInt64.self) != 0 || p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) != 0 {
      return false
    }
    // Bytes 0..<16 are zero, so bytes 16..<n are zero iff they equal bytes 0..<n-16.
    return memcmp(p, p + 16, n - 16) == 0
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
