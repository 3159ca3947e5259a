// SPDX-License-Identifier: GPL-3.0-or-later

/// Flattens a chain into a raw image: every sector as the chain reads it, with holes wherever the
/// chain reads zeros (blocks no level holds are skipped without reading; read blocks are scanned
/// for zero pages so that the output stays sparse, as `qemu-img convert` does).
public enum VHDExport {
  public struct Result: Sendable {
    public var bytesWritten: UInt64
    public var blocksSkipped: Int
    public var blocksRead: Int
  }

  public static func toRaw(
    _ chain: VHDChain, output: any BlockDevice, progress: ((Double) -> Void)? = nil
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
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
    defer { buffer.deallocate() }
    var accounting = RequestAccounting(depth: chain.depth)
    // Whole-block export: read each level's runs of a block in as few calls as possible.
    let savedGap = chain.mergeGapSectors
    chain.mergeGapSectors = spb
    defer { chain.mergeGapSectors = savedGap }
    var result = Result(bytesWritten: 0, blocksSkipped: 0, blocksRead: 0)
    let blocks = Int((size + UInt64(chunk) - 1) / UInt64(chunk))
    let page = 4096
    for block in 0..<blocks {
      let lba = UInt64(block) * UInt64(spb)
      let count = Int(min(UInt64(spb), size / 512 - lba))
      if !anyLevelHolds(chain, block: block, lba: lba) {
        result.blocksSkipped += 1
        continue
      }
      result.blocksRead += 1
      try chain.read(sector: lba, count: count, into: buffer, accounting: &accounting)
      // Write the non-zero pages in runs.
      let bytes = count * 512
      var p = 0
      while p < bytes {
        while p < bytes && isZero(buffer + p, min(page, bytes - p)) { p += page }
        if p >= bytes { break }
        var e = p
        while e < bytes && !isZero(buffer + e, min(page, bytes - e)) { e += page }
        e = min(e, bytes)
        do {
          try output.write(
            UnsafeRawBufferPointer(start: buffer + p, count: e - p), at: lba * 512 + UInt64(p), kind: .data)
        } catch { throw VHDError.wrap(error, file: output.name) }
        result.bytesWritten += UInt64(e - p)
        p = e
      }
      if let progress, block % 64 == 0 { progress(Double(block) / Double(blocks)) }
    }
    do { try output.flush() } catch { throw VHDError.wrap(error, file: output.name) }
    progress?(1)
    return result
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

  @inline(__always)
  static func isZero(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
      if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
      i += 8
    }
    while i < n {
      if p.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
      i += 1
    }
    return true
  }
}
