// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

@testable import StorageRepository

let miB = VHDSpace.miB
let giB = VHDSpace.giB

func makeSR(_ kind: SRKind, capacity: UInt64 = 1024 * giB) -> SR {
  SR(storage: MemoryStorage(), directory: "/sr", kind: kind, capacity: capacity)
}

/// Writes one sector at `sector` of the VDI so its leaf is not empty.
func writeData(_ sr: SR, _ uuid: String, sector: UInt64 = 0) throws {
  let chain = try VHDChain.open(sr.path(of: uuid), storage: sr.storage, writable: true)
  try chain.write(sector: sector, bytes: [UInt8](repeating: 0xAB, count: 512))
  try chain.close()
}

/// The hidden bit in the node's footer on disk.
func footerHidden(_ sr: SR, _ uuid: String) throws -> Bool {
  try VHDImage.open(sr.path(of: uuid), storage: sr.storage).isHidden
}
