// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Journals persisted on the SR's own storage (docs/storage-manager.md#journals), so that a restart
/// finds them: on a file SR one small file per entry in the SR folder (written under a temporary
/// name and renamed, so an entry is either whole or absent); on an LVM SR one 4 MiB LV per entry,
/// named `<kind>_<key>_<value>` and counted in the VG's used space. The SR owns one (`SR.journals`);
/// it keeps the folder's journal names between questions.
public final class SRJournals {
  unowned let sr: SR
  /// Journal entry names in the folder, with the storage's namespace generation they were read at.
  var nameCache: (generation: UInt64, names: [String])?

  init(sr: SR) { self.sr = sr }

  /// Every journal entry, in the folder's (sorted) name order.
  public func all() throws(SRError) -> [SRJournal] {
    var out: [SRJournal] = []
    for name in try names() {
      switch sr.kind {
      case .file:
        guard let (k, key) = SRJournal.parseFileName(name) else { continue }
        let path = VHDPath.join(sr.directory, name)
        let value = try SRError.engine(path) { () throws -> String in
          let device = try sr.storage.open(path, writable: false)
          var bytes = [UInt8](repeating: 0, count: Int(device.length))
          try bytes.withUnsafeMutableBytes { try device.read(into: $0, at: 0, kind: .data) }
          return String(decoding: bytes, as: UTF8.self)
        }
        out.append(SRJournal(kind: k, key: key, value: value))
      case .lvm:
        if let j = SRJournal.parseLVName(name) { out.append(j) }
      }
    }
    return out
  }

  /// The entries of one kind, by key.
  public func entries(_ kind: SRJournal.Kind) throws(SRError) -> [String: String] {
    var out: [String: String] = [:]
    for j in try all() where j.kind == kind { out[j.key] = j.value }
    return out
  }

  /// The value of the entry (kind, key), or nil.
  public func value(_ kind: SRJournal.Kind, key: String) throws(SRError) -> String? {
    try all().first { $0.kind == kind && $0.key == key }?.value
  }

  /// Writes the entry (kind, key) = value, replacing an older entry with the same kind and key.
  /// An LVM entry needs a free 4 MiB extent (SR_BACKEND_FAILURE_44 otherwise).
  func add(_ journalKind: SRJournal.Kind, key: String, value: String) throws(SRError) {
    try remove(journalKind, key: key)
    switch sr.kind {
    case .file:
      let final = VHDPath.join(sr.directory, SRJournal.fileName(kind: journalKind, key: key))
      let temporary = VHDPath.join(sr.directory, "tmp-" + SRJournal.fileName(kind: journalKind, key: key))
      try SRError.engine(final) {
        if sr.storage.exists(temporary) { try sr.storage.remove(temporary) }
        let device = try sr.storage.create(temporary)
        let bytes = Array(value.utf8)
        try bytes.withUnsafeBytes { try device.write($0, at: 0, kind: .data) }
        try device.flush()
        try sr.storage.rename(temporary, to: final)
      }
    case .lvm:
      let free = try sr.space.freeSpace()
      guard VHDSpace.journalLVSize <= free else {
        throw .insufficientSpace(needed: VHDSpace.journalLVSize, free: free)
      }
      let path = VHDPath.join(sr.directory, SRJournal(kind: journalKind, key: key, value: value).lvName)
      try SRError.engine(path) { _ = try sr.storage.create(path) }
    }
  }

  /// The GC loop's first act (docs/storage-manager.md#gc-loop, step 4): every `coalesce` marker
  /// goes — they mean nothing once the process that wrote them is gone — except those of coalesces
  /// still running (`running`, by child uuid; a host with several GC operations in flight passes
  /// them).
  public func dropCoalesceMarkers(except running: Set<String> = []) throws(SRError) {
    for key in try entries(.coalesce).keys.sorted() where !running.contains(key) {
      try remove(.coalesce, key: key)
    }
  }

  /// Removes the entry (kind, key) if there is one.
  func remove(_ journalKind: SRJournal.Kind, key: String) throws(SRError) {
    for name in try names() {
      let matches: Bool
      switch sr.kind {
      case .file:
        matches = SRJournal.parseFileName(name).map { $0.kind == journalKind && $0.key == key } ?? false
      case .lvm:
        matches = SRJournal.parseLVName(name).map { $0.kind == journalKind && $0.key == key } ?? false
      }
      guard matches else { continue }
      let path = VHDPath.join(sr.directory, name)
      try SRError.engine(path) { try sr.storage.remove(path) }
    }
  }

  /// Space the journals take: 4 MiB per LV on LVM, the entries' bytes on a file SR.
  func space() throws(SRError) -> UInt64 {
    var total: UInt64 = 0
    for name in try names() {
      switch sr.kind {
      case .file: total += try sr.space.fileSize(VHDPath.join(sr.directory, name))
      case .lvm: total += VHDSpace.journalLVSize
      }
    }
    return total
  }

  /// Names in the SR folder that are journal entries (file SR: also a half-written `tmp-journal-`),
  /// kept across namespace changes: the GC asks for them at every step, and the folder holds every
  /// node of the SR, so when the storage can say which names came or went only those are looked
  /// at (`Storage.namespaceChanges`).
  func names() throws(SRError) -> [String] {
    let generation = sr.storage.namespaceGeneration()
    if let generation, let cached = nameCache {
      if cached.generation == generation { return cached.names }
      if let names = updated(cached.names, since: cached.generation) {
        nameCache = (generation, names)
        return names
      }
    }
    let names = try sr.folderNames().filter(isJournalName)
    nameCache = generation.map { ($0, names) }
    return names
  }

  /// `names` with the folder's names changed since namespace generation `since` taken in; nil when
  /// the storage cannot tell or something below the folder changed (a listing then decides).
  private func updated(_ names: [String], since: UInt64) -> [String]? {
    guard let changed = sr.storage.namespaceChanges(since: since) else { return nil }
    var kept = Set(names)
    for path in changed {
      if VHDPath.isNested(path, below: sr.directory) { return nil }
      guard VHDPath.directory(path) == sr.directory else { continue }
      let name = VHDPath.basename(path)
      guard isJournalName(name) else { continue }
      if sr.storage.exists(path) { kept.insert(name) } else { kept.remove(name) }
    }
    return kept.sorted()
  }

  private func isJournalName(_ name: String) -> Bool {
    switch sr.kind {
    case .file: SRJournal.parseFileName(name) != nil || name.hasPrefix("tmp-journal-")
    // Node LVs (most of the folder) are not journals; skip them before parsing.
    case .lvm: !name.hasPrefix("VHD-") && SRJournal.parseLVName(name) != nil
    }
  }
}
