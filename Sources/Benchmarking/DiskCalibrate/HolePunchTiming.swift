// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// Times what a block allocation asks of a file SR's sparse file besides writes. The engine places
/// a new block at the file's end (`VHDImage.allocateBlock`): it writes the footer at the block's end
/// first, then zeroes the old footer's sector up to the block's bitmap and then the 2 MiB data area
/// with `writeZeros`, which `SparseFileDevice` does by punching (`fallocate(PUNCH_HOLE)`). The first
/// punch takes part of a written file-system block (the old footer's): the file system zeroes it in
/// place and journals; the second frees nothing but still takes the file's lock and waits for its
/// direct I/O. fio has no such job, so calibration repeats the engine's sequence `count / 2` times
/// at the end of a sparse file, footers written with O_DIRECT as the engine's are, and keeps the
/// quantile table of every zeroing call (the model draws each zeroing from it). Punching a hole that
/// holds nothing in an idle file, which the first calibrations timed, costs about 1.6 µs here; the
/// engine's zeroings cost a hundred times that and more.
struct HolePunchTiming {
  var file: String
  var count = 200
  /// Where the first footer sits (sector): not on a 4 KiB page, as after a VHD's header and BAT.
  static let firstFooterSector: UInt64 = 2051

  /// The zeroings' times as a quantile table (min, 1 %, 5 %, 10 %, 20 % … 90 %, 95 %, 99 %, max).
  func measure() throws(CalibrationError) -> QuantileTable {
    var times: [Double] = []
    times.reserveCapacity(count)
    guard let footer = UnsafeMutableRawPointer.aligned(4096) else {
      throw .holePunchFailed(path: file, message: "no memory for an aligned buffer")
    }
    defer { free(footer) }
    memset(footer, 0x5A, 4096)
    do {
      let device = try SparseFileDevice.create(path: file)
      defer { device.close() }
      let fd = open(file, O_RDWR | DirectIO.openFlag | O_CLOEXEC)
      guard fd >= 0 else { throw StorageError(.system(errno), path: file) }
      defer { close(fd) }
      func writeFooter(atSector s: UInt64) throws {
        guard pwrite(fd, footer, 512, off_t(s * 512)) == 512 else {
          throw StorageError(.system(errno), path: file)
        }
      }
      func timed(_ offset: UInt64, _ length: UInt64) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try device.writeZeros(at: offset, length: length, kind: .data)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
      }
      var end = Self.firstFooterSector
      try writeFooter(atSector: end)
      for _ in 0..<Swift.max(1, count / 2) {
        let entry = BlktapLayout.alignedBlockStart(afterSector: end, bitmapSectors: 1)
        let blockEnd = entry + 1 + Self.sectorsPerBlock
        try writeFooter(atSector: blockEnd)
        try timed(end * 512, (entry - end + 1) * 512)
        try timed((entry + 1) * 512, Self.sectorsPerBlock * 512)
        end = blockEnd
      }
    } catch {
      throw .holePunchFailed(path: file, message: "\(error)")
    }
    times.sort()
    let ps = [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1]
    let values = ps.map { CDFComparison.quantile(times, $0) }
    do { return try QuantileTable(probabilities: ps, nanoseconds: values) } catch {
      throw .holePunchFailed(path: file, message: "\(error)")
    }
  }

  static let sectorsPerBlock: UInt64 = 4096

  /// The footer sector after `allocations` blocks (what the file ends with).
  static func footerSector(after allocations: Int) -> UInt64 {
    var end = firstFooterSector
    for _ in 0..<allocations {
      end = BlktapLayout.alignedBlockStart(afterSector: end, bitmapSectors: 1) + 1 + sectorsPerBlock
    }
    return end
  }
}
