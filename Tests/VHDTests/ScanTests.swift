// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// A storage repository folder: a hidden base copy `template.vhd` with a visible child `b-vm.vhd`
/// (itself the parent of `clone.vhd`) and a hidden child `a-snap.vhd`; `orphan.vhd` whose parent
/// `gone.vhd` exists but is not scanned; `lost.vhd` whose parent does not exist; an unrelated
/// 100 MiB `solo.vhd`; a damaged `broken.vhd`; and `nothere.vhd`, which is not there.
private func forest() throws -> (MemoryStorage, [String]) {
  let storage = TestImages.storage()
  func store(_ name: String, _ built: TestImages.Built) throws {
    try TestImages.store(built.bytes, at: "/sr/" + name, in: storage)
  }
  let u = TestImages.uuid
  try store("template.vhd", TestImages.build(uuid: u(1), hidden: 1))
  try store("b-vm.vhd", TestImages.build(uuid: u(2), parent: .init(name: "template.vhd", uuid: u(1))))
  try store(
    "a-snap.vhd", TestImages.build(uuid: u(3), hidden: 1, parent: .init(name: "template.vhd", uuid: u(1))))
  try store("clone.vhd", TestImages.build(uuid: u(4), parent: .init(name: "b-vm.vhd", uuid: u(2))))
  try store("gone.vhd", TestImages.build(uuid: u(5)))
  try store("orphan.vhd", TestImages.build(uuid: u(6), parent: .init(name: "gone.vhd", uuid: u(5))))
  try store("solo.vhd", TestImages.build(size: 100 * TestImages.mib, uuid: u(7)))
  try store("lost.vhd", TestImages.build(uuid: u(8), parent: .init(name: "vanished.vhd", uuid: u(9))))
  var rng = TestRNG(7)
  try TestImages.store(rng.bytes(4096), at: "/sr/broken.vhd", in: storage)
  let names = [
    "template.vhd", "b-vm.vhd", "a-snap.vhd", "clone.vhd", "orphan.vhd", "solo.vhd", "lost.vhd", "broken.vhd",
    "nothere.vhd",
  ]
  return (storage, names.map { "/sr/" + $0 })
}

@Suite struct ScanTests {
  @Test func entries() throws {
    let (storage, paths) = try forest()
    let entries = VHDScan.scan(paths: paths, storage: storage)
    #expect(entries.count == paths.count)
    let vm = entries[1]
    #expect(vm.path == "/sr/b-vm.vhd")
    #expect(vm.capacity == 8 * TestImages.mib)
    #expect(vm.size == 5120)
    #expect(vm.hidden == 0)
    #expect(vm.parentPath == "/sr/template.vhd")
    #expect(vm.parentResolved)
    #expect(vm.parentName == "template.vhd")
    #expect(!vm.isRaw)
    #expect(vm.error == nil)
    let lost = entries[6]
    #expect(lost.parentPath == "./vanished.vhd")
    #expect(!lost.parentResolved)
    #expect(entries[7].error == "opening file")
    #expect(entries[7].errorCode == -22)
    #expect(entries[8].errorCode == -2)
  }

  @Test func lines() throws {
    let (storage, paths) = try forest()
    let entries = VHDScan.scan(paths: paths, storage: storage)
    #expect(
      VHDScan.lines(entries, verbose: false) == [
        "vhd=template.vhd capacity=8388608 size=3584 hidden=1 parent=none",
        "vhd=b-vm.vhd capacity=8388608 size=5120 hidden=0 parent=template.vhd",
        "vhd=a-snap.vhd capacity=8388608 size=5120 hidden=1 parent=template.vhd",
        "vhd=clone.vhd capacity=8388608 size=5120 hidden=0 parent=b-vm.vhd",
        "vhd=orphan.vhd capacity=8388608 size=5120 hidden=0 parent=gone.vhd",
        "vhd=solo.vhd capacity=104857600 size=3584 hidden=0 parent=none",
        "vhd=lost.vhd capacity=8388608 size=5120 hidden=0 parent=vanished.vhd",
        "vhd=/sr/broken.vhd scan-error=-22 error-message='opening file'",
        "vhd=/sr/nothere.vhd scan-error=-2 error-message='failure scanning target'",
      ])
    #expect(
      VHDScan.lines(Array(entries[1...1]) + Array(entries[6...6]), verbose: true) == [
        "vhd=/sr/b-vm.vhd capacity=8388608 size=5120 hidden=0 parent=/sr/template.vhd",
        "vhd=/sr/lost.vhd capacity=8388608 size=5120 hidden=0 parent=./vanished.vhd",
      ])
  }

  @Test func prettyTree() throws {
    let (storage, paths) = try forest()
    let entries = VHDScan.scan(paths: paths, storage: storage)
    #expect(
      VHDScan.prettyTree(entries, verbose: false) == [
        "vhd=/sr/broken.vhd scan-error=-22 error-message='opening file'",
        "vhd=/sr/nothere.vhd scan-error=-2 error-message='failure scanning target'",
        "vhd=template.vhd capacity=8388608 size=3584 hidden=1 parent=none",
        "   vhd=b-vm.vhd capacity=8388608 size=5120 hidden=0 parent=template.vhd",
        "      vhd=clone.vhd capacity=8388608 size=5120 hidden=0 parent=b-vm.vhd",
        "   vhd=a-snap.vhd capacity=8388608 size=5120 hidden=1 parent=template.vhd",
        "vhd=lost.vhd capacity=8388608 size=5120 hidden=0 parent=vanished.vhd (not found in scan)",
        "vhd=orphan.vhd capacity=8388608 size=5120 hidden=0 parent=gone.vhd (not found in scan)",
        "vhd=solo.vhd capacity=104857600 size=3584 hidden=0 parent=none",
      ])
    // Same forest, input order shuffled: the tree does not depend on it.
    let shuffled = VHDScan.scan(paths: paths.reversed(), storage: storage)
    #expect(
      VHDScan.prettyTree(shuffled, verbose: false).dropFirst(2)
        == VHDScan.prettyTree(entries, verbose: false).dropFirst(2))
  }

  @Test func prettyTreeVerbose() throws {
    let (storage, paths) = try forest()
    let entries = VHDScan.scan(paths: Array(paths[0..<4]), storage: storage)
    #expect(
      VHDScan.prettyTree(entries, verbose: true) == [
        "vhd=/sr/template.vhd capacity=8388608 size=3584 hidden=1 parent=none",
        "   vhd=/sr/b-vm.vhd capacity=8388608 size=5120 hidden=0 parent=/sr/template.vhd",
        "      vhd=/sr/clone.vhd capacity=8388608 size=5120 hidden=0 parent=/sr/b-vm.vhd",
        "   vhd=/sr/a-snap.vhd capacity=8388608 size=5120 hidden=1 parent=/sr/template.vhd",
      ])
  }

  @Test func prettyTreeSurvivesParentLoops() throws {
    let storage = TestImages.storage()
    let a = TestImages.build(uuid: TestImages.uuid(1), parent: .init(name: "b.vhd", uuid: TestImages.uuid(2)))
    let b = TestImages.build(uuid: TestImages.uuid(2), parent: .init(name: "a.vhd", uuid: TestImages.uuid(1)))
    try TestImages.store(a.bytes, at: "/a.vhd", in: storage)
    try TestImages.store(b.bytes, at: "/b.vhd", in: storage)
    let entries = VHDScan.scan(paths: ["/b.vhd", "/a.vhd"], storage: storage)
    #expect(
      VHDScan.prettyTree(entries, verbose: false) == [
        "vhd=a.vhd capacity=8388608 size=5120 hidden=0 parent=b.vhd",
        "   vhd=b.vhd capacity=8388608 size=5120 hidden=0 parent=a.vhd",
      ])
    // Both sit on the loop (what `vhdsim vhd scan` reports, exiting 1); a chain hanging off it does not.
    let c = TestImages.build(uuid: TestImages.uuid(3), parent: .init(name: "a.vhd", uuid: TestImages.uuid(1)))
    try TestImages.store(c.bytes, at: "/c.vhd", in: storage)
    let all = VHDScan.scan(paths: ["/a.vhd", "/b.vhd", "/c.vhd"], storage: storage)
    #expect(VHDScan.loops(all) == ["/a.vhd", "/b.vhd"])
    #expect(VHDScan.loops(VHDScan.scan(paths: ["/c.vhd"], storage: storage)).isEmpty)
  }

  @Test func includeParentsAddsRawParents() throws {
    let storage = TestImages.storage()
    try TestImages.store([UInt8](repeating: 0, count: 4 << 20), at: "/sr/base.raw", in: storage)
    let mid = TestImages.build(uuid: TestImages.uuid(2), parent: .init(name: "base.raw", uuid: .null))
    try TestImages.store(mid.bytes, at: "/sr/mid.vhd", in: storage)
    let leaf = TestImages.build(
      uuid: TestImages.uuid(3), parent: .init(name: "mid.vhd", uuid: TestImages.uuid(2)))
    try TestImages.store(leaf.bytes, at: "/sr/leaf.vhd", in: storage)
    let entries = VHDScan.scan(paths: ["/sr/leaf.vhd"], storage: storage, includeParents: true)
    #expect(entries.map(\.path) == ["/sr/leaf.vhd", "/sr/mid.vhd", "/sr/base.raw"])
    #expect(entries[2].isRaw)
    #expect(
      VHDScan.lines(entries, verbose: false) == [
        "vhd=leaf.vhd capacity=8388608 size=5120 hidden=0 parent=mid.vhd",
        "vhd=mid.vhd capacity=8388608 size=5120 hidden=0 parent=base.raw",
        "vhd=base.raw capacity=4194304 size=4194304 hidden=1 parent=none",
      ])
    #expect(VHDScan.scan(paths: ["/sr/leaf.vhd"], storage: storage).count == 1)
  }

  @Test func damagedPrimaryFooterFallsBackToCopy() throws {
    let storage = TestImages.storage()
    let built = TestImages.build(uuid: TestImages.uuid(1), hidden: 1)
    try TestImages.store(built.bytes, at: "/x.vhd", in: storage)
    try TestImages.edit("/x.vhd", in: storage) { b in
      b.replaceSubrange(b.count - 512..<b.count, with: [UInt8](repeating: 0xC7, count: 512))
    }
    #expect(
      VHDScan.lines(VHDScan.scan(paths: ["/x.vhd"], storage: storage), verbose: false) == [
        "vhd=x.vhd capacity=8388608 size=3584 hidden=1 parent=none"
      ])
  }

  @Test func legacyHiddenComesFromTheCopy() throws {
    let storage = TestImages.storage()
    try TestImages.store(TestImages.build(uuid: TestImages.uuid(1)).bytes, at: "/x.vhd", in: storage)
    try TestImages.editFooters("/x.vhd", in: storage) { $0.creatorVersion = 0x0001_0001 }
    try TestImages.editFooters("/x.vhd", in: storage, primary: false, checksum: false) { $0.hidden = 1 }
    #expect(VHDScan.scan(paths: ["/x.vhd"], storage: storage).first?.hidden == 1)
  }

  @Test func differencingWithoutUsableLocator() throws {
    let storage = TestImages.storage()
    let built = TestImages.build(
      uuid: TestImages.uuid(1), parent: .init(name: "p.vhd", uuid: TestImages.uuid(2)))
    try TestImages.store(built.bytes, at: "/x.vhd", in: storage)
    // Only a deprecated Wi2k locator: scan falls back to it and cannot decode it.
    try TestImages.editHeader("/x.vhd", in: storage) { h in
      h.locators[0].platformCode = ParentLocator.Code.wi2k.rawValue
      h.locators[1] = .empty
      h.locators[2] = .empty
    }
    let entry = try #require(VHDScan.scan(paths: ["/x.vhd"], storage: storage).first)
    #expect(entry.error == "getting parent")
    #expect(entry.errorCode == -22)
  }
}
