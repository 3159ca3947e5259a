// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

@Suite struct PauseTests {
  @Test(arguments: [false, true])
  func pausedTapdiskHoldsRequestsUntilUnpause(reopen: Bool) throws {
    let (pool, vdi) = try makePool(depth: 4, sr: .lvm)
    pool.recordTrace = true
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: 4)))
    let pauseAt = SimTime.milliseconds(10)
    let unpauseAt = SimTime.milliseconds(30)
    pool.schedulePause(vdi: vdi, at: pauseAt)
    pool.scheduleUnpause(vdi: vdi, at: unpauseAt, reopen: reopen)
    let r = try pool.run(for: .milliseconds(60))
    let held = r.trace.filter { $0.stallTime > .zero }
    // Closed loop at depth 4: the 4 requests issued as the in-flight ones drained are held.
    #expect(held.count == 4 && r.stalls.requests == 4)
    // Nothing issued after the pause completes before the unpause.
    #expect(!r.trace.contains { $0.issued >= pauseAt && $0.completed < unpauseAt })
    // In-flight requests drain within a few service times; then nothing completes until unpause.
    let drainEnd = r.trace.filter { $0.issued < pauseAt }.map(\.completed).max()!
    #expect(drainEnd < pauseAt + .milliseconds(2))
    #expect(!r.trace.contains { $0.completed > drainEnd && $0.completed < unpauseAt })
    if reopen {
      #expect(r.reopens.count == 1)
      // Every level's footer, header, BAT and BATmap: 4 levels of a 64 MiB disk.
      #expect(r.reopens.bytes == 4 * (512 + 1024 + 512 + 1024))
      let resumed = held.map { $0.issued + $0.stallTime }
      #expect(resumed.allSatisfy { $0 == resumed[0] && $0 > unpauseAt })
    } else {
      #expect(held.allSatisfy { $0.stallTime == unpauseAt - $0.issued })
      #expect(r.stalls.total == held.reduce(SimTime.zero) { $0 + (unpauseAt - $1.issued) })
    }
    #expect(held.allSatisfy { $0.completed > unpauseAt })
    #expect(r.trace.contains { $0.issued > unpauseAt + .milliseconds(1) })
  }
}
