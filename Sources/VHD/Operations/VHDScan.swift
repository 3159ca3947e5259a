// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `vhd-util scan` reports for one file (docs/vhd-format.md#vhd-util-scan).
public struct ScanEntry: Equatable, Sendable {
  /// The path as given.
  public var path: String
  /// The canonical path (what the tree matches parents against).
  public var resolvedPath: String
  /// Footer current size; for a raw file its size.
  public var capacity: UInt64
  /// File size.
  public var size: UInt64
  /// The hidden flag (blktap reports 1 for a raw file).
  public var hidden: UInt8
  /// The parent as blktap finds it: the canonical path of the first MacX/W2ku/W2ru locator that
  /// resolves; when none does, the path held by the locator `scan` falls back to, unresolved
  /// (`parentResolved` false). Nil for a disk without a parent.
  public var parentPath: String?
  public var parentResolved: Bool
  /// The header's parent name (differencing disks).
  public var parentName: String?
  /// A raw (non-VHD) parent, only present when parents are scanned too.
  public var isRaw: Bool
  /// What failed, in blktap's words ("opening file", "getting parent", ...); nil on success.
  public var error: String?
  /// blktap's negative errno for `scan-error=` (0 on success).
  public var errorCode: Int32
  /// The BATmap marker (`-M`); 0 without a BATmap, as libvhd answers.
  public var marker: UInt8 = 0

  public init(
    path: String, resolvedPath: String, capacity: UInt64 = 0, size: UInt64 = 0, hidden: UInt8 = 0,
    parentPath: String? = nil, parentResolved: Bool = false, parentName: String? = nil, isRaw: Bool = false,
    error: String? = nil, errorCode: Int32 = 0
  ) {
    self.path = path
    self.resolvedPath = resolvedPath
    self.capacity = capacity
    self.size = size
    self.hidden = hidden
    self.parentPath = parentPath
    self.parentResolved = parentResolved
    self.parentName = parentName
    self.isRaw = isRaw
    self.error = error
    self.errorCode = errorCode
  }
}

/// blktap's `vhd-util scan`: a fast metadata listing of many VHDs (footer, header and locators
/// only), tolerant of damaged files, with the one-line and `-p` tree renderings.
public enum VHDScan {
  /// Scans `paths` in order. With `includeParents` (`-a`) the parents found are scanned as well
  /// (appended once each; a parent whose header has a null parent UUID is a raw file). With
  /// `markers` (`-M`) the BATmap header is read too, for its marker.
  public static func scan(
    paths: [String], storage: any Storage, includeParents: Bool = false, markers: Bool = false
  ) -> [ScanEntry] {
    var entries: [ScanEntry] = []
    var queue = paths.map { (path: $0, raw: false) }
    var queued = Set(paths.map { storage.canonicalPath($0) })
    var next = 0
    while next < queue.count {
      let target = queue[next]
      next += 1
      let (entry, rawParent) = scanOne(target.path, raw: target.raw, markers: markers, storage: storage)
      entries.append(entry)
      if includeParents, entry.error == nil, entry.parentResolved, let parent = entry.parentPath,
        queued.insert(parent).inserted
      {
        queue.append((parent, rawParent))
      }
    }
    return entries
  }

  /// One line per entry: `vhd=NAME capacity=BYTES size=BYTES hidden=H parent=PARENT|none`, names
  /// and parents as basenames unless `verbose`; a failed entry prints
  /// `vhd=PATH scan-error=ERRNO error-message='TEXT'` (blktap prints the path as given there).
  /// With `markers` (`-M`) each image also shows `marker=M keyhash=` (keyhashes are not supported,
  /// so the field is empty, as blktap prints it for an image without one) before `parent=`.
  public static func lines(_ entries: [ScanEntry], verbose: Bool, markers: Bool = false) -> [String] {
    entries.map {
      line(
        $0, name: verbose ? $0.path : VHDPath.basename($0.path), verbose: verbose, annotation: "",
        markers: markers)
    }
  }

  /// The `-p` tree: failed entries first (blktap prints them while scanning), then images sorted by
  /// canonical name, hidden roots first, then the other roots, children indented 3 more spaces
  /// per level with visible children before hidden ones. A parent missing from the scan is
  /// annotated ` (not found in scan)`.
  public static func prettyTree(_ entries: [ScanEntry], verbose: Bool, markers: Bool = false) -> [String] {
    var out: [String] = []
    for e in entries where e.error != nil {
      out.append(line(e, name: e.path, verbose: verbose, annotation: "", markers: markers))
    }
    let tree = Tree(entries.filter { $0.error == nil })
    var printed = [Bool](repeating: false, count: tree.nodes.count)
    func emit(_ i: Int, depth: Int) {
      guard !printed[i] else { return }
      printed[i] = true
      let e = tree.nodes[i]
      let annotation = e.parentPath != nil && tree.parent[i] == nil ? " (not found in scan)" : ""
      let name = verbose ? e.resolvedPath : VHDPath.basename(e.resolvedPath)
      out.append(
        String(repeating: " ", count: depth * 3)
          + line(e, name: name, verbose: verbose, annotation: annotation, markers: markers))
      for c in tree.children[i] where tree.nodes[c].hidden == 0 { emit(c, depth: depth + 1) }
      for c in tree.children[i] where tree.nodes[c].hidden != 0 { emit(c, depth: depth + 1) }
    }
    for i in tree.nodes.indices where tree.parent[i] == nil && tree.nodes[i].hidden != 0 { emit(i, depth: 0) }
    for i in tree.nodes.indices where tree.parent[i] == nil { emit(i, depth: 0) }
    // Whatever is left hangs off a parent loop.
    for i in tree.nodes.indices { emit(i, depth: 0) }
    return out
  }

  /// The images (canonical paths, sorted) whose parent links come back to them: a scanned tree
  /// with a loop, which no chain can be opened on.
  public static func loops(_ entries: [ScanEntry]) -> [String] {
    var parent: [String: String] = [:]
    for e in entries where e.error == nil && e.parentResolved {
      if let p = e.parentPath { parent[e.resolvedPath] = p }
    }
    var looped: [String] = []
    for start in parent.keys.sorted() {
      var node = start
      for _ in 0...parent.count {
        guard let next = parent[node] else { break }
        if next == start {
          looped.append(start)
          break
        }
        node = next
      }
    }
    return looped
  }

  // MARK: rendering

  private static func line(
    _ e: ScanEntry, name: String, verbose: Bool, annotation: String, markers: Bool
  ) -> String {
    if let error = e.error {
      return "vhd=\(e.path) scan-error=\(e.errorCode) error-message='\(error)'"
    }
    let parent = e.parentPath.map { verbose ? $0 : VHDPath.basename($0) } ?? "none"
    let marker = markers ? "marker=\(e.marker) keyhash= " : ""
    return
      "vhd=\(name) capacity=\(e.capacity) size=\(e.size) hidden=\(e.hidden) \(marker)parent=\(parent)\(annotation)"
  }

  /// Images sorted by canonical name (byte order, like `strcmp`), each linked to its parent.
  private struct Tree {
    var nodes: [ScanEntry] = []
    var parent: [Int?] = []
    var children: [[Int]] = []

    init(_ entries: [ScanEntry]) {
      var seen = Set<String>()
      for e in entries where seen.insert(e.resolvedPath).inserted { nodes.append(e) }
      nodes.sort { $0.resolvedPath.utf8.lexicographicallyPrecedes($1.resolvedPath.utf8) }
      var index: [String: Int] = [:]
      for (i, e) in nodes.enumerated() { index[e.resolvedPath] = i }
      parent = nodes.map { e in e.parentPath.flatMap { index[$0] } }
      children = [[Int]](repeating: [], count: nodes.count)
      for (i, p) in parent.enumerated() { if let p { children[p].append(i) } }
    }
  }

  // MARK: scanning one file

  /// Scans one file. Returns the entry and whether its parent is raw.
  private static func scanOne(
    _ path: String, raw: Bool, markers: Bool, storage: any Storage
  ) -> (ScanEntry, Bool) {
    let resolved = storage.canonicalPath(path)
    var entry = ScanEntry(path: path, resolvedPath: resolved)
    func fail(_ message: String, _ code: Int32) -> (ScanEntry, Bool) {
      entry.error = message
      entry.errorCode = -code
      return (entry, false)
    }
    guard storage.exists(path) else { return fail("failure scanning target", ENOENT) }
    let device: any BlockDevice
    do {
      device = try storage.open(path, writable: false)
    } catch {
      return fail("opening file", EIO)
    }
    entry.size = device.length
    if raw {
      // blktap scans a raw parent as a file: capacity = size, always "hidden".
      entry.capacity = device.length
      entry.hidden = 1
      entry.isRaw = true
      return (entry, false)
    }
    guard let footer = VHDCheck.ParentLookup.readFooter(device) else { return fail("opening file", EINVAL) }
    entry.capacity = footer.currentSize
    entry.hidden = hidden(footer, device: device)
    guard footer.diskType.isSparse else { return (entry, false) }
    guard
      let bytes = VHDCheck.ParentLookup.read(
        device, DynamicDiskHeader.size, at: footer.dataOffset, kind: .header)
    else { return fail("opening file", EINVAL) }
    let h = DynamicDiskHeader(decoding: bytes)
    guard h.hasValidCookie, h.hasValidChecksum, h.headerVersion == 0x0001_0000 else {
      return fail("opening file", EINVAL)
    }
    let layout = BlktapLayout(maxTableEntries: h.maxTableEntries, tableOffset: h.tableOffset)
    if markers,
      let b = VHDCheck.ParentLookup.read(
        device, BATMapHeader.size, at: layout.batmapHeaderOffset, kind: .batmap)
    {
      let batmap = BATMapHeader(decoding: b)
      if batmap.hasValidCookie { entry.marker = batmap.marker }
    }
    guard footer.diskType == .differencing else { return (entry, false) }
    entry.parentName = VHDCheck.parentName(h)
    if let location = VHDCheck.ParentLookup.firstResolved(
      h, device: device, childPath: path, storage: storage)
    {
      entry.parentPath = location
      entry.parentResolved = true
    } else if let loc = VHDCheck.ParentLookup.fallbackLocator(h),
      let text = VHDCheck.ParentLookup.decodedPath(loc, device: device)
    {
      entry.parentPath = text
    } else {
      return fail("getting parent", EINVAL)
    }
    return (entry, h.parentUniqueID.isNull)
  }

  /// `vhd_hidden`: tap 0.1 and 1.1 keep the authoritative flag in the copy at offset 0
  /// (docs/vhd-format.md#hidden-flag).
  private static func hidden(_ f: HardDiskFooter, device: any BlockDevice) -> UInt8 {
    let legacy =
      VHDCheck.isTapCreator(f) && (f.creatorVersion == 0x0000_0001 || f.creatorVersion == 0x0001_0001)
    guard legacy, f.diskType.isSparse,
      let copy = VHDCheck.ParentLookup.read(device, HardDiskFooter.size, at: 0, kind: .footer)
    else { return f.hidden }
    return HardDiskFooter(decoding: copy).hidden
  }
}
