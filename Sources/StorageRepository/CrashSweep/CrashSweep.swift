// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// The crash sweep of issue 5 ("Faults: nothing lost"): an operation runs once un-crashed to count
/// its physical writes W (namespace changes included); then for every k in 1...W, clean and torn,
/// a fresh deterministic setup is crashed at the k-th write, the host restarts on the surviving
/// storage with the xapi records and LV sizes it had (`SR.reopened(on:)`, which runs `recover()`),
/// and `CrashSweepVerifier` checks data, node health and accounting, runs the GC and checks again.
public struct CrashSweep {
  public var configuration: CrashSweepConfiguration
  /// Test hook: runs on the restarted SR before verification (a deliberately broken recovery, to
  /// show the verifier catches it).
  public var tamper: ((SR) throws -> Void)?

  public init(configuration: CrashSweepConfiguration = .init(), tamper: ((SR) throws -> Void)? = nil) {
    self.configuration = configuration
    self.tamper = tamper
  }

  /// Sweeps every operation in `operations` on every kind in `kinds`, in that order.
  public func run(operations: [CrashSweepOperation], kinds: [CrashSweepSRKind]) throws(CrashSweepError)
    -> CrashSweepSummary
  {
    var results: [CrashSweepResult] = []
    for operation in operations {
      for kind in kinds { results.append(try run(operation, on: kind)) }
    }
    return CrashSweepSummary(seed: configuration.seed, results: results)
  }

  /// Sweeps one operation on one SR kind. `crashPoints` restricts k (default: every k in 1...W).
  public func run(
    _ operation: CrashSweepOperation, on kind: CrashSweepSRKind, crashPoints: ClosedRange<Int>? = nil
  )
    throws(CrashSweepError) -> CrashSweepResult
  {
    try configuration.validate()
    let (writes, optional, referenceFailure) = try reference(operation, on: kind)
    var result = CrashSweepResult(operation: operation, srKind: kind, writes: writes)
    result.referenceFailure = referenceFailure
    if let referenceFailure {
      keep("\(operation.name) on \(kind.name), reference run: \(referenceFailure)", in: &result)
    }
    var actions: [String: Int] = [:]
    let first = max(1, crashPoints?.lowerBound ?? 1)
    let last = min(writes, crashPoints?.upperBound ?? writes)
    guard first <= last else { return result }
    let template: CrashSweepRun
    do { template = try CrashSweepRun(operation: operation, kind: kind, configuration: configuration) } catch
    {
      throw .referenceRunFailed(operation: operation.name, sr: kind.name, reason: "setup: \(error)")
    }
    for k in first...last {
      for tear in [false, true] {
        let place = "\(operation.name) on \(kind.name), crash at write \(k)/\(writes)\(tear ? " torn" : "")"
        result.crashPointsTried += 1
        let findings = crashPoint(
          template, at: k, tear: tear, optional: optional, result: &result, actions: &actions)
        if findings.isClean {
          result.recoveredOK += 1
          continue
        }
        if findings.dataMismatch != nil { result.dataMismatches += 1 }
        if findings.checkFailure != nil { result.checkFailures += 1 }
        if findings.orphan != nil { result.orphans += 1 }
        if findings.recoveryFailure != nil { result.recoveryFailures += 1 }
        for line in findings.descriptions { keep("\(place): \(line)", in: &result) }
      }
    }
    result.recoveryActions = actions.keys.sorted().map { .init(action: $0, count: actions[$0]!) }
    return result
  }

  /// The un-crashed run: W, the VDIs it creates (allowed to appear after a crash), and whether its
  /// own end state passes verification.
  func reference(_ operation: CrashSweepOperation, on kind: CrashSweepSRKind) throws(CrashSweepError)
    -> (writes: Int, optional: [String: CrashSweepOracle.OptionalVDI], failure: String?)
  {
    do {
      let run = try CrashSweepRun(operation: operation, kind: kind, configuration: configuration)
      let before = Set(run.oracle.disks.keys)
      let start = run.writesSeen
      try run.perform()
      let writes = run.writesSeen - start
      var optional: [String: CrashSweepOracle.OptionalVDI] = [:]
      for (uuid, content) in run.oracle.disks where !before.contains(uuid) {
        optional[uuid] = .init(content: content, isSnapshot: run.sr.records[uuid]?.isSnapshot ?? false)
      }
      var oracle = run.oracle
      let findings = CrashSweepVerifier.verify(run.sr, oracle: &oracle)
      return (writes, optional, findings.isClean ? nil : findings.descriptions.joined(separator: "; "))
    } catch let e as CrashSweepError {
      throw e
    } catch {
      throw .referenceRunFailed(operation: operation.name, sr: kind.name, reason: "\(error)")
    }
  }

  /// One crash point: a fresh copy of the set-up `template`, crash at write `k`, restart, recover,
  /// verify.
  func crashPoint(
    _ template: CrashSweepRun, at k: Int, tear: Bool, optional: [String: CrashSweepOracle.OptionalVDI],
    result: inout CrashSweepResult, actions: inout [String: Int]
  ) -> CrashSweepFindings {
    var findings = CrashSweepFindings()
    let run: CrashSweepRun
    do { run = try CrashSweepRun(copying: template) } catch {
      findings.recoveryFailure = "setup failed: \(error)"
      return findings
    }
    run.allow(optional)
    run.faulty.crashAfterWrites(k, tear: tear)
    var ended: (any Error)?
    do { try run.perform() } catch { ended = error }
    guard run.faulty.hasCrashed else {
      findings.recoveryFailure =
        "no crash happened (operation ended with \(ended.map { "\($0)" } ?? "success"))"
      return findings
    }
    if run.oracle.interrupted != nil { result.guestWritesInterrupted += 1 }
    let restarted: SR
    do { restarted = try run.sr.reopened(on: run.faulty.base) } catch {
      findings.recoveryFailure = "restart and recovery failed: \(error)"
      return findings
    }
    for line in restarted.recoveryLog { actions[Self.action(of: line), default: 0] += 1 }
    if let tamper {
      do { try tamper(restarted) } catch {
        findings.recoveryFailure = "tamper hook failed: \(error)"
        return findings
      }
    }
    var oracle = run.oracle
    return CrashSweepVerifier.verify(restarted, oracle: &oracle)
  }

  private func keep(_ line: String, in result: inout CrashSweepResult) {
    if result.failures.count < configuration.keptFailures { result.failures.append(line) }
  }

  /// A recovery log line with every uuid replaced by `<uuid>` (inside names too, such as
  /// `OLD_<uuid>` or `tmp-journal-leaf-<uuid>`), so lines of different crash points group by what
  /// was done.
  static func action(of line: String) -> String {
    let bytes = Array(line.utf8)
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
      if i + 36 <= bytes.count, isUUID(bytes[i..<(i + 36)]) {
        out += Array("<uuid>".utf8)
        i += 36
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self).replacing("OLD_<uuid>", with: "<uuid>")
  }

  private static func isUUID(_ chars: ArraySlice<UInt8>) -> Bool {
    for (i, c) in zip(0..., chars) {
      if [8, 13, 18, 23].contains(i) {
        if c != UInt8(ascii: "-") { return false }
      } else if !((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
        return false
      }
    }
    return true
  }
}
