// SPDX-License-Identifier: GPL-3.0-or-later

/// The operations as a host drives them: the SR's step machines one step at a time, with the
/// guest's writes between the steps where the design lets the VM run.
extension CrashSweepRun {
  /// Guest writes between two steps of a step machine the VM keeps running through.
  static let writesBetweenSteps = 1
  /// Live copy passes of the mirror design before the last (paused) one.
  static let mirrorLivePasses = 2

  /// Runs the operation to the end (then the VM writes once more), or until a fault ends it.
  public func perform() throws {
    switch operation {
    case .snapshot:
      try snapshot(vdi)
      try guestWrite(vdi)
    case .coalesce, .coalesceGrow:
      guard let b2 = named["B2"] else { return }
      try coalesce(b2, guestRunning: true)
      try guestWrite(vdi)
    case .leafLive, .leafLiveGrow:
      try leafCoalescePaused()
      try guestWrite(vdi)
    case .leafOffline:
      // Suspend: the VBD is unplugged (a thin LV deflates); resume plugs it again (inflates).
      try sr.detach(vdi, writable: true)
      try leafCoalescePaused()
      try sr.attach(vdi, writable: true)
      try guestWrite(vdi)
    case .leafSnapshotCoalesce:
      let made = try sr.snapshot(vdi, kind: .internal)
      try guestWrites(vdi, 2)
      if let t = made.baseCopy?.uuid { try coalesce(t, guestRunning: true) }
      try leafCoalescePaused()
      try guestWrite(vdi)
    case .leafMirror:
      try leafCoalesceMirrored()
      try guestWrite(vdi)
    }
  }

  /// Non-leaf coalesce of `child` into its parent; the host's tapdisk refresh before `.refreshing`
  /// needs nothing here, since every guest write opens the VDI's chain afresh.
  func coalesce(_ child: String, guestRunning: Bool) throws {
    let op = try CoalesceOperation(sr: sr, child: child)
    while op.phase != .done {
      try op.step(maxCopyBytes: configuration.maxCopyBytes)
      if guestRunning && op.phase != .done { try guestWrites(vdi, Self.writesBetweenSteps) }
    }
  }

  /// Leaf coalesce with the VM's tapdisk paused (or the VM suspended): no guest I/O until done.
  func leafCoalescePaused() throws {
    let op = try LeafCoalesceOperation(sr: sr, leaf: vdi)
    while op.phase != .done { try op.step(maxCopyBytes: configuration.maxCopyBytes) }
  }

  /// Mirror: the first full pass and `mirrorLivePasses − 1` recopy passes run with the guest
  /// writing between steps (its dirtied blocks tracked), the last pass over what it dirtied meanwhile
  /// runs paused, then the swap.
  func leafCoalesceMirrored() throws {
    let op = try LeafCoalesceOperation(sr: sr, leaf: vdi)
    trackingDirtyBlocks = true
    defer { trackingDirtyBlocks = false }
    _ = takeDirtyBlocks()
    try op.step(maxCopyBytes: configuration.maxCopyBytes)  // .start
    var pass = 1
    while true {
      while op.phase == .copying {
        try op.step(maxCopyBytes: configuration.maxCopyBytes)
        try guestWrites(vdi, Self.writesBetweenSteps)
      }
      guard pass < Self.mirrorLivePasses else { break }
      pass += 1
      let blocks = takeDirtyBlocks()
      mirrorRecopies.append(blocks)
      try op.recopy(blocks: blocks)
    }
    // Paused: the last delta, then the swap.
    trackingDirtyBlocks = false
    let last = takeDirtyBlocks()
    mirrorRecopies.append(last)
    if !last.isEmpty { try op.recopy(blocks: last) }
    while op.phase != .done { try op.step(maxCopyBytes: configuration.maxCopyBytes) }
  }
}
