// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import VHD

extension EngineBenchmarks {
  /// Allocating writes on a real file with the engine `ordered` and `synced`
  /// (docs/vhd-format.md#crash-safety): one 64 KiB write into each 2 MiB block of a fresh dynamic
  /// disk of `size`, so every write allocates (and the synced engine fsyncs before each BAT
  /// update). Adds MiB/s for both and the synced/ordered ratio to `report`.
  static func allocatingWrites(size: UInt64, into report: inout BenchReport) throws {
    let scratch = try ScratchFolder(prefix: "vhdsim-bench-durability")
    let storage = FileStorage()
    var rng = BenchRNG(seed: 5)
    var payload = [UInt8](repeating: 0, count: 64 << 10)
    for i in payload.indices { payload[i] = UInt8(truncatingIfNeeded: rng.next() | 1) }
    var rates: [Double] = []
    for (label, options) in [("ordered", EngineOptions()), ("synced", EngineOptions.synced)] {
      let path = scratch.file("alloc-\(label).vhd")
      _ = try VHDImage.createDynamic(path, size: size, storage: storage, stamp: stamp(&rng), options: options)
      let chain = try VHDChain.open(path, storage: storage, writable: true, options: options)
      let blocks = Int(size / UInt64(VHDLimits.blockSize))
      let t = try seconds {
        for b in 0..<blocks {
          try chain.write(byteOffset: UInt64(b) * UInt64(VHDLimits.blockSize), bytes: payload)
        }
        try chain.close()
      }
      let rate = Double(blocks * payload.count) / 1_048_576 / t
      rates.append(rate)
      report.add("allocating_write_\(label)_mib_per_second", rate)
    }
    report.add("allocating_write_synced_over_ordered", rates[1] / rates[0])
  }
}
