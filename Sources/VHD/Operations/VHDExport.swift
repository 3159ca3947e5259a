// SPDX-License-Identifier: GPL-3.0-or-later

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

  public static func toRaw(
    _ chain: VHDChain, output: any BlockDevice, sync: Bool = false, progress: ((Double) -> Void)? = nil
  ) throws -> Result {
    let size = chain.virtualSize
    do {
      try output.truncate(to: 0)
      try output.truncate(to: size)
    } catch {
      throw VHDError.wrap(error, file: output.name)
    }
    let spb = chain.images.first { $0.format.isSparse }?.sectorsPerBlock ?? 4096
    let chunk = spb * 512
    var accounting = RequestAccounting(depth: chain.depth)
    // Whole-block export: read each level's runs of a block in as few calls as possible.
    let savedGap = chain.mergeGapSectors
    chain.mergeGapSectors = spb
    defer { chain.mergeGapSectors = savedGap }
    var result = Result(bytesWritten: 0, blocksSkipped: 0, blocksRead: 0)
    let blocks = Int((size + UInt64(chunk) - 1) / UInt64(chunk))
    // Reading the chain stays on this thread; zero scanning and writing run beside it when the
    // output takes concurrent positional writes (files), as qemu-img overlaps its I/O.
    let writer = ExportWriter(
      output: output, bufferBytes: chunk, slots: output.supportsConcurrentWrites ? 4 : 1)
    defer { writer.deallocate() }
    for block in 0..<blocks {
      let lba = UInt64(block) * UInt64(spb)
      let count = Int(min(UInt64(spb), size / 512 - lba))
      if !anyLevelHolds(chain, block: block, lba: lba) {
        result.blocksSkipped += 1
        continue
      }
      result.blocksRead += 1
      let slot = try writer.acquire()
      do {
        try chain.read(sector: lba, count: count, into: writer.buffer(slot), accounting: &accounting)
      } catch {
        writer.release(slot)
        _ = try? writer.finish()
        throw error
      }
      writer.submit(
        slot: slot, bytes: count * 512, at: lba * 512, concurrently: output.supportsConcurrentWrites)
      if let progress, block % 64 == 0 { progress(Double(block) / Double(blocks)) }
    }
    result.bytesWritten = try writer.finish()
    if sync {
      do { try output.flush() } catch { throw VHDError.wrap(error, file: output.name) }
    }
    progress?(1)
    return result
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
