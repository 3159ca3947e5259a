// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query", abstract: "Print facts about a VHD, one per line in vhd-util's order.")
  @Option(name: .customShort("n"), help: vhdFileHelp()) var name: String
  @Flag(name: .customShort("v"), help: "Virtual size in MiB.") var virtualSize = false
  @Flag(name: .customShort("s"), help: "Physical size in bytes.") var physicalSize = false
  @Flag(name: .customShort("p"), help: "Parent path.") var parent = false
  @Flag(name: .customShort("f"), help: "Hidden flag.") var hidden = false
  @Flag(name: .customShort("m"), help: "BATmap marker.") var marker = false
  @Flag(name: .customShort("d"), help: "Chain depth.") var depth = false
  @Flag(name: .customShort("a"), help: "Allocated block count.") var allocated = false
  @Flag(
    name: .customShort("S"), help: "Largest virtual size in MiB the BAT can map (metadata preallocation).")
  var maximumSize = false
  @Flag(name: .customShort("u"), help: "With -p: the parent path as the locator holds it, not resolved.")
  var unresolved = false

  func run() throws {
    try runReportingErrors {
      let image = try VHDImage.open(name, storage: fileStorage)
      if virtualSize { print(image.virtualSize >> 20) }
      if physicalSize { print(image.device.length) }
      if parent { print(try parentText(image)) }
      if hidden { print("hidden: \(image.footer.hidden)") }
      if marker {
        // The BATmap header's marker, as scan -M reads it (0 without a BATmap).
        print("marker: \(VHDScan.scan(paths: [name], storage: fileStorage, markers: true)[0].marker)")
      }
      if depth { print("chain depth: \(try VHDChain.open(name, storage: fileStorage).depth)") }
      if allocated { print(image.allocatedBlockCount) }
      if maximumSize { print(UInt64(image.header?.maxTableEntries ?? 0) * UInt64(VHDLimits.blockSize) >> 20) }
    }
  }

  func parentText(_ image: VHDImage) throws -> String {
    guard image.format == .differencing else { return "\(name) has no parent" }
    if unresolved, let first = image.locatorPaths.first { return first.path }
    return try VHDChain.resolveParent(of: image, storage: fileStorage)
  }
}

struct SetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set", abstract: "Set the hidden flag or the BATmap marker.")
  @Option(name: .customShort("n"), help: vhdFileHelp()) var name: String
  @Option(name: .customShort("f"), help: ArgumentHelp("Field: hidden or marker.", valueName: "field"))
  var field: String
  @Option(
    name: .customShort("v"), parsing: .unconditional,
    help: ArgumentHelp("Value (hidden: 0 or 1; marker: 0...255).", valueName: "value"))
  var value: Int

  func validate() throws {
    switch field {
    case "hidden": guard value == 0 || value == 1 else { throw ValidationError("-f hidden takes -v 0 or 1") }
    case "marker":
      guard (0...255).contains(value) else { throw ValidationError("-f marker takes -v 0...255") }
    default: throw ValidationError("-f takes hidden or marker, found '\(field)'")
    }
  }

  func run() throws {
    try runReportingErrors {
      let image = try VHDImage.open(name, storage: fileStorage, writable: true)
      if field == "hidden" { try image.setHidden(value == 1) } else { try image.setMarker(UInt8(value)) }
    }
  }
}
