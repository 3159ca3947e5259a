// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One step of a planned install: everything that does not depend on simulated time. The generator
/// replays these, adding what does depend on time (timer commits, and so which transaction each change
/// joins) as it goes.
enum InstallStep: Hashable, Sendable {
  /// A data write; `thinkNanoseconds` of CPU time precede it.
  case write(lba: UInt64, sectors: Int, flags: GuestRequest.Flags, thinkNanoseconds: Int64)
  /// Metadata blocks `touched[start..<start+count]` (indices into `metadataBlocks`) join the running
  /// transaction, and inode key `inode` (or -1) is now dirty in it.
  case touch(start: Int32, count: Int32, inode: Int32)
  /// File `file` now exists under its temporary name.
  case create(file: Int32)
  /// fsync of inode key `inode`.
  case fsync(inode: Int32)
  /// File `file` is renamed to its final name (its directory changes were touched just before).
  case rename(file: Int32)
}

/// The time-independent part of a package install: a file system laid out with ``Ext4LayoutModel``,
/// the files and their extents, and the ordered steps.
///
/// Planning everything up front keeps `next(now:)` allocation-free and lets a caller see every file's
/// final extents before the first request. Inode keys: the files' indices, then the database.
struct PackageInstallPlan {
  var layout: Ext4LayoutModel
  var files: [InstalledFile] = []
  var steps: [InstallStep] = []
  var touched: [Int32] = []
  /// Home block of each metadata index.
  var metadataBlocks: [Int] = []
  var metadataIndex: [Int: Int32] = [:]
  var databaseKey: Int32 = 0
  var inodeKeys: Int { Int(databaseKey) + 1 }
  let maximumRequestSectors: Int
  let cpuNanosecondsPerByte: Double

  init(spec: PackageInstallSpec, diskSectors: UInt64, streams: WorkloadStreams) throws(WorkloadError) {
    if let problem = spec.problem { throw WorkloadError(problem) }
    layout = try Ext4LayoutModel(diskSectors: diskSectors)
    maximumRequestSectors = spec.maximumRequestBytes / 512
    cpuNanosecondsPerByte = spec.cpuNanosecondsPerByte

    // The system before the install (no requests): top-level directories spread over the groups.
    var cache = try layout.makeDirectory(parentGroup: nil)
    var database = try layout.makeDirectory(parentGroup: nil)
    var boot = try layout.makeDirectory(parentGroup: nil)
    var bootEntries = try layout.makeDirectory(parentGroup: boot.group)
    var lib = try layout.makeDirectory(parentGroup: nil)
    var etc = try layout.makeDirectory(parentGroup: nil)
    let databaseInode = try layout.allocateInode(group: database.group)
    let databaseBlocks =
      (spec.databaseFileBytes + Ext4LayoutModel.blockBytes - 1) / Ext4LayoutModel.blockBytes
    let databaseExtents = try layout.allocateBlocks(databaseBlocks, goal: database.goal)
    database.goal = databaseExtents.last?.upperBound ?? database.goal
    _ = try layout.addEntry(to: &database)

    // Download: one sequential file in the cache.
    if spec.downloadBytes > 0 {
      _ = try createAndWrite(
        name: "cache/\(spec.name).rpm", bytes: spec.downloadBytes, in: &cache, inodeKey: -1, flags: [],
        think: false, record: false)
    }

    // The package's directories first (rpm's fsmMkdirs): a tree under its top directory.
    var directories: [Ext4LayoutModel.Directory] = []
    var paths: [String] = []
    for k in 0..<spec.directories {
      let parentIndex = k == 0 ? -1 : streams.operations.uniformInt(k)
      var newDirectory: Ext4LayoutModel.Directory
      if parentIndex < 0 {
        newDirectory = try mkdir(in: &lib)
        paths.append(spec.name)
      } else {
        newDirectory = try mkdir(in: &directories[parentIndex])
        paths.append(paths[parentIndex] + "/dir\(k)")
      }
      directories.append(newDirectory)
    }

    // Files grouped by directory, as rpm installs them in path order.
    var directoryOfFile = (0..<spec.files).map { _ in streams.addresses.uniformInt(spec.directories) }
    directoryOfFile.sort()
    let sizes = (0..<spec.files).map { _ in spec.fileSizes.sample(streams.sizes) }
    databaseKey = Int32(spec.files + spec.postInstall.count)

    let dataFlags: GuestRequest.Flags = spec.fsyncPolicy == .perFile ? [.sync] : []
    var entryBlocks: [Int] = []
    entryBlocks.reserveCapacity(spec.files)
    func writeFile(_ i: Int) throws(WorkloadError) {
      let d = directoryOfFile[i]
      entryBlocks.append(
        try createAndWrite(
          name: paths[d] + "/file\(i)", bytes: sizes[i], in: &directories[d], inodeKey: Int32(i),
          flags: dataFlags, think: true, record: true))
    }
    func renameFile(_ i: Int) {
      rename(file: i, entryBlock: entryBlocks[i], directory: directories[directoryOfFile[i]])
    }
    switch spec.fsyncPolicy {
    case .perFile:
      for i in 0..<spec.files {
        try writeFile(i)
        steps.append(.fsync(inode: Int32(i)))
        renameFile(i)
      }
    case .deferredBarrier:
      for i in 0..<spec.files { try writeFile(i) }
      for i in 0..<spec.files {
        steps.append(.fsync(inode: Int32(i)))
        renameFile(i)
      }
    case .none:
      for i in 0..<spec.files { try writeFile(i) }
      for i in 0..<spec.files { renameFile(i) }
    }

    // The database transaction(s): page overwrites at random pages, each batch then an fsync.
    let batches = max(spec.databaseFsyncs, 1)
    for b in 0..<batches {
      let writes = spec.databaseWrites * (b + 1) / batches - spec.databaseWrites * b / batches
      touch([layout.inodeTableBlock(inode: databaseInode)], inode: databaseKey)
      for _ in 0..<writes {
        let block = Self.block(of: streams.addresses.uniformInt(databaseBlocks), in: databaseExtents)
        steps.append(
          .write(
            lba: Ext4LayoutModel.lba(block: block), sectors: Ext4LayoutModel.sectorsPerBlock, flags: [],
            thinkNanoseconds: 0))
      }
      if spec.databaseFsyncs > 0 { steps.append(.fsync(inode: databaseKey)) }
    }

    // Post-install: each file to a temporary name, optionally fsynced, renamed over its final name.
    for (p, post) in spec.postInstall.enumerated() {
      let key = Int32(spec.files + p)
      let flags: GuestRequest.Flags = post.fsync ? [.sync] : []
      let entry: Int
      switch post.place {
      case .packageRoot:
        entry = try createAndWrite(
          name: paths[0] + "/" + post.name, bytes: post.bytes, in: &directories[0], inodeKey: key,
          flags: flags,
          think: false, record: true)
      case .boot:
        entry = try createAndWrite(
          name: "boot/" + post.name, bytes: post.bytes, in: &boot, inodeKey: key, flags: flags, think: false,
          record: true)
      case .bootEntries:
        entry = try createAndWrite(
          name: "boot/loader/entries/" + post.name, bytes: post.bytes, in: &bootEntries, inodeKey: key,
          flags: flags, think: false, record: true)
      case .etc:
        entry = try createAndWrite(
          name: "etc/" + post.name, bytes: post.bytes, in: &etc, inodeKey: key, flags: flags, think: false,
          record: true)
      }
      if post.fsync { steps.append(.fsync(inode: key)) }
      let directory =
        switch post.place {
        case .packageRoot: directories[0]
        case .boot: boot
        case .bootEntries: bootEntries
        case .etc: etc
        }
      rename(file: Int(key), entryBlock: entry, directory: directory)
    }
  }

  /// The disk block holding logical block `logical` of a file with `extents`.
  static func block(of logical: Int, in extents: [Range<Int>]) -> Int {
    var rest = logical
    for e in extents {
      if rest < e.count { return e.lowerBound + rest }
      rest -= e.count
    }
    preconditionFailure("logical block \(logical) is past the end of the file")
  }

  /// The metadata index of `block`, registering it on first use.
  private mutating func index(of block: Int) -> Int32 {
    if let i = metadataIndex[block] { return i }
    let i = Int32(metadataBlocks.count)
    metadataBlocks.append(block)
    metadataIndex[block] = i
    return i
  }

  private mutating func touch(_ blocks: [Int], inode: Int32) {
    let start = Int32(touched.count)
    for b in blocks { touched.append(index(of: b)) }
    steps.append(.touch(start: start, count: Int32(blocks.count), inode: inode))
  }

  /// A new directory under `parent`: its inode and entry block, the parent's entry and inode.
  private mutating func mkdir(in parent: inout Ext4LayoutModel.Directory) throws(WorkloadError)
    -> Ext4LayoutModel.Directory
  {
    let directory = try layout.makeDirectory(parentGroup: parent.group)
    let (entry, grew) = try layout.addEntry(to: &parent)
    var blocks = [
      layout.inodeTableBlock(inode: directory.inode), layout.inodeBitmapBlock(group: directory.group),
      layout.groupDescriptorBlock, directory.blocks[0],
      layout.blockBitmapBlock(group: layout.group(ofBlock: directory.blocks[0])), entry,
      layout.inodeTableBlock(inode: parent.inode),
    ]
    if grew { blocks.append(layout.blockBitmapBlock(group: layout.group(ofBlock: entry))) }
    touch(blocks, inode: -1)
    return directory
  }

  /// Creates a file under its temporary name in `directory`, allocates and writes its data; returns
  /// the block holding its directory entry.
  private mutating func createAndWrite(
    name: String, bytes: Int, in directory: inout Ext4LayoutModel.Directory, inodeKey: Int32,
    flags: GuestRequest.Flags, think: Bool, record: Bool
  ) throws(WorkloadError) -> Int {
    let (entry, grew) = try layout.addEntry(to: &directory)
    let inode = try layout.allocateInode(group: directory.group)
    let count = (bytes + Ext4LayoutModel.blockBytes - 1) / Ext4LayoutModel.blockBytes
    let extents = count == 0 ? [] : try layout.allocateBlocks(count, goal: directory.goal)
    if let last = extents.last { directory.goal = last.upperBound }
    var blocks = [
      layout.inodeTableBlock(inode: inode), layout.inodeBitmapBlock(group: layout.group(ofInode: inode)),
      layout.groupDescriptorBlock, entry, layout.inodeTableBlock(inode: directory.inode),
    ]
    if grew { blocks.append(layout.blockBitmapBlock(group: layout.group(ofBlock: entry))) }
    for e in extents {
      let bitmap = layout.blockBitmapBlock(group: layout.group(ofBlock: e.lowerBound))
      if !blocks.contains(bitmap) { blocks.append(bitmap) }
    }
    touch(blocks, inode: inodeKey)
    if record {
      files.append(
        InstalledFile(
          name: name, bytes: bytes, inode: inode, extents: extents.map(Ext4LayoutModel.lbaRange(blocks:)),
          isPostInstall: !think))
      steps.append(.create(file: Int32(files.count - 1)))
    }
    var thinkNanoseconds = think ? Int64((Double(bytes) * cpuNanosecondsPerByte).rounded()) : 0
    for e in extents {
      var lba = Ext4LayoutModel.lba(block: e.lowerBound)
      let end = Ext4LayoutModel.lba(block: e.upperBound)
      while lba < end {
        let sectors = Int(min(UInt64(maximumRequestSectors), end - lba))
        steps.append(.write(lba: lba, sectors: sectors, flags: flags, thinkNanoseconds: thinkNanoseconds))
        thinkNanoseconds = 0
        lba += UInt64(sectors)
      }
    }
    return entry
  }

  /// The rename: the entry's block (the final name replaces the longer temporary one in place), the
  /// directory's inode (mtime) and the file's inode (ctime).
  private mutating func rename(file: Int, entryBlock: Int, directory: Ext4LayoutModel.Directory) {
    touch(
      [
        entryBlock, layout.inodeTableBlock(inode: directory.inode),
        layout.inodeTableBlock(inode: files[file].inode),
      ],
      inode: Int32(file))
    steps.append(.rename(file: Int32(file)))
  }
}
