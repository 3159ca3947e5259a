// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation
import Testing
import Workloads

/// Traces as VM workloads: every RWBS form blkparse prints, the committed fixtures (a blkparse trace
/// with barriers written in blkparse's exact format, a fio iolog recorded with fio 3.33, an MSR-layout
/// CSV) counted exactly, format detection, device filters, address mapping and repetition.
@Suite struct TraceWorkloadTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/traces")
  static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

  static let blkparse = fixture("blkparse-barriers.txt")
  static let fio = fixture("fio-randrw-v3.iolog")
  static let msr = fixture("msr-web-2disk.csv")

  /// One queued request with the given RWBS field, as blkparse prints it.
  func parse(_ rwbs: String, extent: String = "100 + 8") throws -> [GuestRequest] {
    let line = "  8,0    1        1     0.000100000   697  Q \(rwbs) \(extent) [test]\n"
    let path = try writeTemporary(line, name: "rwbs-\(rwbs)-\(extent.count).txt")
    defer { removeTemporary(path) }
    return try TraceReplay.readAll(path: path, format: .blkparse)
  }

  /// Every RWBS form blktrace and the kernel print is read, with the flags it carries.
  @Test func rwbsWithData() throws {
    let forms: [(String, GuestRequest.Operation, GuestRequest.Flags)] = [
      ("R", .read, []), ("W", .write, []), ("WS", .write, [.sync]),
      ("WBS", .write, [.preflush, .fua, .sync]),
      ("WB", .write, [.preflush, .fua]), ("FWFS", .write, [.preflush, .fua, .sync]),
      ("RM", .read, [.metadata]), ("RA", .read, []), ("RAS", .read, [.sync]), ("WFS", .write, [.fua, .sync]),
      ("WSM", .write, [.sync, .metadata]), ("FWSM", .write, [.preflush, .sync, .metadata]),
      ("WZ", .write, []), ("RSM", .read, [.sync, .metadata]),
    ]
    for (rwbs, op, flags) in forms {
      let r = try parse(rwbs)
      let expected = GuestRequest(
        time: .microseconds(100), sequence: 0, operation: op, lba: 100, sectors: 8, flags: flags)
      #expect(r == [expected], "\(rwbs)")
    }
  }

  /// Data-less forms: pre-flushes and barriers become flushes, a plain `N` and discards carry nothing.
  @Test func rwbsWithoutData() throws {
    for (rwbs, flags) in [
      ("FN", GuestRequest.Flags.preflush), ("F", .preflush), ("FF", .preflush), ("FWS", [.preflush, .sync]),
      ("WBS", [.preflush, .fua, .sync]),
    ] {
      let r = try parse(rwbs, extent: "")
      #expect(r.map(\.operation) == [.flush], "\(rwbs)")
      #expect(r.first?.flags == flags, "\(rwbs)")
    }
    #expect(try parse("N", extent: "").isEmpty)
    #expect(try parse("D", extent: "9000 + 2048").isEmpty)
    #expect(try parse("DE", extent: "9000 + 2048").isEmpty)
    #expect(throws: TraceError.self) { try parse("X") }
    #expect(throws: TraceError.self) { try parse("WQ") }
  }

  /// The blkparse fixture: two devices, barriers, FUA, pre-flushes, read-ahead, discards, a `#` header
  /// and blkparse's trailing summary; Q lines only, counted exactly.
  @Test func blkparseFixtureCountsExactly() throws {
    var replay = try TraceReplay(path: Self.blkparse, format: .blkparse)
    let s = summarize(&replay)
    #expect(s.reads == 4)
    #expect(s.writes == 7)
    #expect(s.flushes == 3)
    #expect(s.requests == 14)
    #expect(s.discards == 2)
    let all = try TraceReplay.readAll(path: Self.blkparse, format: .blkparse)
    #expect(all.first { $0.lba == 223_498 }?.flags == [.preflush, .fua, .sync])  // WBS
    #expect(all.first { $0.lba == 5000 }?.flags == [.preflush, .fua, .sync])  // FWFS
    #expect(all.first { $0.lba == 8192 }?.flags == [.sync, .metadata])  // WSM
    let profile = try TraceProfile.scan(path: Self.blkparse, format: .blkparse)
    #expect(profile.devices.map(\.name) == ["8,0", "8,16"])
    #expect(profile.devices.map(\.requests) == [8, 6])
    #expect(profile.devices.map(\.endSector) == [223_634, 8208])
    var only = try TraceReplay(
      path: Self.blkparse, format: .blkparse, options: TraceReplayOptions(device: "8,16"))
    let s16 = summarize(&only)
    #expect([s16.reads, s16.writes, s16.flushes] == [Int]([3, 2, 1]))
  }

  /// fio's own log (recorded with fio 3.33): 57 reads, 43 writes, 18 fsyncs, one device.
  @Test func fioFixtureCountsExactly() throws {
    var replay = try TraceReplay(path: Self.fio, format: .fio)
    let s = summarize(&replay)
    #expect([s.reads, s.writes, s.flushes] == [Int]([57, 43, 18]))
    let profile = try TraceProfile.scan(path: Self.fio, format: .fio)
    #expect(profile.devices.map(\.name) == ["/dev/loop0"])
    #expect(profile.devices[0].endSector == 8_343_552 / 512)
    #expect(profile.devices[0].lastTime == .microseconds(50_936))
  }

  /// The MSR-layout CSV: two disks of host "web", counted per disk.
  @Test func msrFixtureCountsPerDisk() throws {
    let profile = try TraceProfile.scan(path: Self.msr, format: .msr)
    #expect(profile.devices.map(\.name) == ["web_0", "web_1"])
    #expect(profile.devices.map(\.requests) == [403, 197])
    #expect(profile.devices.map(\.endSector) == [536_662_016 / 512, 133_288_448 / 512])
    #expect(profile.devices[1].lastTime == .nanoseconds(1_201_844_000))
    var one = try TraceReplay(path: Self.msr, format: .msr, options: TraceReplayOptions(device: "web_1"))
    let s = summarize(&one)
    #expect([s.reads, s.writes] == [Int]([125, 72]))
  }

  @Test func formatIsDetectedFromContent() throws {
    #expect(try TraceFormat.detect(path: Self.blkparse) == .blkparse)
    #expect(try TraceFormat.detect(path: Self.fio) == .fio)
    #expect(try TraceFormat.detect(path: Self.msr) == .msr)
    let path = try writeTemporary("# nothing\nhello world\n", name: "undetectable.txt")
    defer { removeTemporary(path) }
    #expect(throws: TraceError.self) { try TraceFormat.detect(path: path) }
    do {
      _ = try TraceFormat.detect(path: path)
    } catch {
      #expect(error.line == 2)
    }
  }

  /// Wrap keeps every request on the disk; scale puts the highest sector at the end; an offset that
  /// does not fit is an error before anything runs.
  @Test func addressMapping() throws {
    var spec = try TraceWorkloadSpec.scanning(path: Self.msr)
    #expect(spec.format == .msr)
    spec.device = "web_0"
    let disk: UInt64 = 262_144  // 128 MiB, smaller than web_0's 512 MiB
    #expect(throws: TraceError.self) { try TraceWorkload(spec: spec, diskSectors: disk) }
    for mapping in [TraceWorkloadSpec.AddressMapping.wrap, .scale] {
      spec.mapping = mapping
      var w = try TraceWorkload(spec: spec, diskSectors: disk)
      var n = 0
      var highest: UInt64 = 0
      while let r = w.next(now: .zero) {
        #expect(r.endLBA <= disk)
        highest = max(highest, r.endLBA)
        n += 1
      }
      #expect(n == 403)
      if mapping == .scale { #expect(highest > disk - disk / 100) }
    }
  }

  /// A repeating trace renumbers its requests across passes and shifts each open-loop pass by the
  /// trace's span plus one mean gap; closed loop issues at `now`.
  @Test func repetition() throws {
    var spec = try TraceWorkloadSpec.scanning(path: Self.fio)
    spec.repeats = true
    var w = try TraceWorkload(spec: spec, diskSectors: 1 << 21)
    var requests: [GuestRequest] = []
    for _ in 0..<(118 * 2 + 1) {
      let next = w.next(now: .zero)
      requests.append(try #require(next))
    }
    #expect(requests.map(\.sequence) == Array(0..<(118 * 2 + 1)))
    let period = SimTime(nanoseconds: Int64((50_936_000.0 + 50_936_000.0 / 117).rounded()))
    #expect(requests[118].time == period + requests[0].time)
    #expect(w.passes == 3)
    spec.pacing = .closedLoop(ioDepth: 4)
    var closed = try TraceWorkload(spec: spec, diskSectors: 1 << 21)
    #expect(closed.loop == .closed(ioDepth: 4))
    #expect(closed.next(now: .seconds(7))?.time == .seconds(7))
    spec.repeats = false
    var once = try TraceWorkload(spec: spec, diskSectors: 1 << 21)
    var n = 0
    while once.next(now: .zero) != nil { n += 1 }
    #expect(n == 118)
  }
}
