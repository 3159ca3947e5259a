// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// A benchmark's figures, named, printed as one JSON object (sorted keys) or as aligned text.
public struct BenchReport: Sendable {
  public var name: String
  public var figures: [(String, Double)] = []
  public var notes: [(String, String)] = []

  public init(name: String) { self.name = name }

  public mutating func add(_ key: String, _ value: Double) { figures.append((key, value)) }
  public mutating func note(_ key: String, _ value: String) { notes.append((key, value)) }

  public func value(_ key: String) -> Double? { figures.first { $0.0 == key }?.1 }

  public var json: String {
    var parts = ["\"benchmark\": \"\(name)\""]
    for (k, v) in figures {
      let text =
        v.isFinite
        ? (v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v)) : "null"
      parts.append("\"\(k)\": \(text)")
    }
    for (k, v) in notes { parts.append("\"\(k)\": \"\(v.replacingOccurrences(of: "\"", with: "'"))\"") }
    return "{" + parts.joined(separator: ", ") + "}"
  }

  public var text: String {
    var lines = ["\(name):"]
    let width = (figures.map(\.0.count) + notes.map(\.0.count)).max() ?? 0
    for (k, v) in figures {
      lines.append(
        "  " + k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(format: "%.4g", v))
    }
    for (k, v) in notes {
      lines.append("  " + k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + v)
    }
    return lines.joined(separator: "\n")
  }
}

/// Wall seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = ContinuousClock.now
  try body()
  let d = ContinuousClock.now - start
  return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

/// Runs a program, returns its exit status and standard output.
@discardableResult
func runProgram(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> (
  status: Int32, output: String
) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: path)
  p.arguments = args
  if !environment.isEmpty {
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = FileHandle.nullDevice
  try p.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The first executable named `name` on PATH (or in /usr/bin), if any.
public func findExecutable(_ name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for dir in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
    let candidate = "\(dir)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

/// A scratch folder removed when the value is released.
final class ScratchFolder {
  let path: String
  init(prefix: String) throws {
    let base = ProcessInfo.processInfo.environment["VHDSIM_BENCH_DIR"] ?? NSTemporaryDirectory()
    path = (base as NSString).appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }
  func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

/// The seeded generator for benchmark data and UUIDs (deterministic across runs).
typealias BenchRNG = SplitMix64

/// VmHWM from /proc/self/status (Linux), in bytes: the process's peak resident memory.
func peakResidentBytes() -> UInt64? {
  guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
  for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
  }
  return nil
}
