// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL
import Foundation
import Simulation
import Workloads

/// Pearson's chi-square statistic of observed counts against expected probabilities, with bins whose
/// expected count is below 5 merged into their neighbour (the usual validity rule), and its upper-tail
/// p-value from GSL (`gsl_cdf_chisq_Q`).
func chiSquare(observed: [Int], probabilities: [Double]) -> (
  statistic: Double, degreesOfFreedom: Int, p: Double
) {
  precondition(observed.count == probabilities.count)
  let n = Double(observed.reduce(0, +))
  var obs: [Double] = []
  var exp: [Double] = []
  var o = 0.0
  var e = 0.0
  for (count, p) in zip(observed, probabilities) {
    o += Double(count)
    e += p * n
    if e >= 5 {
      obs.append(o)
      exp.append(e)
      o = 0
      e = 0
    }
  }
  if e > 0 || o > 0 {
    if exp.isEmpty {
      obs.append(o)
      exp.append(e)
    } else {
      obs[obs.count - 1] += o
      exp[exp.count - 1] += e
    }
  }
  var statistic = 0.0
  for (x, m) in zip(obs, exp) { statistic += (x - m) * (x - m) / m }
  let df = exp.count - 1
  return (statistic, df, gsl_cdf_chisq_Q(statistic, Double(df)))
}

/// Streams of a test generator.
func streams(_ seed: UInt64 = 1, name: String = "test") -> WorkloadStreams {
  WorkloadStreams(seed: seed, name: name)
}

/// Draws `n` requests (closed loop: "now" stays at the previous request's time).
func draw(_ generator: inout some RequestGenerator, _ n: Int) -> [GuestRequest] {
  var out: [GuestRequest] = []
  out.reserveCapacity(n)
  var now = SimTime.zero
  for _ in 0..<n {
    guard let r = generator.next(now: now) else { break }
    out.append(r)
    now = r.time
  }
  return out
}

/// Index of the first difference of two request lists (nil if equal): failures name one request, never
/// print whole arrays.
func firstDifference(_ a: [GuestRequest], _ b: [GuestRequest]) -> String? {
  for i in 0..<min(a.count, b.count) where a[i] != b[i] {
    return "request \(i): \(a[i]) vs \(b[i])"
  }
  return a.count == b.count ? nil : "lengths \(a.count) vs \(b.count)"
}

/// A scratch file with `text`, removed by the caller's `defer`.
func writeTemporary(_ text: String, name: String) throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "workloads-tests-\(getpid())", isDirectory: true)
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  let url = dir.appendingPathComponent(name)
  try text.write(to: url, atomically: true, encoding: .utf8)
  return url.path
}

func removeTemporary(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
}
