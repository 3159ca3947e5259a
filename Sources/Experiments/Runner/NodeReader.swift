// SPDX-License-Identifier: GPL-3.0-or-later
import Yams

/// Strict, positioned access to a YAML node. Codable would lose the marks (and accept unknown keys),
/// so the scenario decoder walks Yams' `Node` tree itself: every value it takes is checked for type
/// and range here, and every failure becomes a ``ScenarioError`` at the node's mark.
///
/// Numbers and booleans must be plain scalars: `"16"` (quoted) is a string, as YAML means it, and is
/// reported as the wrong type rather than silently converted.
struct NodeReader {
  let file: String
  let node: Node
  /// Dotted path for messages, e.g. `vms[0].workload.iodepth`.
  let path: String

  var position: SourcePosition {
    let m = node.mark
    return SourcePosition(line: m?.line ?? 1, column: m?.column ?? 1)
  }

  func error(_ message: String) -> ScenarioError {
    ScenarioError(file: file, line: position.line, column: position.column, message: message)
  }

  func child(_ node: Node, _ path: String) -> NodeReader { NodeReader(file: file, node: node, path: path) }

  /// What the node is, for "found …" in messages.
  var found: String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a sequence"
    case .scalar(let s):
      if s.style == .plain && isNull(s.string) { return "nothing (null)" }
      return "\"\(s.string)\""
    }
  }

  private func isNull(_ s: String) -> Bool {
    s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
  }

  private var plainScalar: String? {
    guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return nil }
    return s.string
  }

  // MARK: Scalars

  func string() throws(ScenarioError) -> String {
    guard case .scalar(let s) = node, !(s.style == .plain && isNull(s.string)) else {
      throw error("\(path): expected a string, found \(found)")
    }
    return s.string
  }

  func bool() throws(ScenarioError) -> Bool {
    switch plainScalar {
    case "true", "True", "TRUE": return true
    case "false", "False", "FALSE": return false
    default: throw error("\(path): expected true or false, found \(found)")
    }
  }

  func int(in range: ClosedRange<Int>, _ what: String = "an integer") throws(ScenarioError) -> Int {
    guard let text = plainScalar, let value = Int(text) else {
      throw error("\(path): expected \(what) in \(range.lowerBound)...\(range.upperBound), found \(found)")
    }
    guard range.contains(value) else {
      throw error("\(path): expected \(what) in \(range.lowerBound)...\(range.upperBound), found \(value)")
    }
    return value
  }

  /// An integer of at least `minimum` (no useful upper bound).
  func int(atLeast minimum: Int) throws(ScenarioError) -> Int {
    guard let text = plainScalar, let value = Int(text) else {
      throw error("\(path): expected an integer >= \(minimum), found \(found)")
    }
    guard value >= minimum else { throw error("\(path): expected an integer >= \(minimum), found \(value)") }
    return value
  }

  func uint64() throws(ScenarioError) -> UInt64 {
    guard let text = plainScalar, let value = UInt64(text) else {
      throw error("\(path): expected an integer in 0...\(UInt64.max), found \(found)")
    }
    return value
  }

  /// A finite number (integers are numbers too) accepted by `accept`, described by `expected`.
  func double(_ expected: String, _ accept: (Double) -> Bool) throws(ScenarioError) -> Double {
    guard let text = plainScalar, let value = Double(text), value.isFinite else {
      throw error("\(path): expected \(expected), found \(found)")
    }
    guard accept(value) else { throw error("\(path): expected \(expected), found \(text)") }
    return value
  }

  /// One of `choices` (a string).
  func choice<T>(_ choices: [(String, T)]) throws(ScenarioError) -> T {
    let names = choices.map(\.0).joined(separator: ", ")
    guard case .scalar(let s) = node, let hit = choices.first(where: { $0.0 == s.string }) else {
      throw error("\(path): expected one of \(names), found \(found)")
    }
    return hit.1
  }

  // MARK: Collections

  func sequence() throws(ScenarioError) -> [NodeReader] {
    guard case .sequence(let seq) = node else { throw error("\(path): expected a sequence, found \(found)") }
    return seq.enumerated().map { child($0.element, "\(path)[\($0.offset)]") }
  }

  /// The mapping's entries, checked against `allowed` keys (unknown and duplicate keys are errors).
  func mapping(allowed: [String]) throws(ScenarioError) -> MappingReader {
    guard case .mapping(let map) = node else {
      throw error("\(path.isEmpty ? "scenario" : path): expected a mapping, found \(found)")
    }
    var entries: [(key: String, keyReader: NodeReader, value: NodeReader)] = []
    var seen = Set<String>()
    for (k, v) in map {
      let keyReader = child(k, path)
      guard case .scalar(let ks) = k else {
        throw keyReader.error("expected a key name, found \(keyReader.found)")
      }
      let key = ks.string
      guard allowed.contains(key) else {
        let inPart = path.isEmpty ? "" : " in \(path)"
        throw keyReader.error(
          "unknown key \"\(key)\"\(inPart); expected one of: \(allowed.joined(separator: ", "))")
      }
      guard seen.insert(key).inserted else {
        throw keyReader.error("duplicate key \"\(key)\"\(path.isEmpty ? "" : " in \(path)")")
      }
      entries.append((key, keyReader, child(v, path.isEmpty ? key : "\(path).\(key)")))
    }
    return MappingReader(reader: self, entries: entries)
  }
}

/// A checked mapping: its entries in file order, looked up by key.
struct MappingReader {
  let reader: NodeReader
  let entries: [(key: String, keyReader: NodeReader, value: NodeReader)]

  subscript(key: String) -> NodeReader? { entries.first { $0.key == key }?.value }

  func keyReader(_ key: String) -> NodeReader? { entries.first { $0.key == key }?.keyReader }

  func required(_ key: String) throws(ScenarioError) -> NodeReader {
    guard let value = self[key] else {
      let inPart = reader.path.isEmpty ? "" : " in \(reader.path)"
      throw reader.error("missing key \"\(key)\"\(inPart)")
    }
    return value
  }
}
