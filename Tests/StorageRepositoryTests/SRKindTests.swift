// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

/// Node names and the uuids they stand for (docs/storage-manager.md#scan-and-tree): `<uuid>.vhd`
/// on a file SR, `VHD-<uuid>` on an LVM SR; a bare suffix or prefix, or a name of the other
/// family, is not a node.
@Suite struct SRKindTests {
  @Test func nodeNamesRoundTripAndOthersAreNotNodes() {
    let lvm = SRKind.lvm(.thin)
    for uuid in ["3f2a9c1e-0000-4000-8000-000000000001", "a", "é", "a\u{301}"] {
      #expect(SRKind.file.uuid(ofNodeName: SRKind.file.nodeName(uuid)) == uuid)
      #expect(lvm.uuid(ofNodeName: lvm.nodeName(uuid)) == uuid)
    }
    #expect(SRKind.file.uuid(ofNodeName: ".vhd") == nil)
    #expect(SRKind.file.uuid(ofNodeName: "a.vhd.tmp") == nil)
    #expect(SRKind.file.uuid(ofNodeName: "VHD-a") == nil)
    #expect(lvm.uuid(ofNodeName: "VHD-") == nil)
    #expect(lvm.uuid(ofNodeName: "a.vhd") == nil)
    #expect(lvm.uuid(ofNodeName: "LV-a") == nil)
  }
}
