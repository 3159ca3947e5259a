// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-line progress bar with ETA on a terminal (standard error); silent when not a terminal,
/// so logs and pipes stay clean.
final class ProgressLine {
  let label: String
  let enabled: Bool
  let start = ContinuousClock.now
  private var lastDrawn = ContinuousClock.now - .seconds(1)

  init(label: String) {
    self.label = label
    enabled = isatty(2) != 0
  }

  func update(_ fraction: Double) {
    guard enabled else { return }
    let now = ContinuousClock.now
    guard now - lastDrawn > .milliseconds(100) || fraction >= 1 else { return }
    lastDrawn = now
    let width = 30
    let filled = Int((fraction * Double(width)).rounded(.down))
    let elapsed =
      Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
    let eta = fraction > 0.001 ? elapsed * (1 - fraction) / fraction : 0
    let bar =
      String(repeating: "#", count: min(width, filled))
      + String(repeating: ".", count: max(0, width - filled))
    let pct = Int((fraction * 100).rounded(.down))
    let line = "\r\(label) [\(bar)] \(pct)% ETA \(Int(eta.rounded()))s "
    writeAll(fd: 2, Array(line.utf8))
  }

  func finish() {
    guard enabled else { return }
    update(1)
    writeAll(fd: 2, [10])
  }
}
