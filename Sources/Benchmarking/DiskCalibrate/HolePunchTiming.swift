// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import VHD

/// Times what a block allocation asks of a file SR's sparse file besides writes: the engine zeroes
/// the new block with `writeZeros`, which `SparseFileDevice` does by punching a hole
/// (`fallocate(PUNCH_HOLE)`) — no data moves, but the file system takes the file's lock and
/// journals the change. fio has no such job, so calibration times `count` punches of a 2 MiB block's
/// data area, one after another in a fresh sparse file, and keeps their quantile table.
struct HolePunchTiming {
  var file: String
  var count = 200
  static let blockBytes: UInt64 = 2 << 20

  /// The punches' times as a quantile table (min, 1 %, 5 %, 10 %, 20 % … 90 %, 95 %, 99 %, max).
  func measure() throws(CalibrationError) -> QuantileTable {
    var times: [Double] = []
    times.reserveCapacity(count)
    do {
      let device = try SparseFileDevice.create(path: file)
      defer { device.close() }
      try device.truncate(to: UInt64(count) * Self.blockBytes)
      for i in 0..<count {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try device.writeZeros(at: UInt64(i) * Self.blockBytes, length: Self.blockBytes, kind: .data)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0))
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
