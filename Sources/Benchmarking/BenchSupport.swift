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

  /// One JSON object on one line, sorted keys: `benchmark`, then each figure (whole numbers as
  /// integers, others to 6 significant digits, non-finite as null) and each note.
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
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

extension BenchReport: Encodable {
  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(name, forKey: Key("benchmark"))
    for (k, v) in figures {
      if !v.isFinite {
        try c.encodeNil(forKey: Key(k))
      } else if v == v.rounded() && abs(v) < 1e15 {
        try c.encode(Int64(v), forKey: Key(k))
      } else {
        try c.encode(Double(String(format: "%.6g", v)) ?? v, forKey: Key(k))
      }
    }
    for (k, v) in notes { try c.encode(v, forKey: Key(k)) }
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
