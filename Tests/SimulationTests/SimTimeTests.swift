// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

@Suite struct SimTimeTests {
  @Test func constructorsAgree() {
    #expect(SimTime.seconds(2) == SimTime(nanoseconds: 2_000_000_000))
    #expect(SimTime.milliseconds(3) == SimTime(nanoseconds: 3_000_000))
    #expect(SimTime.microseconds(7) == SimTime(nanoseconds: 7_000))
    #expect(SimTime.nanoseconds(9) == SimTime(nanoseconds: 9))
    #expect(SimTime.seconds(1.5) == SimTime(nanoseconds: 1_500_000_000))
    #expect(SimTime.milliseconds(0.25) == SimTime.microseconds(250))
    #expect(SimTime.microseconds(1.5) == SimTime.nanoseconds(1_500))
    // Rounds to the nearest nanosecond.
    #expect(SimTime(seconds: 1.4e-9) == SimTime(nanoseconds: 1))
    #expect(SimTime(seconds: 1.6e-9) == SimTime(nanoseconds: 2))
  }

  @Test func saturatesInsteadOfTrapping() {
    #expect(SimTime(seconds: 1e300) == .max)
    #expect(SimTime(seconds: .infinity) == .max)
    #expect(SimTime(seconds: -.infinity) == .min)
  }

  @Test func arithmeticAndOrder() {
    var t = SimTime.seconds(1)
    t += .milliseconds(500)
    #expect(t == .milliseconds(1_500))
    t -= .milliseconds(250)
    #expect(t.seconds == 1.25)
    #expect(t * 2 == .milliseconds(2_500))
    #expect(2 * t == .milliseconds(2_500))
    #expect(t / 5 == .milliseconds(250))
    #expect(SimTime.seconds(3) / SimTime.seconds(4) == 0.75)
    #expect(SimTime.zero < .nanoseconds(1))
    #expect(
      [SimTime.seconds(2), .zero, .milliseconds(1)].sorted() == [.zero, .milliseconds(1), .seconds(2)])
    #expect(SimTime.milliseconds(1_500).milliseconds == 1_500)
    #expect(SimTime.microseconds(3).microseconds == 3)
  }

  @Test func formatting() {
    #expect(SimTime.nanoseconds(17).description == "17 ns")
    #expect(SimTime.microseconds(250).description == "250 µs")
    #expect(SimTime.nanoseconds(1_234_500).description == "1.2345 ms")
    #expect(SimTime.milliseconds(1_500).description == "1.5 s")
    #expect(SimTime(nanoseconds: 3_000_000_001).description == "3.000000001 s")
    #expect(SimTime.seconds(-2).description == "-2 s")
    #expect(SimTime.zero.description == "0 ns")
    #expect(SimTime.max.description == "never")
  }
}
