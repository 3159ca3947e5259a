// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

/// A `TextOutputStream` that is a class, so the log's copy and the test's are one.
private final class Collected: TextOutputStream {
  var text = ""
  func write(_ string: String) { text += string }
}

private let srUUID = "8d3e5f10-aaaa-bbbb-cccc-000000000001"
private let baseUUID = "aaaaaaaa-1111-4111-8111-111111111111"
private let leafB = "bbbbbbbb-2222-4222-8222-222222222222"
private let interiorC = "cccccccc-3333-4333-8333-333333333333"
private let leafD = "dddddddd-4444-4444-8444-444444444444"
private let rawE = "eeeeeeee-5555-4555-8555-555555555555"

/// A file SR: base A with leaf B and hidden C, C with leaf D; and a raw root E.
private func fileTree(leafDPhysical: UInt64 = 170_336 * 1024 + 0, withRaw: Bool = true) throws -> VHDTree {
  var nodes = [
    VHDNode(
      uuid: baseUUID, hidden: true, virtualSize: 2 * giB, physicalSize: 500 * miB, allocatedBlocks: 240),
    VHDNode(
      uuid: leafB, parent: baseUUID, virtualSize: 2 * giB, physicalSize: 10 * miB + 512 * 1024,
      allocatedBlocks: 3),
    VHDNode(uuid: interiorC, parent: baseUUID, hidden: true, virtualSize: 2 * giB, physicalSize: 0),
    VHDNode(uuid: leafD, parent: interiorC, virtualSize: 2 * giB, physicalSize: leafDPhysical),
  ]
  if withRaw { nodes.append(VHDNode(uuid: rawE, virtualSize: giB)) }
  return try VHDTree(nodes: nodes)
}

@Suite struct SMLogTests {
  @Test("num2str: binary units, 3 decimals rounded half to even, plain integers below 1 KiB")
  func num2str() {
    #expect(SMLog.num2str(500 * giB) == "500.000G")
    #expect(SMLog.num2str(152 * miB) == "152.000M")
    #expect(SMLog.num2str(1023) == "1023")
    #expect(SMLog.num2str(0) == "0")
    #expect(SMLog.num2str(1024) == "1.000K")
    #expect(SMLog.num2str(178_610_176) == "170.336M")
    #expect(SMLog.num2str(1088) == "1.062K")  // 1.0625: tie, to even
    #expect(SMLog.num2str(1216) == "1.188K")  // 1.1875: tie, to even
    #expect(SMLog.num2str(miB - 1) == "1023.999K")
    #expect(SMLog.num2str(giB - 1) == "1024.000M")  // rounds up into the next thousand
    #expect(SMLog.num2str(2048 * giB) == "2048.000G")
  }

  @Test("file SR dump: header, 8-space root, 4 per level, '*' hidden, '?' for unknown sizes")
  func fileSRDump() throws {
    let sink = Collected()
    let log = SMLog(pid: 4242, sink: sink)
    let states = [leafD: SMLog.NodeState(allocatedSizeLoaded: false), rawE: SMLog.NodeState(raw: true)]
    let tree = try fileTree()
    log.logTrees(srUUID: srUUID, name: "Local storage", tree: tree, format: .file, states: states)
    let expected = [
      "SMGC: [4242] SR 8d3e ('Local storage') (5 VDIs in 2 VHD trees):",
      "SMGC: [4242]         *aaaaaaaa(2.000G/500.000M/480.000M)",
      "SMGC: [4242]             bbbbbbbb(2.000G/10.500M/6.000M)",
      "SMGC: [4242]             *cccccccc(2.000G?/0)",
      "SMGC: [4242]                 dddddddd(2.000G/166.344M?)",
      "SMGC: [4242]         eeeeeeee(1.000G/0)[RAW]",
    ]
    #expect(log.lines == expected)
    #expect(sink.text == expected.map { $0 + "\n" }.joined())

    // Same trees again: no changes.
    log.logTrees(srUUID: srUUID, name: "Local storage", tree: tree, format: .file, states: states)
    #expect(log.lines.last == "SMGC: [4242] SR 8d3e ('Local storage') (5 VDIs in 2 VHD trees): no changes")

    // D grew and E went away: only the changed tree, then the gone one.
    log.removeAllLines()
    let changed = try fileTree(leafDPhysical: 178_610_176, withRaw: false)
    log.logTrees(srUUID: srUUID, name: "Local storage", tree: changed, format: .file, states: states)
    #expect(
      log.lines == [
        "SMGC: [4242] SR 8d3e ('Local storage') (4 VDIs in 1 VHD trees): showing only VHD trees that changed:",
        "SMGC: [4242]         *aaaaaaaa(2.000G/500.000M/480.000M)",
        "SMGC: [4242]             bbbbbbbb(2.000G/10.500M/6.000M)",
        "SMGC: [4242]             *cccccccc(2.000G?/0)",
        "SMGC: [4242]                 dddddddd(2.000G/170.336M?)",
        "SMGC: [4242] Tree eeeeeeee-5555-4555-8555-555555555555 gone",
      ])

    // Another SR keeps its own state: its first dump shows everything.
    log.removeAllLines()
    log.logTrees(srUUID: "0123-other", name: "NFS", tree: changed, format: .file, states: states)
    #expect(log.lines.first == "SMGC: [4242] SR 0123 ('NFS') (4 VDIs in 1 VHD trees):")
    #expect(log.lines.count == 5)
    // A new process (reset) dumps everything again.
    log.removeAllLines()
    log.resetTreeState(srUUID: srUUID)
    log.logTrees(srUUID: srUUID, name: "Local storage", tree: changed, format: .file, states: states)
    #expect(log.lines.first == "SMGC: [4242] SR 8d3e ('Local storage') (4 VDIs in 1 VHD trees):")
  }

  @Test("LVHD dump: [VHD|RAW], lazily loaded sizes empty, LV size and n/a/ao flags")
  func lvhdDump() throws {
    let tree = try VHDTree(nodes: [
      VHDNode(
        uuid: "11111111-aaaa", hidden: true, virtualSize: 500 * giB, physicalSize: 152 * miB,
        allocatedBlocks: 70),
      VHDNode(
        uuid: "22222222-bbbb", parent: "11111111-aaaa", virtualSize: 500 * giB,
        physicalSize: giB + 2 * miB, allocatedBlocks: 512),
      VHDNode(uuid: "33333333-cccc", virtualSize: 8 * giB),
    ])
    let states = [
      "11111111-aaaa": SMLog.NodeState(
        physicalSizeLoaded: false, allocatedSizeLoaded: false, lvSize: 152 * miB, active: true, open: true),
      "22222222-bbbb": SMLog.NodeState(lvSize: giB + 4 * miB, active: true),
      "33333333-cccc": SMLog.NodeState(raw: true, allocatedSizeLoaded: false, lvSize: 8 * giB),
    ]
    let log = SMLog(pid: 7)
    log.logTrees(
      srUUID: "c0ffee00-1", name: "iSCSI SR", tree: tree, format: SMLog.NodeFormat(.lvm(.thin)),
      states: states)
    #expect(
      log.lines == [
        "SMGC: [7] SR c0ff ('iSCSI SR') (3 VDIs in 2 VHD trees):",
        "SMGC: [7]         *11111111[VHD](500.000G///152.000M|ao)",
        "SMGC: [7]             22222222[VHD](500.000G/1.002G/1.000G/1.004G|a)",
        "SMGC: [7]         33333333[RAW](8.000G///8.000G|n)",
      ])
  }

  @Test("plain lines carry the ident and pid; multi-line text is one SMlog line per line")
  func plainLines() throws {
    let log = SMLog(pid: 99)
    log.log("No work, exiting")
    log.log("Aborted coalesce\nIteration: 1 -- Initial size 100 --> Final size 100")
    #expect(
      log.lines == [
        "SMGC: [99] No work, exiting",
        "SMGC: [99] Aborted coalesce",
        "SMGC: [99] Iteration: 1 -- Initial size 100 --> Final size 100",
      ])
    let empty = SMLog(pid: 1)
    empty.logTrees(srUUID: "abcd", name: "empty", tree: try VHDTree(nodes: []), format: .file)
    #expect(empty.lines == ["SMGC: [1] SR abcd ('empty') (0 VDIs in 0 VHD trees): no changes"])
  }
}
