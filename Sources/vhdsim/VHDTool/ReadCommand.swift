// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

struct ReadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "read",
    abstract:
      "Dump metadata (-p) or raw sectors of the virtual disk as the chain reads them (-r/-c) to stdout.")
  @Option(name: .customShort("n"), help: "VHD file.") var name: String
  @Flag(name: .customShort("p"), help: "Print footer, header, locators and BATmap summary.")
  var printHeaders = false
  @Option(name: .customShort("r"), help: "First sector to read.") var sector: UInt64?
  @Option(name: .customShort("c"), help: "Number of sectors to read (default 1).") var count: Int = 1

  func validate() throws {
    if !printHeaders && sector == nil { throw ValidationError("give -p or -r SECTOR") }
    if count <= 0 { throw ValidationError("-c must be positive") }
  }

  func run() throws {
    try runReportingErrors {
      if printHeaders {
        let image = try VHDImage.open(name, storage: fileStorage)
        for line in VHDDescription.lines(for: image) { print(line) }
      }
      if let sector {
        let chain = try VHDChain.open(name, storage: fileStorage)
        // The whole range is checked first, then streamed in bounded pieces: memory stays at one
        // chunk however many sectors are asked for.
        try chain.checkReadRange(sector: sector, count: count)
        let chunk = 2048
        var done = 0
        while done < count {
          let n = min(chunk, count - done)
          writeAll(fd: 1, try chain.read(sector: sector + UInt64(done), count: n))
          done += n
        }
      }
    }
  }
}
