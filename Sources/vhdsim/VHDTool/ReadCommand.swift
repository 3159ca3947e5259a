// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

struct ReadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "read",
    abstract:
      "Dump metadata (-p) or raw sectors of the virtual disk as the chain reads them (-r/-c) to stdout.",
    discussion: """
      With --accounting the sectors are not printed; instead, per chain level (0 = the leaf), what \
      the read cost: BAT probes, bitmap cache hits and bitmap reads, BATmap shortcuts, sectors \
      served, and the physical reads and bytes the engine issued (metadata read when the chain was \
      opened is not counted). --bitmap-cache and --no-batmap set the engine as `simulate` does.
      """)
  @Option(name: .customShort("n"), help: vhdFileHelp()) var name: String
  @Flag(name: .customShort("p"), help: "Print footer, header, locators and BATmap summary.")
  var printHeaders = false
  @Option(
    name: .customShort("r"), parsing: .unconditional,
    help: ArgumentHelp("First sector to read.", valueName: "sector"))
  var sector: UInt64?
  @Option(
    name: .customShort("c"), parsing: .unconditional,
    help: ArgumentHelp("Number of sectors to read (default 1).", valueName: "count"))
  var count: Int = 1
  @Flag(help: "Print what the read cost per chain level instead of the data.") var accounting = false
  @Flag(help: "With --accounting: one JSON object.") var json = false
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Bitmaps cached per image (tapdisk: 32; 0: none).", valueName: "n"))
  var bitmapCache = EngineOptions.tapdiskBitmapCacheSize
  @Flag(help: "Do not take the BATmap shortcut.") var noBatmap = false

  func validate() throws {
    if !printHeaders && sector == nil { throw ValidationError("give -p or -r <sector>") }
    if count <= 0 { throw ValidationError("-c takes a positive count, found \(count)") }
    if bitmapCache < 0 { throw ValidationError("--bitmap-cache must not be negative, found \(bitmapCache)") }
    if (accounting || json) && sector == nil { throw ValidationError("--accounting needs -r <sector>") }
    if json && !accounting { throw ValidationError("--json goes with --accounting") }
  }

  func run() throws {
    try runReportingErrors {
      if printHeaders {
        let image = try VHDImage.open(name, storage: fileStorage)
        for line in VHDDescription.lines(for: image) { print(line) }
      }
      guard let sector else { return }
      let engine = EngineOptions(bitmapCacheCapacity: bitmapCache, useBATMap: !noBatmap)
      let chain = try VHDChain.open(name, storage: fileStorage, options: engine)
      // The whole range is checked first, then streamed in bounded pieces: memory stays at one
      // chunk however many sectors are asked for.
      let sectors = chain.virtualSize / 512
      let (end, overflow) = sector.addingReportingOverflow(UInt64(count))
      guard !overflow, end <= sectors else {
        throw VHDError(
          .outOfRange, file: name, "-r \(sector) -c \(count) runs past the end of the \(sectors)-sector disk")
      }
      let tally = ReadTally(chain: chain)
      let chunk = 2048
      var buffer = [UInt8](repeating: 0, count: chunk * 512)
      var done = 0
      while done < count {
        let n = min(chunk, count - done)
        try buffer.withUnsafeMutableBytes {
          try chain.read(
            sector: sector + UInt64(done), count: n, into: $0.baseAddress!, accounting: &tally.request)
        }
        tally.add()
        if !accounting { writeAll(fd: 1, Array(buffer[0..<n * 512])) }
        done += n
      }
      chain.setObserver(nil)
      guard accounting else { return }
      let report = tally.report(file: name, sector: sector, count: count, engine: engine)
      print(json ? try jsonText(report) : report.text)
    }
  }
}
