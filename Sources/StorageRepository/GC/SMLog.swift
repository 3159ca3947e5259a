// SPDX-License-Identifier: GPL-3.0-or-later

/// An SMlog-style writer (docs/storage-manager.md#smlog-format): every line `SMGC: [<pid>] <text>`,
/// and the GC's tree dumps in the exact layout of `cleanup.SR.LogFilter`, so the simulator's logs
/// can be read by the same eyes and parsers as a host's `/var/log/SMlog`. There is no timestamp:
/// the storage layer has no time; a host that has one may prefix it when it copies the lines out.
///
/// Lines collect in `lines`; when `sink` is set each line (with a newline) is also written to it.
/// The tree-dump filter state is kept per SR uuid, as each SR has its own `LogFilter`.
public final class SMLog {
  /// What the dump prints for one node beyond `VHDNode` (LV state, raw, lazily loaded sizes).
  public struct NodeState: Equatable, Sendable {
    /// A raw (non-VHD) node: LVHD prints `[RAW]`, file SRs omit the physical size.
    public var raw: Bool
    /// Whether the physical size was loaded (LVHD loads it lazily; file SRs always have it).
    public var physicalSizeLoaded: Bool
    /// Whether the allocated size was loaded.
    public var allocatedSizeLoaded: Bool
    /// LVHD: the LV size.
    public var lvSize: UInt64
    /// LVHD: the LV is active.
    public var active: Bool
    /// LVHD: the LV is open (by tapdisk or the GC).
    public var open: Bool

    public init(
      raw: Bool = false, physicalSizeLoaded: Bool = true, allocatedSizeLoaded: Bool = true,
      lvSize: UInt64 = 0,
      active: Bool = false, open: Bool = false
    ) {
      self.raw = raw
      self.physicalSizeLoaded = physicalSizeLoaded
      self.allocatedSizeLoaded = allocatedSizeLoaded
      self.lvSize = lvSize
      self.active = active
      self.open = open
    }
  }

  /// Which node format the dump uses.
  public enum NodeFormat: Equatable, Sendable {
    /// `[*]<uuid8>(<virt>/<phys>/<alloc>)[RAW]` (FileVDI).
    case file
    /// `[*]<uuid8>[VHD|RAW](<virt>/<phys>/<alloc>/<lv>|<flags>)` (LVHDVDI).
    case lvhd

    /// The format for an SR kind.
    public init(_ kind: SRKind) {
      switch kind {
      case .file: self = .file
      case .lvm: self = .lvhd
      }
    }
  }

  /// `STR_TREE_INDENT`.
  public static let treeIndent = 4
  /// Indent of a tree's root line.
  public static let rootIndent = 8

  /// The syslog ident.
  public let ident: String
  /// The process id printed in every line.
  public var pid: Int
  /// Every line written so far, with its `SMGC: [pid] ` prefix.
  public private(set) var lines: [String] = []
  /// Optional extra destination for each line.
  public var sink: (any TextOutputStream)?
  /// Written before the ident, as syslog writes its time stamp (a host in simulated time sets it
  /// before each line); nil: nothing.
  public var timestamp: String?
  /// Per SR uuid: the root uuids and tree strings of the last dump, in dump order.
  private var previousTrees: [String: [(root: String, text: String)]] = [:]

  public init(pid: Int, ident: String = "SMGC", sink: (any TextOutputStream)? = nil) {
    self.pid = pid
    self.ident = ident
    self.sink = sink
  }

  /// Logs `text`, one SMlog line per line of it.
  public func log(_ text: String) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let full = (timestamp.map { $0 + " " } ?? "") + "\(ident): [\(pid)] \(line)"
      lines.append(full)
      sink?.write(full + "\n")
    }
  }

  /// Forgets the lines collected so far (not the dump state).
  public func removeAllLines() {
    lines.removeAll()
  }

  /// Dumps the SR's trees as `LogFilter.logState` does after a scan: the first dump of an SR shows
  /// every tree; later ones only trees whose text changed ("showing only VHD trees that changed:"),
  /// "no changes", and "Tree <root uuid> gone" for roots no longer present.
  ///
  /// SM's header line ends in a blank before the line break and its dump ends with an empty line;
  /// neither is reproduced.
  public func logTrees(
    srUUID: String, name: String, tree: VHDTree, format: NodeFormat, states: [String: NodeState] = [:]
  ) {
    var current: [(root: String, text: String)] = []
    for root in tree.roots {
      var text: [String] = []
      appendTree(root, indent: Self.rootIndent, tree: tree, format: format, states: states, into: &text)
      current.append((root, text.joined(separator: "\n")))
    }
    let previous = previousTrees[srUUID]
    var changes: [String] = []
    for (root, text) in current where previous?.first(where: { $0.root == root })?.text != text {
      changes.append(text)
    }
    for (root, _) in previous ?? [] where !current.contains(where: { $0.root == root }) {
      changes.append("Tree \(root) gone")
    }
    var header =
      "SR \(srUUID.prefix(4)) ('\(name)') (\(tree.nodes.count) VDIs in \(tree.roots.count) VHD trees):"
    if changes.isEmpty {
      header += " no changes"
    } else if previous != nil {
      header += " showing only VHD trees that changed:"
    }
    log(header)
    for block in changes { log(block) }
    previousTrees[srUUID] = current
  }

  /// Forgets an SR's dump state (a new GC process: the next dump shows every tree).
  public func resetTreeState(srUUID: String) {
    previousTrees[srUUID] = nil
  }

  private func appendTree(
    _ uuid: String, indent: Int, tree: VHDTree, format: NodeFormat, states: [String: NodeState],
    into text: inout [String]
  ) {
    guard let node = tree.node(uuid) else { return }
    let state = states[uuid] ?? NodeState()
    text.append(String(repeating: " ", count: indent) + Self.nodeString(node, format: format, state: state))
    for child in tree.children(of: uuid) {
      appendTree(
        child, indent: indent + Self.treeIndent, tree: tree, format: format, states: states, into: &text)
    }
  }

  /// One node as `VDI.__str__` prints it.
  public static func nodeString(_ node: VHDNode, format: NodeFormat, state: NodeState = NodeState()) -> String
  {
    let hidden = node.hidden ? "*" : ""
    let uuid8 = node.uuid.prefix(8)
    switch format {
    case .file:
      let virtual = node.virtualSize > 0 ? num2str(node.virtualSize) : "?"
      var physical =
        state.physicalSizeLoaded && node.physicalSize > 0 ? "/" + num2str(node.physicalSize) : "?"
      let allocated = state.allocatedSizeLoaded ? "/" + num2str(node.allocatedSize) : "?"
      var type = ""
      if state.raw {
        type = "[RAW]"
        physical = ""
      }
      return "\(hidden)\(uuid8)(\(virtual)\(physical)\(allocated))\(type)"
    case .lvhd:
      let type = state.raw ? "RAW" : "VHD"
      let physical = state.physicalSizeLoaded && node.physicalSize > 0 ? num2str(node.physicalSize) : ""
      let allocated = state.allocatedSizeLoaded ? num2str(node.allocatedSize) : ""
      let flags = (state.active ? "a" : "n") + (state.open ? "o" : "")
      return "\(hidden)\(uuid8)[\(type)](\(num2str(node.virtualSize))/\(physical)/\(allocated)/"
        + "\(num2str(state.lvSize))|\(flags))"
    }
  }

  /// `Util.num2str`: the largest binary unit (G, M, K) not above the value, 3 decimals rounded half
  /// to even on the exact value (as printf's "%.3f"); below 1 KiB the plain integer.
  public static func num2str(_ number: UInt64) -> String {
    for (suffix, shift) in [("G", 30), ("M", 20), ("K", 10)] as [(String, UInt64)] {
      let unit: UInt64 = 1 << shift
      guard number >= unit else { continue }
      var whole = number >> shift
      let scaled = (number & (unit - 1)) * 1000
      var thousandths = scaled >> shift
      let remainder = scaled & (unit - 1)
      if remainder > unit / 2 || (remainder == unit / 2 && thousandths % 2 == 1) { thousandths += 1 }
      if thousandths == 1000 {
        whole += 1
        thousandths = 0
      }
      let digits = String(thousandths)
      return "\(whole)." + String(repeating: "0", count: 3 - digits.count) + digits + suffix
    }
    return String(number)
  }
}
