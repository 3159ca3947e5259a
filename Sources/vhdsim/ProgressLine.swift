// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Progress on standard error: on a terminal a one-line bar with elapsed time and ETA, redrawn in
/// place; otherwise (logs, pipes, batch jobs) one plain line per step with the same ETA, so a job log
/// shows how far a shard got and how long it still needs.
final class ProgressLine {
  let label: String
  /// Whether standard error is a terminal (the bar); plain lines otherwise.
  let isTerminal: Bool
  let start = ContinuousClock.now
  private var lastDrawn = ContinuousClock.now - .seconds(1)
  /// Tenths done when the last plain line was written.
  private var lastTenth = 0

  init(label: String, isTerminal: Bool = isatty(2) != 0) {
    self.label = label
    self.isTerminal = isTerminal
  }

  /// Seconds since the start.
  var elapsed: Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

  /// Remaining time at `fraction` done, by linear extrapolation (nil before anything is done).
  static func eta(elapsed: Double, fraction: Double) -> Double? {
    fraction > 0.001 ? elapsed * Swift.max(0, 1 - fraction) / fraction : nil
  }

  /// `42s`, `3m05s`, `2h07m`.
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
    return "\(s / 3600)h" + ((s % 3600) / 60 < 10 ? "0" : "") + "\((s % 3600) / 60)m"
  }

  /// Reports `done` of `total` steps; `step` names the one that just finished (plain lines only);
  /// `phase` says what is running now, after the counts on a terminal (e.g. `repeat 2 of 5`: a bar
  /// of many steps says little about where a long run is).
  func update(_ done: Int, _ total: Int, step: String, phase: String? = nil) {
    let fraction = Double(done) / Double(max(1, total))
    if !isTerminal {
      let elapsed = elapsed
      let eta = Self.eta(elapsed: elapsed, fraction: fraction).map(Self.duration) ?? "?"
      writeAll(
        fd: 2, Array("[\(done)/\(total)] \(step)  elapsed \(Self.duration(elapsed)), ETA \(eta)\n".utf8))
      return
    }
    draw(fraction, counts: " \(done)/\(total)" + (phase.map { ", \($0)" } ?? ""))
  }

  /// Fraction-only form for callers without countable steps: the bar on a terminal, otherwise one
  /// plain line each time another tenth is done.
  func update(_ fraction: Double) {
    guard isTerminal else {
      let tenth = Int((fraction * 10).rounded(.down))
      guard tenth > lastTenth else { return }
      lastTenth = tenth
      let elapsed = elapsed
      let eta = Self.eta(elapsed: elapsed, fraction: fraction).map(Self.duration) ?? "?"
      writeAll(
        fd: 2, Array("\(label): \(tenth * 10)%  elapsed \(Self.duration(elapsed)), ETA \(eta)\n".utf8))
      return
    }
    draw(fraction, counts: "")
  }

  private func draw(_ fraction: Double, counts: String) {
    let now = ContinuousClock.now
    guard now - lastDrawn > .milliseconds(100) || fraction >= 1 else { return }
    lastDrawn = now
    let elapsed = elapsed
    let eta = Self.eta(elapsed: elapsed, fraction: fraction).map(Self.duration) ?? "?"
    let width = 30
    let filled = max(0, min(width, Int((fraction * Double(width)).rounded(.down))))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let pct = Int((fraction * 100).rounded(.down))
    let line = "\r\(label) [\(bar)] \(pct)%\(counts)  \(Self.duration(elapsed)) elapsed, ETA \(eta) "
    writeAll(fd: 2, Array(line.utf8))
  }

  /// Ends the bar's line (terminal only).
  func finish() {
    guard isTerminal else { return }
    writeAll(fd: 2, [10])
  }
}

/// `--quiet`, shared by every command that shows progress: the bar on a terminal, plain lines in
/// logs and pipes, nothing with `--quiet`.
struct ProgressOptions: ParsableArguments {
  @Flag(help: "No progress on standard error.") var quiet = false

  /// The progress line for `label`, nil with `--quiet`.
  func line(_ label: String) -> ProgressLine? { quiet ? nil : ProgressLine(label: label) }
}
