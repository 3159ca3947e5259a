// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// Times what a block allocation asks of a file SR's sparse file besides writes: the engine zeroes
/// the new block, from the old footer's sector to the new end, with `writeZeros`, which
/// `SparseFileDevice` does by punching the part inside the file (`fallocate(PUNCH_HOLE)`: the old
/// footer, a written sector, so the file system frees a block and journals it) and growing the file
/// (`ftruncate`). fio has no such job, so calibration repeats exactly that call `count` times at
/// the end of a sparse file whose last sector was just written with O_DIRECT, as a footer is, and
/// keeps the quantile table. (Punching a hole that holds nothing costs next to nothing: about 1.6 µs
/// here, against 120 µs or more for the footer's sector, which is what the engine punches.)
struct HolePunchTiming {
  var file: String
  var count = 200
  /// A block's bitmap sector and 2 MiB of data: what one allocation adds to the file.
  static let blockBytes: UInt64 = (2 << 20) + 512

  /// The punches' times as a quantile table (min, 1 %, 5 %, 10 %, 20 % … 90 %, 95 %, 99 %, max).
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
      var end: UInt64 = 1 << 20
      try device.truncate(to: end + 512)
      for _ in 0..<count {
        // The footer, written as the engine's device writes it on a file SR (O_DIRECT, 512 bytes).
        guard pwrite(fd, footer, 512, off_t(end)) == 512 else {
          throw StorageError(.system(errno), path: file)
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try device.writeZeros(at: end, length: Self.blockBytes, kind: .data)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
        end += Self.blockBytes
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
}
