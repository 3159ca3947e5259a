// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing

@testable import VHD

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Helpers

/// SplitMix64 with the helpers the device tests draw from, so every run replays the same operations.
private struct DeviceTestRandom {
  var generator: SplitMix64

  init(state: UInt64) { generator = SplitMix64(seed: state) }

  mutating func next() -> UInt64 { generator.next() }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  mutating func percent(_ chance: Int) -> Bool { below(100) < chance }

  mutating func bytes(_ count: Int) -> [UInt8] {
    var out = zeros(count)
    out.withUnsafeMutableBytes { raw in
      var index = 0
      while index + 8 <= count {
        raw.storeBytes(of: next(), toByteOffset: index, as: UInt64.self)
        index += 8
      }
      var value = next()
      while index < count {
        raw[index] = UInt8(truncatingIfNeeded: value)
        value >>= 8
        index += 1
      }
    }
    return out
  }

  /// An offset below `limit`: uniform, sector-aligned, or just around a page/chunk boundary.
  mutating func offset(below limit: Int) -> Int {
    switch below(4) {
    case 0: return below(limit)
    case 1: return below(limit / 512) * 512
    default:
      let boundaries = [4096, 1 << 20, 2 << 20]
      let step = boundaries[below(boundaries.count)]
      let base = below(max(1, limit / step)) * step
      return max(0, min(limit - 1, base + below(1200) - 600))
    }
  }

  /// A length: mostly small or medium, sometimes larger than a 2 MiB block.
  mutating func length() -> Int {
    switch below(10) {
    case 0..<4: return 1 + below(700)
    case 4..<7: return 1 + below(20_000)
    case 7: return (1 + below(16)) * 4096
    case 8: return 1 + below(300_000)
    default: return 1 + below((2 << 20) + 9000)
    }
  }
}

/// The expected contents of a device: a flat byte array, plus, for metadata-only devices, which
/// sectors count as written data.
private struct Oracle {
  var bytes: [UInt8] = []
  var dataSectors: [Bool] = []

  mutating func grow(to count: Int) {
    if bytes.count < count { bytes += zeros(count - bytes.count) }
  }

  mutating func write(_ data: [UInt8], at offset: Int) {
    grow(to: offset + data.count)
    bytes.withUnsafeMutableBytes { target in
      data.withUnsafeBytes {
        (target.baseAddress! + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
      }
    }
    setSectors(offset, offset + data.count, whole: true, to: false)
  }

  mutating func zero(at offset: Int, count: Int) {
    grow(to: offset + count)
    bytes.withUnsafeMutableBytes { _ = memset($0.baseAddress! + offset, 0, count) }
    setSectors(offset, offset + count, whole: true, to: false)
  }

  /// A `.data` write on a metadata-only device: reads back as zeros, marks every touched sector.
  mutating func dataWrite(at offset: Int, count: Int) {
    zero(at: offset, count: count)
    setSectors(offset, offset + count, whole: false, to: true)
  }

  mutating func truncate(to count: Int) {
    if count < bytes.count {
      bytes.removeSubrange(count...)
      let keep = (count + 511) / 512
      if keep < dataSectors.count { dataSectors.removeSubrange(keep...) }
    } else {
      grow(to: count)
    }
  }

  /// Sets the sectors that `[from, to)` covers wholly (`whole`) or touches at all.
  private mutating func setSectors(_ from: Int, _ to: Int, whole: Bool, to value: Bool) {
    let first = whole ? (from + 511) / 512 : from / 512
    let last = whole ? to / 512 : (to + 511) / 512
    guard first < last else { return }
    if dataSectors.count < last {
      dataSectors.append(contentsOf: repeatElement(false, count: last - dataSectors.count))
    }
    for sector in first..<last { dataSectors[sector] = value }
  }

  var dataRanges: [Range<UInt64>] {
    var ranges: [Range<UInt64>] = []
    var sector = 0
    while sector < dataSectors.count {
      guard dataSectors[sector] else {
        sector += 1
        continue
      }
      let start = sector
      while sector < dataSectors.count && dataSectors[sector] { sector += 1 }
      ranges.append(UInt64(start * 512)..<min(UInt64(sector * 512), UInt64(bytes.count)))
    }
    return ranges
  }
}

/// `count` zero bytes, built with `memset` (fast in debug builds too).
private func zeros(_ count: Int) -> [UInt8] {
  [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
    if count > 0 { _ = memset(buffer.baseAddress!, 0, count) }
    initialized = count
  }
}

private func readAll(_ device: any BlockDevice, _ offset: Int = 0, _ count: Int? = nil) throws -> [UInt8] {
  let count = count ?? Int(device.length) - offset
  var buffer = zeros(count)
  if count > 0 { buffer.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0xCD, count) } }
  try buffer.withUnsafeMutableBytes { try device.read(into: $0, at: UInt64(offset), kind: .bat) }
  return buffer
}

private func write(_ device: any BlockDevice, _ bytes: [UInt8], at offset: Int, kind: IOKind = .bat) throws {
  try bytes.withUnsafeBytes { try device.write($0, at: UInt64(offset), kind: kind) }
}

/// The first index where `a` and `b` differ, nil when they are equal.
private func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
  a.count != b.count ? min(a.count, b.count) : firstDifference(a, b, from: 0)
}

/// The first index where `a` and `b[from..<from + a.count]` differ, nil when they match.
private func firstDifference(_ a: [UInt8], _ b: [UInt8], from: Int) -> Int? {
  if from + a.count > b.count { return max(0, b.count - from) }
  if a.isEmpty { return nil }
  let equal = a.withUnsafeBytes { x in
    b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress! + from, a.count) }
  }
  if equal == 0 { return nil }
  return a.indices.first { a[$0] != b[from + $0] }
}

/// Whether `bytes[range]` is all zero.
private func isZero(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
  firstDifference(zeros(range.count), bytes, from: range.lowerBound) == nil
}

/// Checks that every byte outside `regions` is zero and that the regions are sorted and disjoint.
private func expectZerosOutside(_ regions: [Range<UInt64>], _ bytes: [UInt8]) -> Bool {
  var position = 0
  for region in regions {
    let lower = Int(region.lowerBound)
    guard lower >= position, region.upperBound <= UInt64(bytes.count) else { return false }
    if !isZero(bytes, position..<lower) { return false }
    position = Int(region.upperBound)
  }
  return isZero(bytes, position..<bytes.count)
}

/// Runs a seeded random sequence of writes, zero-fills and truncates of random sizes and offsets
/// against `device` and an oracle, reading everything back after every step.
private func fuzz(
  _ device: any BlockDevice, seed: UInt64, steps: Int, limit: Int = 5 << 20,
  kinds: [IOKind] = [.bat, .bitmap]
) throws {
  var random = DeviceTestRandom(state: seed)
  var oracle = Oracle()
  for step in 0..<steps {
    let offset = random.offset(below: limit)
    let count = random.length()
    let kind = kinds[random.below(kinds.count)]
    let operation = random.below(100)
    let what: String
    if operation < 55 {
      let data = random.bytes(count)
      try write(device, data, at: offset, kind: kind)
      if kind == .data && device is MetadataOnlyDevice {
        oracle.dataWrite(at: offset, count: count)
      } else {
        oracle.write(data, at: offset)
      }
      what = "write \(kind) \(offset)+\(count)"
    } else if operation < 85 {
      try device.writeZeros(at: UInt64(offset), length: UInt64(count), kind: kind)
      oracle.zero(at: offset, count: count)
      what = "zeros \(offset)+\(count)"
    } else {
      let size = random.percent(30) ? offset / 4096 * 4096 : offset
      try device.truncate(to: UInt64(size))
      oracle.truncate(to: size)
      what = "truncate \(size)"
    }
    try #require(device.length == UInt64(oracle.bytes.count), "step \(step) (\(what)): length")
    let back = try readAll(device)
    let difference = firstDifference(back, oracle.bytes)
    try #require(difference == nil, "step \(step) (\(what)): first difference at \(difference ?? -1)")
    // An unaligned partial read.
    if !oracle.bytes.isEmpty {
      let from = random.below(oracle.bytes.count)
      let size = random.below(min(oracle.bytes.count - from, 70_000) + 1)
      let partial = try readAll(device, from, size)
      try #require(firstDifference(partial, oracle.bytes, from: from) == nil, "step \(step)")
    }
    if let metadata = device as? MetadataOnlyDevice {
      try #require(metadata.writtenDataRanges() == oracle.dataRanges, "step \(step) (\(what)): data ranges")
      let sectors = oracle.dataSectors.filter { $0 }.count
      try #require(metadata.writtenDataBytes == UInt64(sectors * 512), "step \(step): data bytes")
    }
    if step % 10 == 9 {
      let all = try device.dataRegions(in: 0..<UInt64.max)
      try #require(expectZerosOutside(all, oracle.bytes), "step \(step) (\(what)): data regions \(all)")
      let ends = [random.offset(below: limit * 2), random.offset(below: limit * 2)].sorted()
      let window = UInt64(ends[0])..<UInt64(ends[1])
      for region in try device.dataRegions(in: window) {
        try #require(window.contains(region.lowerBound) && region.upperBound <= window.upperBound)
        try #require(region.upperBound <= device.length)
      }
    }
  }
}

/// Expects `body` to throw a `DeviceError` with `code`.
private func expectDeviceError(
  _ code: DeviceError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  let error = #expect(throws: DeviceError.self, sourceLocation: sourceLocation) { try body() }
  #expect(error?.code == code, sourceLocation: sourceLocation)
}

/// Expects `body` to throw a `StorageError` with `code`.
private func expectStorageError(
  _ code: StorageError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  let error = #expect(throws: StorageError.self, sourceLocation: sourceLocation) { try body() }
  #expect(error?.code == code, sourceLocation: sourceLocation)
}

/// A fresh temporary folder, removed by `body`'s caller through `defer`.
private func temporaryFolder() throws -> String {
  let template = FileManager.default.temporaryDirectory.appendingPathComponent("vhdsim-devices-XXXXXX").path
  var bytes = Array(template.utf8CString)
  let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  try #require(made != nil)
  return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func removeFolder(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
}

// MARK: - Common device behaviour

@Suite struct DeviceTests {
  /// Every kind of device, fresh and writable.
  private static func makeDevices(in folder: String) throws -> [any BlockDevice] {
    [
      InMemoryDevice(name: "memory"),
      MetadataOnlyDevice(name: "metadata"),
      try SparseFileDevice.create(path: folder + "/common.img"),
      FaultInjectingDevice(InMemoryDevice(name: "wrapped")),
    ]
  }

  @Test("random operations read back byte-identically: in-memory", arguments: [1, 2, 3] as [UInt64])
  func fuzzInMemory(seed: UInt64) throws {
    let device = InMemoryDevice(name: "fuzz")
    try fuzz(device, seed: seed, steps: 300)
    try device.truncate(to: 0)
    #expect(device.allocatedBytes == 0)
  }

  @Test(
    "random metadata operations read back byte-identically: metadata-only", arguments: [4, 5, 6] as [UInt64])
  func fuzzMetadataOnly(seed: UInt64) throws {
    try fuzz(MetadataOnlyDevice(name: "fuzz"), seed: seed, steps: 300)
  }

  @Test(
    "random mixed data and metadata: metadata-only tracks written sectors", arguments: [7, 8, 9] as [UInt64])
  func fuzzMetadataOnlyWithData(seed: UInt64) throws {
    try fuzz(
      MetadataOnlyDevice(name: "fuzz"), seed: seed, steps: 300, kinds: [.data, .data, .footer, .bitmap])
  }

  @Test("random operations read back byte-identically: sparse file", arguments: [10, 11] as [UInt64])
  func fuzzSparseFile(seed: UInt64) throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    try fuzz(SparseFileDevice.create(path: folder + "/fuzz.img"), seed: seed, steps: 150)
  }

  @Test("random operations pass through an unarmed fault injector")
  func fuzzFaultInjectingPassThrough() throws {
    let device = FaultInjectingDevice(InMemoryDevice(name: "wrapped"))
    try fuzz(device, seed: 12, steps: 100)
    #expect(device.writesSeen == 100)
  }

  @Test("reading past the end is a short read; zero-length I/O is a no-op")
  func shortRead() throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    for device in try Self.makeDevices(in: folder) {
      try write(device, [UInt8](repeating: 7, count: 1000), at: 0)
      expectDeviceError(.shortRead) { _ = try readAll(device, 999, 2) }
      expectDeviceError(.shortRead) { _ = try readAll(device, 5000, 1) }
      #expect(try readAll(device, 0, 1000) == [UInt8](repeating: 7, count: 1000), "\(device.name)")
      #expect(try readAll(device, 1000, 0) == [])
      try write(device, [], at: 4000)
      try device.writeZeros(at: 4000, length: 0, kind: .data)
      #expect(device.length == 1000, "\(device.name)")
    }
  }

  @Test("read-only handles refuse every write and leave the bytes alone")
  func readOnly() throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    var patternSource = DeviceTestRandom(state: 99)
    let pattern = patternSource.bytes(10_000)
    let memory = InMemoryDevice(name: "ro")
    let metadata = MetadataOnlyDevice(name: "ro")
    let file = try SparseFileDevice.create(path: folder + "/ro.img")
    for device in [memory, metadata, file] as [any BlockDevice] { try write(device, pattern, at: 0) }
    let views: [any BlockDevice] = [
      memory.reopen(writable: false), metadata.reopen(writable: false),
      try SparseFileDevice.open(path: folder + "/ro.img", writable: false),
      FaultInjectingDevice(memory.reopen(writable: false)),
    ]
    for view in views {
      #expect(!view.isWritable)
      expectDeviceError(.readOnly) { try write(view, [1, 2, 3], at: 10) }
      expectDeviceError(.readOnly) { try write(view, [1, 2, 3], at: 20_000) }
      expectDeviceError(.readOnly) { try view.writeZeros(at: 0, length: 4096, kind: .data) }
      expectDeviceError(.readOnly) { try view.truncate(to: 10) }
      #expect(view.length == 10_000, "\(view.name)")
      #expect(try readAll(view) == pattern, "\(view.name)")
    }
    #expect(try readAll(file) == pattern)
    #expect(InMemoryDevice(name: "empty", writable: false).isWritable == false)
  }
}

// MARK: - In-memory device

@Suite struct InMemoryDeviceTests {
  @Test("handles share one backing; holes cost nothing; pages are freed and reused")
  func sharingAndAllocation() throws {
    let device = InMemoryDevice(name: "a")
    let view = device.reopen(writable: false)
    try device.writeZeros(at: 0, length: 64 << 20, kind: .data)
    #expect(device.length == 64 << 20)
    #expect(device.allocatedBytes == 0)
    #expect(try device.dataRegions(in: 0..<UInt64.max) == [])
    try write(device, [1], at: 5000)
    #expect(device.allocatedBytes == 4096)
    #expect(try view.bytes(at: 4999, count: 3) == [0, 1, 0])
    try write(device, [UInt8](repeating: 9, count: 8192), at: 4096 * 10 + 100)
    #expect(device.allocatedBytes == 4 * 4096)
    #expect(try view.dataRegions(in: 0..<UInt64.max) == [4096..<8192, 40960..<53248])
    #expect(try view.dataRegions(in: 6000..<41000) == [6000..<8192, 40960..<41000])
    // Whole pages dropped, partial pages zeroed.
    try device.writeZeros(at: 4096 * 10 + 50, length: 8192, kind: .data)
    #expect(device.allocatedBytes == 3 * 4096)
    #expect(try view.bytes(at: 40960, count: 12288).allSatisfy { $0 == 0 } == false)
    #expect(try view.bytes(at: 40960 + 50, count: 8192).allSatisfy { $0 == 0 })
    try device.truncate(to: 4096)
    #expect(device.allocatedBytes == 0)
    #expect(view.length == 4096)
    try device.truncate(to: 8192)
    #expect(try view.bytes(at: 0, count: 8192).allSatisfy { $0 == 0 })
  }
}

extension BlockDevice {
  /// `count` bytes at `offset`.
  fileprivate func bytes(at offset: Int, count: Int) throws -> [UInt8] {
    try readAll(self, offset, count)
  }
}

// MARK: - Metadata-only device

@Suite struct MetadataOnlyDeviceTests {
  @Test("data writes read back as zeros and show up exactly in writtenDataRanges")
  func dataWrites() throws {
    let device = MetadataOnlyDevice(name: "m")
    let block = [UInt8](repeating: 0xEE, count: 4096)
    try write(device, block, at: 3 * 512, kind: .data)
    try write(device, block, at: (2 << 20) - 2048, kind: .data)  // across a chunk boundary
    try write(device, [UInt8](repeating: 1, count: 2 << 20), at: 10 << 20, kind: .data)
    #expect(device.length == (12 << 20))
    #expect(try device.bytes(at: 0, count: Int(device.length)).allSatisfy { $0 == 0 })
    let expected: [Range<UInt64>] = [1536..<5632, (2 << 20) - 2048..<(2 << 20) + 2048, 10 << 20..<12 << 20]
    #expect(device.writtenDataRanges() == expected)
    #expect(device.writtenDataBytes == 4096 + 4096 + (2 << 20))
    #expect(try device.dataRegions(in: 0..<UInt64.max) == expected)
    #expect(device.metadataBytes == 0)
    // Rewriting the same sectors counts once; unaligned writes count whole sectors.
    try write(device, block, at: 3 * 512, kind: .data)
    try write(device, [1, 2, 3], at: 100_000, kind: .data)
    #expect(device.writtenDataBytes == 4096 + 4096 + (2 << 20) + 512)
    // A hole forgets wholly covered sectors only.
    try device.writeZeros(at: 1536 + 100, length: 2048, kind: .data)
    #expect(device.writtenDataRanges().first == 1536..<2048)
    #expect(device.writtenDataRanges()[1] == 3584..<5632)
  }

  @Test("a data write over stored metadata makes those bytes read as zero")
  func dataOverMetadata() throws {
    let device = MetadataOnlyDevice(name: "m")
    let footer = [UInt8](repeating: 0xF0, count: 512)
    let header = [UInt8](repeating: 0x4D, count: 1024)
    try write(device, footer, at: 0, kind: .footer)
    try write(device, header, at: 512, kind: .header)
    try write(device, footer, at: 8192, kind: .footer)
    #expect(device.metadataBytes == 2048)
    // The new block lands where the footer was: the footer vanishes, the bitmap before it stays.
    try write(device, [UInt8](repeating: 0xAB, count: 512), at: 7680, kind: .bitmap)
    try write(device, [UInt8](repeating: 0xDD, count: 2 << 20), at: 8192, kind: .data)
    #expect(try device.bytes(at: 8192, count: 512) == [UInt8](repeating: 0, count: 512))
    #expect(try device.bytes(at: 7680, count: 512) == [UInt8](repeating: 0xAB, count: 512))
    #expect(device.metadataBytes == 2048)
    // A partial data write over a header sector zeroes just its bytes.
    try write(device, [1, 2, 3, 4], at: 600, kind: .data)
    let back = try device.bytes(at: 512, count: 1024)
    #expect(back[0..<88].allSatisfy { $0 == 0x4D })
    #expect(back[88..<92].allSatisfy { $0 == 0 })
    #expect(back[92...].allSatisfy { $0 == 0x4D })
    // Reads mixing metadata and data: metadata bytes, zeros for data.
    let mixed = try device.bytes(at: 7000, count: 2000)
    #expect(mixed[0..<680].allSatisfy { $0 == 0 })
    #expect(mixed[680..<1192].allSatisfy { $0 == 0xAB })
    #expect(mixed[1192...].allSatisfy { $0 == 0 })
    // (Expected arrays are typed lets: array literals of computed ranges inside `#expect` can
    // compare unequal to equal values.)
    let blockEnd: UInt64 = 8192 + (2 << 20)
    let written: [Range<UInt64>] = [512..<1024, 8192..<blockEnd]
    let regions: [Range<UInt64>] = [0..<1536, 7680..<blockEnd]
    #expect(device.writtenDataRanges() == written)
    #expect(try device.dataRegions(in: 0..<UInt64.max) == regions)
    // Metadata wholly over a data sector takes it back.
    try write(device, footer, at: 8192 + 4096, kind: .footer)
    let split: [Range<UInt64>] = [8192..<12288, 12800..<blockEnd]
    #expect(Array(device.writtenDataRanges()[1...]) == split)
    #expect(try device.bytes(at: 12288, count: 512) == footer)
  }

  @Test("metadata of a terabyte-scale file costs memory per block, not per byte")
  func terabyteScale() throws {
    let device = MetadataOnlyDevice(name: "big")
    let bitmap = [UInt8](repeating: 0xFF, count: 512)
    let block: UInt64 = 2 << 20
    let stride = block + 512
    var position: UInt64 = 4 << 20
    for _ in 0..<2000 {
      try write(device, bitmap, at: Int(position), kind: .bitmap)
      try device.writeZeros(at: position + 512, length: block, kind: .data)
      try bitmap.withUnsafeBytes { try device.write($0, at: position + 512, kind: .data) }
      position += stride * 270  // spread the blocks over 1 TiB
    }
    #expect(device.length > 1 << 40)
    #expect(device.metadataBytes == 2000 * 512)
    #expect(device.writtenDataBytes == 2000 * 512)
    #expect(device.writtenDataRanges().count == 2000)
    #expect(try device.dataRegions(in: 0..<UInt64.max).count == 2000)
    try device.truncate(to: 1 << 30)
    #expect(device.writtenDataRanges().count < 2000)
    #expect(device.writtenDataRanges().allSatisfy { $0.upperBound <= 1 << 30 })
  }
}

// MARK: - Sparse file device

@Suite struct SparseFileDeviceTests {
  @Test("punching a hole really deallocates, and dataRegions finds the written extents")
  func holes() throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    let device = try SparseFileDevice.create(path: folder + "/holes.img")
    try write(device, [UInt8](repeating: 0xFF, count: 1 << 20), at: 0, kind: .data)
    try device.flush()
    let before = device.allocatedBytes
    #expect(before >= 1 << 20)
    try device.writeZeros(at: 0, length: 512 << 10, kind: .data)
    #expect(device.allocatedBytes <= before - (512 << 10))
    #expect(device.length == 1 << 20)
    #expect(try readAll(device, 0, 512 << 10).allSatisfy { $0 == 0 })
    #expect(try readAll(device, 512 << 10, 512 << 10).allSatisfy { $0 == 0xFF })
    // Extending by zero-fill adds a hole, not blocks.
    let allocated = device.allocatedBytes
    try device.writeZeros(at: 1 << 20, length: 8 << 20, kind: .data)
    #expect(device.length == 9 << 20)
    #expect(device.allocatedBytes == allocated)
    try write(device, [UInt8](repeating: 1, count: 4096), at: 4 << 20, kind: .data)
    let regions = try device.dataRegions(in: 0..<UInt64.max)
    #expect(regions.first { $0.contains(512 << 10) && $0.contains((1 << 20) - 1) } != nil)
    #expect(regions.first { $0.contains(4 << 20) && $0.contains((4 << 20) + 4095) } != nil)
    #expect(regions.reduce(0) { $0 + $1.count } < 2 << 20)
    // Exact on ext4, xfs and tmpfs (4 KiB allocation units). Expected arrays are typed lets:
    // array literals of computed ranges inside `#expect` can compare unequal to equal values.
    let extents: [Range<UInt64>] = [(512 << 10)..<(1 << 20), (4 << 20)..<(4 << 20) + 4096]
    #expect(regions == extents)
    let window: Range<UInt64> = (600 << 10)..<(700 << 10)
    #expect(try device.dataRegions(in: window) == [window])
    #expect(try device.dataRegions(in: (2 << 20)..<(3 << 20)) == [])
    #expect(try device.dataRegions(in: (8 << 20)..<(20 << 20)) == [])
  }

  @Test("open, create and close report errors with errno")
  func errors() throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    expectDeviceError(.system(ENOENT)) {
      _ = try SparseFileDevice.open(path: folder + "/none", writable: true)
    }
    let device = try SparseFileDevice.create(path: folder + "/a.img")
    expectDeviceError(.system(EEXIST)) { _ = try SparseFileDevice.create(path: folder + "/a.img") }
    try write(device, [1, 2, 3], at: 0)
    device.close()
    expectDeviceError(.system(EBADF)) { _ = try readAll(device, 0, 3) }
    expectDeviceError(.system(EBADF)) { try write(device, [1], at: 0) }
    let error = #expect(throws: DeviceError.self) {
      try readAll(SparseFileDevice.open(path: folder + "/a.img", writable: false), 2, 10)
    }
    #expect(error?.code == .shortRead)
    #expect(error?.device == folder + "/a.img")
    #expect(error?.offset == 3)
  }
}

// MARK: - Fault injection

@Suite struct FaultInjectingDeviceTests {
  @Test("the k-th write does not happen; it and every later write or flush throw; reads work")
  func crash() throws {
    let base = InMemoryDevice(name: "base")
    try write(base, [UInt8](repeating: 0x11, count: 4096), at: 0)
    let device = FaultInjectingDevice(base)
    try write(device, [UInt8](repeating: 0x22, count: 100), at: 0)  // not counted against the crash
    device.crashAfterWrites(3)
    try write(device, [UInt8](repeating: 0xAA, count: 1024), at: 0)
    try device.writeZeros(at: 1024, length: 512, kind: .data)
    #expect(device.writesSeen == 3)
    expectDeviceError(.injectedFault) { try write(device, [UInt8](repeating: 0xBB, count: 2048), at: 1024) }
    #expect(device.hasCrashed)
    #expect(device.writesSeen == 4)
    expectDeviceError(.injectedFault) { try write(device, [1], at: 0) }
    expectDeviceError(.injectedFault) { try device.writeZeros(at: 0, length: 10, kind: .data) }
    expectDeviceError(.injectedFault) { try device.truncate(to: 0) }
    expectDeviceError(.injectedFault) { try device.flush() }
    #expect(device.writesSeen == 4)
    let expected =
      [UInt8](repeating: 0xAA, count: 1024) + [UInt8](repeating: 0, count: 512)
      + [UInt8](repeating: 0x11, count: 2560)
    #expect(try readAll(device) == expected)
    #expect(try readAll(base) == expected)
  }

  @Test("a torn write keeps its first half rounded down to 512 bytes")
  func tornWrites() throws {
    func run(_ operation: (FaultInjectingDevice) throws -> Void) throws -> [UInt8] {
      let base = InMemoryDevice(name: "base")
      try write(base, [UInt8](repeating: 0x11, count: 4096), at: 0)
      let device = FaultInjectingDevice(base, crashAfterWrites: 1, tear: true)
      expectDeviceError(.injectedFault) { try operation(device) }
      expectDeviceError(.injectedFault) { try write(device, [1], at: 0) }
      #expect(device.writesSeen == 1)
      return try readAll(base)
    }
    let ones = [UInt8](repeating: 0x11, count: 4096)
    // 3000 bytes: half is 1500, rounded down to 1024.
    var expected = ones
    expected.replaceSubrange(100..<1124, with: repeatElement(0xCC, count: 1024))
    #expect(try run { try write($0, [UInt8](repeating: 0xCC, count: 3000), at: 100) } == expected)
    // 1000 bytes: half is 500, rounded down to nothing.
    #expect(try run { try write($0, [UInt8](repeating: 0xCC, count: 1000), at: 0) } == ones)
    // A zero-fill of 2048 bytes keeps 1024.
    expected = ones
    expected.replaceSubrange(512..<1536, with: repeatElement(0, count: 1024))
    #expect(try run { try $0.writeZeros(at: 512, length: 2048, kind: .data) } == expected)
    // A write past the end extends only as far as its surviving half.
    var extended = ones + [UInt8](repeating: 0, count: 1000)
    extended += [UInt8](repeating: 0xCC, count: 1536)
    #expect(try run { try write($0, [UInt8](repeating: 0xCC, count: 3072), at: 5096) } == extended)
    // A torn truncate does not happen.
    #expect(try run { try $0.truncate(to: 10) } == ones)
  }

  @Test("arming counts from the current write; disarm cancels")
  func arming() throws {
    let device = FaultInjectingDevice(InMemoryDevice(name: "base"))
    for index in 0..<5 { try write(device, [UInt8(index)], at: index) }
    device.crashAfterWrites(2)
    device.disarm()
    for index in 0..<5 { try write(device, [UInt8(index)], at: index) }
    #expect(device.writesSeen == 10)
    device.crashAfterWrites(1)
    expectDeviceError(.injectedFault) { try device.truncate(to: 0) }
    #expect(device.length == 5)
    #expect(device.name == "base")
  }
}

// MARK: - Storages

/// The storage semantics both storages share, run against `storage` rooted at `root`.
private func exerciseStorage(_ storage: any Storage, root: String) throws {
  let a = root + "/a.vhd"
  let b = root + "/b.vhd"
  #expect(!storage.exists(a))
  expectStorageError(.notFound) { _ = try storage.open(a, writable: false) }
  expectStorageError(.notFound) { try storage.remove(a) }
  expectStorageError(.notFound) { try storage.rename(a, to: b) }
  expectStorageError(.notFound) { _ = try storage.modificationTime(a) }

  let device = try storage.create(a)
  #expect(device.isWritable)
  #expect(device.length == 0)
  #expect(storage.exists(a))
  expectStorageError(.exists) { _ = try storage.create(a) }
  try write(device, [1, 2, 3, 4], at: 0)

  let reader = try storage.open(a, writable: false)
  #expect(!reader.isWritable)
  #expect(try readAll(reader) == [1, 2, 3, 4])
  expectDeviceError(.readOnly) { try write(reader, [9], at: 0) }
  let writer = try storage.open(a, writable: true)
  try write(writer, [5], at: 4)
  #expect(try readAll(reader) == [1, 2, 3, 4, 5])

  // Rename moves the bytes and replaces the target.
  let other = try storage.create(b)
  try write(other, [7, 7], at: 0)
  try storage.rename(a, to: b)
  #expect(!storage.exists(a))
  #expect(try readAll(storage.open(b, writable: false)) == [1, 2, 3, 4, 5])
  try storage.rename(b, to: a)

  _ = try storage.create(root + "/c.vhd")
  _ = try storage.create(root + "/0.vhd")
  #expect(try storage.list(directory: root) == ["0.vhd", "a.vhd", "c.vhd"])
  #expect(try storage.list(directory: root + "/") == ["0.vhd", "a.vhd", "c.vhd"])

  try storage.remove(root + "/c.vhd")
  #expect(!storage.exists(root + "/c.vhd"))
  #expect(try storage.list(directory: root) == ["0.vhd", "a.vhd"])
  // Open handles outlive the name, as with an unlinked file.
  try storage.remove(a)
  #expect(try readAll(reader) == [1, 2, 3, 4, 5])
  #expect(storage.canonicalPath(root + "/./x/../0.vhd") == storage.canonicalPath(root + "/0.vhd"))
  #expect(storage.canonicalPath(root + "//0.vhd") == storage.canonicalPath(root + "/0.vhd"))
}

@Suite struct StorageTests {
  @Test("lexical path normalisation")
  func normalisation() {
    #expect(PathNormalizer.normalize("a/../b//c/./d") == "/b/c/d")
    #expect(PathNormalizer.normalize("../../x") == "/x")
    #expect(PathNormalizer.normalize("/") == "/")
    #expect(PathNormalizer.normalize("") == "/")
    #expect(PathNormalizer.normalize("/a/b/..") == "/a")
    #expect(PathNormalizer.normalize("c", relativeTo: "/work/sr/") == "/work/sr/c")
    #expect(PathNormalizer.normalize("../c", relativeTo: "/work/sr") == "/work/c")
    #expect(PathNormalizer.split("/a/b.vhd") == ("/a", "b.vhd"))
    #expect(PathNormalizer.split("/b.vhd") == ("/", "b.vhd"))
  }

  @Test("the normal-form fast path agrees with the full normalisation")
  func normalFormFastPath() {
    #expect(PathNormalizer.isNormalized("/"))
    #expect(PathNormalizer.isNormalized("/sr/VHD-1"))
    #expect(PathNormalizer.isNormalized("/a/.../b.c"))
    for bad in ["", "a", "/a/", "//a", "/a//b", "/.", "/a/.", "/a/./b", "/..", "/a/../b", "/a/.."] {
      #expect(!PathNormalizer.isNormalized(bad), "\(bad)")
    }
    // Every path over a small alphabet: the fast path says "normal" exactly when normalising
    // leaves the path unchanged.
    let alphabet: [Character] = ["/", ".", "a"]
    var paths = [""]
    var disagreements: [String] = []
    for _ in 0..<6 {
      paths = paths.flatMap { p in alphabet.map { p + String($0) } }
      for p in paths where PathNormalizer.isNormalized(p) != (PathNormalizer.normalize(p) == p) {
        disagreements.append(p)
      }
    }
    #expect(disagreements.isEmpty, "first: \(disagreements.first ?? "")")
  }

  @Test("normalising by bytes agrees with normalising by characters")
  func normaliseByBytes() {
    func reference(_ path: String, _ base: String) -> String {
      PathNormalizer.normalizeByCharacters(path.hasPrefix("/") ? path : base + "/" + path)
    }
    // Every path of up to five symbols, ASCII or not: "/\u{301}" is one Character that is not "/".
    let alphabet = ["/", ".", "a", "é", "\u{301}"]
    var paths = [""]
    var checked = 0
    for _ in 0..<5 {
      paths = paths.flatMap { p in alphabet.map { p + $0 } }
      for p in paths {
        for base in ["/", "/sr/x", "/sr/.."] {
          #expect(PathNormalizer.normalize(p, relativeTo: base) == reference(p, base), "\(p) in \(base)")
          checked += 1
        }
      }
    }
    #expect(checked == 3 * (5 + 25 + 125 + 625 + 3125))
  }

  @Test("MemoryStorage semantics", arguments: [MemoryStorage.Flavour.inMemory, .metadataOnly])
  func memoryStorage(flavour: MemoryStorage.Flavour) throws {
    let storage = MemoryStorage(flavour: flavour)
    try exerciseStorage(storage, root: "/sr")
    #expect(storage.allPaths == ["/sr/0.vhd"])
    #expect(storage.exists("sr/0.vhd"))
    #expect(storage.exists("/x/../sr//0.vhd"))
    #expect(storage.canonicalPath("sr/./x/../0.vhd") == "/sr/0.vhd")
    #expect(storage.canonicalPath("../../y") == "/y")
    let device = try storage.open("/sr/0.vhd", writable: false)
    #expect(device.name == "/sr/0.vhd")
    switch flavour {
    case .inMemory: #expect(device is InMemoryDevice)
    case .metadataOnly: #expect(device is MetadataOnlyDevice)
    }
    // Folders are implicit.
    _ = try storage.create("/sr/sub/deep/x.vhd")
    #expect(try storage.list(directory: "/") == ["sr"])
    #expect(try storage.list(directory: "/sr") == ["0.vhd", "sub"])
    #expect(try storage.list(directory: "/sr/sub") == ["deep"])
    #expect(try storage.list(directory: "/nothing") == [])
    expectStorageError(.system(ENOTDIR)) { _ = try storage.list(directory: "/sr/0.vhd") }
    expectStorageError(.exists) { _ = try storage.create("/sr/sub") }
    expectStorageError(.system(ENOTDIR)) { _ = try storage.create("/sr/0.vhd/inside") }
  }

  @Test("MemoryStorage modification times come from the logical clock")
  func memoryClock() throws {
    let storage = MemoryStorage()
    #expect(storage.now == CreationStamp.fixedUnixTime)
    storage.now = 100
    let device = try storage.create("/a")
    #expect(try storage.modificationTime("/a") == 100)
    storage.now = 200
    try write(device, [1], at: 0)
    #expect(try storage.modificationTime("/a") == 200)
    storage.now = 300
    let reader = try storage.open("/a", writable: false)
    _ = try readAll(reader)
    _ = try reader.dataRegions(in: 0..<10)
    try device.flush()
    #expect(try storage.modificationTime("/a") == 200)
    try storage.open("a", writable: true).writeZeros(at: 0, length: 1, kind: .data)
    #expect(try storage.modificationTime("/a") == 300)
    storage.now = 400
    try device.truncate(to: 0)
    #expect(try storage.modificationTime("/a") == 400)
    storage.now = 500
    try storage.rename("/a", to: "/b")
    #expect(try storage.modificationTime("/b") == 400)
    // Handles opened before the rename still stamp the file.
    try write(device, [2], at: 0)
    #expect(try storage.modificationTime("/b") == 500)
    let metadata = MemoryStorage(flavour: .metadataOnly, now: 7)
    let file = try metadata.create("/m")
    metadata.now = 8
    try write(file, [1], at: 0, kind: .data)
    #expect(try metadata.modificationTime("/m") == 8)
    #expect((try metadata.open("/m", writable: false) as? MetadataOnlyDevice)?.writtenDataBytes == 512)
  }

  @Test("FileStorage semantics on the real file system")
  func fileStorage() throws {
    let folder = try temporaryFolder()
    defer { removeFolder(folder) }
    let storage = FileStorage()
    try exerciseStorage(storage, root: folder)
    let real = storage.canonicalPath(folder)
    #expect(real == URL(fileURLWithPath: folder).resolvingSymlinksInPath().path)
    #expect(storage.canonicalPath(folder + "/./sub/../0.vhd") == real + "/0.vhd")
    // Paths that do not exist yet: the existing ancestor resolved, the rest lexical.
    #expect(storage.canonicalPath(folder + "/new/./x/../y.vhd") == real + "/new/y.vhd")
    #expect(storage.canonicalPath("/nonexistent-vhdsim/a/../b") == "/nonexistent-vhdsim/b")
    let cwd = FileManager.default.currentDirectoryPath
    #expect(
      storage.canonicalPath("no-such-vhdsim-file") == storage.canonicalPath(cwd) + "/no-such-vhdsim-file")

    let path = folder + "/0.vhd"
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSince1970: 1_600_000_000)], ofItemAtPath: path)
    #expect(try storage.modificationTime(path) == 1_600_000_000)
    let device = try storage.open(path, writable: true)
    #expect(device is SparseFileDevice)
    try write(device, [1], at: 0)
    #expect(try storage.modificationTime(path) > 1_600_000_000)

    expectStorageError(.notFound) { _ = try storage.list(directory: folder + "/missing") }
    expectStorageError(.notFound) { _ = try storage.create(folder + "/missing/x.vhd") }
    try FileManager.default.createDirectory(atPath: folder + "/dir", withIntermediateDirectories: false)
    #expect(try storage.list(directory: folder) == ["0.vhd", "dir"])
    #expect(try storage.list(directory: folder + "/dir") == [])
  }
}
