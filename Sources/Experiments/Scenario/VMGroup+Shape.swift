// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Workloads

/// The shape of a built-in workload's requests: `block_size_kib` (one size) or `sizes` (fio's
/// bssplit), and `address` (where random requests land). Both resolutions draw from these same
/// distributions (docs/simulation.md#epoch-resolution).
extension VMGroup {
  static let shapeKeys = ["block_size_kib", "sizes", "address"]

  /// Applies `block_size_kib`, `sizes` and `address` of `wmap` (the workload mapping at `w`) to `spec`.
  static func decodeShape(_ wmap: MappingReader, at w: NodeReader, into spec: inout WorkloadSpec)
    throws(ScenarioError)
  {
    if wmap["block_size_kib"] != nil, wmap["sizes"] != nil {
      throw wmap.keyReader("sizes")!.error(
        "\(w.path): block_size_kib and sizes cannot both be given (block_size_kib is the one-size form)")
    }
    if let b = wmap["block_size_kib"] {
      let kib = try b.int(in: 4...65536)
      guard kib % 4 == 0 else { throw b.error("\(b.path): expected a multiple of 4 KiB, found \(kib)") }
      spec.requestBytes = kib << 10
    }
    if let s = wmap["sizes"] {
      spec.sizes = try decodeSizes(s)
    }
    if let a = wmap["address"] {
      spec.address = try decodeAddress(a)
      if spec.pattern == .sequential {
        throw wmap.keyReader("address")!.error(
          "\(w.path): address applies to the random pattern (a sequential workload has no address draw)")
      }
    }
  }

  /// `sizes: "4k/25:16k/25:32k/25:64k/25"`: every size a multiple of 4 KiB and at most 64 MiB.
  static func decodeSizes(_ s: NodeReader) throws(ScenarioError) -> SizeMix {
    let text = try s.string()
    let mix: SizeMix
    do {
      mix = try SizeMix(parsing: text)
    } catch {
      throw s.error("\(s.path): \(error)")
    }
    if let bad = mix.entries.first(where: { $0.bytes % 4096 != 0 || $0.bytes > 64 << 20 }) {
      throw s.error("\(s.path): size \(bad.bytes) bytes is not a multiple of 4 KiB in 4 KiB … 64 MiB")
    }
    return mix
  }

  /// `address: uniform`, `{zipf: θ}` (θ ≥ 0) or `{hot_set: [request_fraction, disk_fraction]}`.
  static func decodeAddress(_ a: NodeReader) throws(ScenarioError) -> AddressDistribution {
    if case .scalar = a.node {
      return try a.choice([("uniform", AddressDistribution.uniform)])
    }
    let map = try a.mapping(allowed: ["zipf", "hot_set"])
    guard map.entries.count == 1, let entry = map.entries.first else {
      throw a.error("\(a.path): expected uniform, {zipf: θ} or {hot_set: [request_fraction, disk_fraction]}")
    }
    if entry.key == "zipf" {
      return .zipf(theta: try entry.value.double("a Zipf θ >= 0 and <= 10") { (0...10).contains($0) })
    }
    let pair = try entry.value.sequence()
    guard pair.count == 2 else {
      throw entry.value.error(
        "\(entry.value.path): expected [request_fraction, disk_fraction], found \(pair.count) values")
    }
    let r = try pair[0].double("a request fraction in 0...1") { (0...1).contains($0) }
    let d = try pair[1].double("a disk fraction in (0, 1)") { $0 > 0 && $0 < 1 }
    return .hotSet(requestFraction: r, diskFraction: d)
  }
}
