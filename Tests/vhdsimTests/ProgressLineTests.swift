// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import vhdsim

/// Progress lines: the time left is never negative (a caller that overshoots its total used to print
/// `ETA -1s`).
@Suite struct ProgressLineTests {
  @Test func etaIsTheRestAtTheRateSoFarAndNeverNegative() {
    #expect(ProgressLine.eta(elapsed: 10, fraction: 0.25) == 30)
    #expect(ProgressLine.eta(elapsed: 10, fraction: 1) == 0)
    #expect(ProgressLine.eta(elapsed: 3, fraction: 1.5) == 0)
    #expect(ProgressLine.eta(elapsed: 3, fraction: 0) == nil)
    #expect(ProgressLine.duration(185) == "3m05s")
  }
}
