// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

@Suite struct FIFOResourceTests {
  @Test func grantsUpToCapacityThenQueuesFIFO() {
    var disk = FIFOResource<Int>(capacity: 2, expectedWaiters: 1)
    #expect(disk.request(1, at: .zero) == true)
    #expect(disk.request(2, at: .zero) == true)
    for owner in 3...6 {
      #expect(disk.request(owner, at: .seconds(1)) == false)
    }
    #expect(disk.inUse == 2)
    #expect(disk.available == 0)
    #expect(disk.queueLength == 4)
    #expect(disk.waiter(at: 0) == 3)
    #expect(disk.withdraw(at: .seconds(2)) { $0 == 4 } == 4)
    #expect(disk.withdraw(at: .seconds(2)) { $0 == 4 } == nil)
    #expect(disk.release(at: .seconds(3)) == 3)
    #expect(disk.release(at: .seconds(3)) == 5)
    #expect(disk.release(at: .seconds(4)) == 6)
    #expect(disk.release(at: .seconds(5)) == nil)
    #expect(disk.release(at: .seconds(6)) == nil)
    #expect(disk.inUse == 0)

    let stats = disk.statistics(at: .seconds(10))
    #expect(stats.requests == 6)
    #expect(stats.grants == 5)
    #expect(stats.withdrawals == 1)
    #expect(stats.maxWait == .seconds(3))
    #expect(abs(stats.meanWait - 1.4) < 1e-12)  // (0 + 0 + 2 + 2 + 3) / 5
    // Held: 2 units on [0, 5), 1 on [5, 6): 11 unit-seconds over 10 s on 2 units.
    #expect(abs(stats.busyTime - 11) < 1e-12)
    #expect(abs(stats.utilization - 0.55) < 1e-12)
    // Waiting: 4 on [1, 2), 3 on [2, 3), 1 on [3, 4): 8 waiter-seconds.
    #expect(abs(stats.meanQueueLength - 0.8) < 1e-12)
    #expect(abs(stats.meanInSystem - 1.9) < 1e-12)
  }

  @Test func resetStatisticsStartsAFreshWindow() {
    var lock = FIFOResource<Int>(capacity: 1)
    #expect(lock.request(1, at: .zero) == true)
    #expect(lock.request(2, at: .seconds(1)) == false)
    lock.resetStatistics(at: .seconds(2))
    #expect(lock.release(at: .seconds(4)) == 2)
    let stats = lock.statistics(at: .seconds(6))
    #expect(stats.elapsed == .seconds(4))
    #expect(stats.utilization == 1)
    #expect(abs(stats.meanQueueLength - 0.5) < 1e-12)  // one waiter on [2, 4)
    #expect(stats.grants == 1)
    #expect(stats.maxWait == .seconds(3))  // a waiter counts its whole wait
  }

  @Test func queueGrowsPastItsReservation() {
    var r = FIFOResource<Int>(capacity: 1, expectedWaiters: 2)
    #expect(r.request(0, at: .zero) == true)
    for i in 1...1_000 { #expect(r.request(i, at: .zero) == false) }
    for i in 1...1_000 { #expect(r.release(at: .seconds(i)) == i) }
    #expect(r.release(at: .seconds(1_001)) == nil)
  }
}
