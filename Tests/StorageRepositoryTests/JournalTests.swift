// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// docs/storage-manager.md#journals: entries persist on the SR's own storage and never look like
/// nodes.
@Suite struct JournalTests {
  @Test func fileSRJournalsAreSmallFilesThatAreNotNodes() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    let usedBefore = try sr.space.physicalUtilisation()
    try sr.journals.add(.relink, key: vdi.uuid, value: "parent-uuid")
    try sr.journals.add(.coalesce, key: vdi.uuid, value: "1")
    try sr.journals.add(.inflate, key: vdi.uuid, value: "8388608")
    #expect(
      try sr.journals.all() == [
        SRJournal(kind: .coalesce, key: vdi.uuid, value: "1"),
        SRJournal(kind: .inflate, key: vdi.uuid, value: "8388608"),
        SRJournal(kind: .relink, key: vdi.uuid, value: "parent-uuid"),
      ])
    #expect(try sr.storage.list(directory: "/sr").contains("journal-relink-\(vdi.uuid)"))
    #expect(try sr.scanTree().nodes.map(\.uuid) == [vdi.uuid])
    #expect(try sr.space.physicalUtilisation() == usedBefore + 1 + 7 + 11)
    // Replacing keeps one entry per (kind, key).
    try sr.journals.add(.relink, key: vdi.uuid, value: "other")
    #expect(try sr.journals.value(.relink, key: vdi.uuid) == "other")
    #expect(try sr.journals.all().count == 3)
    try sr.journals.remove(.coalesce, key: vdi.uuid)
    try sr.journals.remove(.inflate, key: vdi.uuid)
    try sr.journals.remove(.relink, key: vdi.uuid)
    #expect(try sr.journals.all().isEmpty)
    #expect(try sr.space.physicalUtilisation() == usedBefore)
  }

  @Test func lvmJournalsAreFourMiBLVsNamedKindKeyValue() throws {
    let sr = makeSR(.lvm(.thin), capacity: 1 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    let free = try sr.space.freeSpace()
    try sr.journals.add(.leaf, key: vdi.uuid, value: "p-uuid")
    try sr.journals.add(.clone, key: vdi.uuid, value: "b-uuid_s-uuid")
    #expect(try sr.space.freeSpace() == free - 8 * miB)
    let names = try sr.storage.list(directory: "/sr")
    #expect(names.contains("leaf_\(vdi.uuid)_p-uuid"))
    #expect(names.contains("clone_\(vdi.uuid)_b-uuid_s-uuid"))
    #expect(try sr.journals.value(.clone, key: vdi.uuid) == "b-uuid_s-uuid")
    #expect(try sr.scanTree().nodes.map(\.uuid) == [vdi.uuid])
    try sr.journals.remove(.leaf, key: vdi.uuid)
    #expect(try sr.space.freeSpace() == free - 4 * miB)
  }

  @Test func lvmJournalNeedsAFreeExtent() throws {
    let sr = makeSR(.lvm(.thin), capacity: 10 * miB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    #expect(throws: SRError.insufficientSpace(needed: 4 * miB, free: 2 * miB)) {
      try sr.journals.add(.leaf, key: vdi.uuid, value: "p")
    }
  }

  @Test func journalsSurviveAReopen() throws {
    for kind in [SRKind.file, .lvm(.thin)] {
      let sr = makeSR(kind)
      let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
      try writeData(sr, vdi.uuid)
      let snap = try sr.snapshot(vdi.uuid, kind: .single)
      let base = try #require(snap.baseCopy)
      // A relink journal of an existing node is kept for the GC; a coalesce marker is dropped.
      try sr.journals.add(.relink, key: base.uuid, value: "x")
      try sr.journals.add(.coalesce, key: base.uuid, value: "1")
      let reopened = try sr.reopened()
      #expect(try reopened.journals.all() == [SRJournal(kind: .relink, key: base.uuid, value: "x")])
      #expect(reopened.recoveryLog == ["dropped coalesce marker of \(base.uuid)"])
      #expect(reopened.records == sr.records)
    }
  }

  @Test func snapshotLeavesNoJournalAndCloneJournalValuesRoundTrip() throws {
    let sr = makeSR(.lvm(.thick), capacity: 100 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 1 * giB)
    try writeData(sr, vdi.uuid)
    try sr.snapshot(vdi.uuid)
    try sr.clone(vdi.uuid)
    #expect(try sr.journals.all().isEmpty)
    let v = SR.cloneJournalValue(base: "b", second: "s", cloneOp: true)
    #expect(v == "b_s_clone")
    #expect(SR.parseCloneJournalValue(v)! == ("b", "s", true))
    #expect(
      SR.parseCloneJournalValue(SR.cloneJournalValue(base: "b", second: nil, cloneOp: false))! == (
        "b", nil, false
      ))
    #expect(SR.parseCloneJournalValue("b_s_x") == nil)
    #expect(SRJournal.parseLVName("VHD-abc") == nil)
    #expect(SRJournal.parseFileName("abc.vhd") == nil)
  }

  /// GCPlan's relink protection comes from the journals on storage, not from memory.
  @Test func persistedRelinkJournalProtectsAHiddenLeaf() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let r = try sr.snapshot(vdi.uuid)
    try sr.delete(try #require(r.snapshot).uuid)
    try sr.delete(vdi.uuid)
    let base = try #require(r.baseCopy).uuid
    #expect(try sr.plan().garbage == [base])
    try sr.journals.add(.relink, key: base, value: "p")
    #expect(try sr.plan().garbage == [])
    #expect(try sr.reopened().plan().garbage == [])
  }
}
