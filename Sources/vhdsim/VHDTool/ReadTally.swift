// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// What one `vhd read` cost: the engine's per-level counts summed over the read's pieces, and the
/// physical reads the I/O tap saw, per level.
final class ReadTally: IOObserver {
  /// The engine's counts for the piece just read (reset by the chain on every call).
  var request = RequestAccounting()
  private(set) var levels: [LevelWork]
  private(set) var zeroFilled = 0
  private(set) var physicalReads: [Int]
  private(set) var physicalBytes: [UInt64]
  let paths: [String]

  init(chain: VHDChain) {
    let depth = chain.images.count
    levels = Array(repeating: LevelWork(), count: depth)
    physicalReads = Array(repeating: 0, count: depth)
    physicalBytes = Array(repeating: 0, count: depth)
    paths = chain.images.map(\.path)
    chain.setObserver(self)
  }

  func observe(_ io: PhysicalIO) {
    guard io.direction == .read, physicalReads.indices.contains(io.level) else { return }
    physicalReads[io.level] += 1
    physicalBytes[io.level] += io.length
  }

  /// Adds the piece just read.
  func add() {
    for (i, l) in request.levels.enumerated() { levels[i] += l }
    zeroFilled += request.zeroFilledSectors
  }

  func report(file: String, sector: UInt64, count: Int, engine: EngineOptions) -> ReadAccountingReport {
    ReadAccountingReport(
      file: file, sector: sector, count: count, bitmapCache: engine.bitmapCacheCapacity,
      batmap: engine.useBATMap, zeroFilledSectors: zeroFilled,
      levels: levels.indices.map {
        .init(
          level: $0, file: paths[$0], batProbes: levels[$0].batProbes,
          bitmapCacheHits: levels[$0].bitmapCacheHits, bitmapReads: levels[$0].bitmapReads,
          batmapShortcuts: levels[$0].batmapShortcuts, sectorsServed: levels[$0].sectorsServed,
          physicalReads: physicalReads[$0], physicalBytes: physicalBytes[$0])
      })
  }
}

/// `vhd read --accounting`: the table, or (`--json`) these fields with snake_case names.
struct ReadAccountingReport: Encodable, Equatable {
  struct Level: Encodable, Equatable {
    let level: Int
    let file: String
    let batProbes, bitmapCacheHits, bitmapReads, batmapShortcuts, sectorsServed, physicalReads: Int
    let physicalBytes: UInt64

    enum CodingKeys: String, CodingKey {
      case level, file
      case batProbes = "bat_probes"
      case bitmapCacheHits = "bitmap_cache_hits"
      case bitmapReads = "bitmap_reads"
      case batmapShortcuts = "batmap_shortcuts"
      case sectorsServed = "sectors_served"
      case physicalReads = "physical_reads"
      case physicalBytes = "physical_bytes"
    }
  }

  let file: String
  let sector: UInt64
  let count: Int
  let bitmapCache: Int
  let batmap: Bool
  let zeroFilledSectors: Int
  let levels: [Level]

  enum CodingKeys: String, CodingKey {
    case file, sector, count, batmap, levels
    case bitmapCache = "bitmap_cache"
    case zeroFilledSectors = "zero_filled_sectors"
  }

  var text: String {
    let header = [
      "level", "bat probes", "cache hits", "bitmap reads", "batmap shortcuts", "sectors", "reads", "bytes",
    ]
    let rows =
      levels.map {
        [
          "\($0.level)", "\($0.batProbes)", "\($0.bitmapCacheHits)", "\($0.bitmapReads)",
          "\($0.batmapShortcuts)",
          "\($0.sectorsServed)", "\($0.physicalReads)", "\($0.physicalBytes)",
        ]
      }
    let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { String(repeating: " ", count: widths[$0] - $1.count) + $1 }
        .joined(separator: "  ")
    }
    var out = [
      "\(file): sectors \(sector)..<\(sector + UInt64(count)), bitmap cache \(bitmapCache), "
        + "BATmap \(batmap ? "on" : "off")",
      line(header),
    ]
    out += rows.map(line)
    out.append("zero-filled sectors (no level holds them): \(zeroFilledSectors)")
    for l in levels { out.append("level \(l.level): \(l.file)") }
    return out.joined(separator: "\n")
  }
}
