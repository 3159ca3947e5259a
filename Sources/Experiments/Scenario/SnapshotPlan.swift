// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// What the scenario's `snapshots` section asks the SR to do while the guests run: an explicit
/// script (the thread's "16 snapshots, then delete them all") and/or a backup schedule (snapshot
/// every VM every period, keep the newest N). Either makes the run a managed-SR run with a GC.
public struct SnapshotPlan: Equatable, Sendable {
  /// `count` snapshots of every VM's VDI, the first at `start` and then every `every` seconds; all
  /// of them deleted at `deleteAllAt` (nil: never).
  public struct Script: Equatable, Sendable {
    public var count: Int
    public var start: Double
    public var every: Double
    public var deleteAllAt: Double?
  }

  /// Nightly-backup style: from `first`, every `every` seconds, snapshot every VM and keep `keep`.
  public struct Backups: Equatable, Sendable {
    public var every: Double
    public var keep: Int
    public var first: Double
  }

  public var kind: SnapshotKind = .double
  public var script: Script?
  public var backups: Backups?

  public init(kind: SnapshotKind = .double, script: Script? = nil, backups: Backups? = nil) {
    self.kind = kind
    self.script = script
    self.backups = backups
  }

  static let keys = ["kind", "script", "backups"]

  static func decode(_ r: NodeReader) throws(ScenarioError) -> SnapshotPlan {
    let map = try r.mapping(allowed: keys)
    var plan = SnapshotPlan()
    if let k = map["kind"] {
      plan.kind = try k.choice(SnapshotKind.self)
    }
    let seconds = "a number of seconds in [0, 31536000]"
    func time(_ n: NodeReader) throws(ScenarioError) -> Double {
      try n.double(seconds) { $0 >= 0 && $0 <= 31_536_000 }
    }
    func period(_ n: NodeReader) throws(ScenarioError) -> Double {
      try n.double("a number of seconds in (0, 31536000]") { $0 > 0 && $0 <= 31_536_000 }
    }
    if let s = map["script"] {
      let m = try s.mapping(allowed: ["count", "start", "every", "delete_all_at"])
      let count = try m.required("count").int(in: 1...1000, "a number of snapshots")
      let start = try m["start"].map { (n) throws(ScenarioError) in try time(n) } ?? 0
      let every = try period(try m.required("every"))
      var deleteAt: Double?
      if let d = m["delete_all_at"] {
        let t = try time(d)
        let last = start + every * Double(count - 1)
        guard t >= last else {
          throw d.error(
            "\(d.path): expected a time at or after the last snapshot (\(last) s), found \(t)")
        }
        deleteAt = t
      }
      plan.script = Script(count: count, start: start, every: every, deleteAllAt: deleteAt)
    }
    if let b = map["backups"] {
      let m = try b.mapping(allowed: ["every", "keep", "first"])
      plan.backups = Backups(
        every: try period(try m.required("every")),
        keep: try m.required("keep").int(in: 1...1000, "a number of snapshots to keep"),
        first: try m["first"].map { (n) throws(ScenarioError) in try time(n) } ?? 0)
    }
    guard plan.script != nil || plan.backups != nil else {
      throw r.error("\(r.path): expected a `script` or `backups` (or both)")
    }
    return plan
  }
}
