// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Testing
import Workloads

@Suite struct ReplayTests {
  func request(
    _ ns: Int64, _ seq: Int, _ op: GuestRequest.Operation, _ lba: UInt64, _ sectors: Int,
    _ flags: GuestRequest.Flags = []
  ) -> GuestRequest {
    GuestRequest(
      time: SimTime(nanoseconds: ns), sequence: seq, operation: op, lba: lba, sectors: sectors, flags: flags)
  }

  func replay(_ text: String, _ format: TraceFormat, _ options: TraceReplayOptions = TraceReplayOptions())
    throws -> [GuestRequest]
  {
    let path = try writeTemporary(text, name: "trace-\(format)-\(text.utf8.count).txt")
    defer { removeTemporary(path) }
    return try TraceReplay.readAll(path: path, format: format, options: options)
  }

  /// The error a trace gives, with the path replaced by "T" so tests can compare whole values.
  func error(_ text: String, _ format: TraceFormat) throws -> TraceError? {
    let path = try writeTemporary(text, name: "bad-\(format)-\(text.utf8.count).txt")
    defer { removeTemporary(path) }
    do {
      _ = try TraceReplay.readAll(path: path, format: format)
      return nil
    } catch {
      #expect(error.file == path)
      return TraceError(file: "T", line: error.line, expected: error.expected, found: error.found)
    }
  }

  static let blkparse = """
    8,0    3        1     0.000000000   697  Q   W 223490 + 8 [kjournald]
    8,0    3        2     0.000001500   697  G   W 223490 + 8 [kjournald]
    8,0    3        3     0.000004000   697  P   N [kjournald]
    8,0    3        4     0.000020000   697  C   W 223490 + 8 [0]
    8,0    1        5     0.100000000   120  Q  RM 1024 + 16 [ext4]
    8,0    1        6     0.200000000   120  Q FWS [jbd2/sda1-8]
    8,0    1        7     0.300000000   120  Q WFS 5000 + 8 [jbd2/sda1-8]
    8,0    1        8     0.400000000   120  Q   D 9000 + 2048 [fstrim]
    8,0    0        9     1.5   55  Q  RA 77 + 256 [cat]

    CPU0 (8,0):
     Reads Queued:           1,        4KiB\t Writes Queued:           0,        0KiB
    Total (8,0):
    """

  @Test func blkparseQueuedActions() throws {
    let requests = try replay(Self.blkparse, .blkparse)
    let expected = [
      request(0, 0, .write, 223_490, 8),
      request(100_000_000, 1, .read, 1024, 16, .metadata),
      request(200_000_000, 2, .flush, 0, 0, [.preflush, .sync]),
      request(300_000_000, 3, .write, 5000, 8, [.fua, .sync]),
      request(1_500_000_000, 4, .read, 77, 256),
    ]
    #expect(firstDifference(requests, expected) == nil)
  }

  @Test func blkparseOtherActionScaledAndShifted() throws {
    let options = TraceReplayOptions(action: "C", timeScale: 2, addressScale: 0.5, addressOffset: 100)
    let requests = try replay(Self.blkparse, .blkparse, options)
    #expect(firstDifference(requests, [request(40_000, 0, .write, 111_845, 8)]) == nil)
  }

  @Test func blkparseDiscardsAreCounted() throws {
    let path = try writeTemporary(Self.blkparse, name: "discards.txt")
    defer { removeTemporary(path) }
    var replay = try TraceReplay(path: path, format: .blkparse)
    var summary = WorkloadSummary()
    while let r = replay.next(now: .zero) { summary.record(r) }
    #expect(replay.error == nil)
    #expect(replay.discards == 1)
    #expect(summary.requests == 5)
    #expect(summary.flushes == 1)
  }

  @Test func blkparseMalformedLinesNameTheLine() throws {
    let good = "8,0 3 1 0.000000000 697 Q W 223490 + 8 [kjournald]\n"
    #expect(
      try error(good + "8,0 3 2 0.1 697 Q W 223490 x 8 [a]\n", .blkparse)
        == TraceError(
          file: "T", line: 2, expected: "\"SECTOR + COUNT\" after the RWBS field",
          found: "8,0 3 2 0.1 697 Q W 223490 x 8 [a]"))
    #expect(try error(good + good + "sda 3 2 0.1 697 Q W 1 + 8\n", .blkparse)?.line == 3)
    #expect(
      try error(good + "8,0 3 2 0.1x 697 Q W 1 + 8\n", .blkparse)?.expected
        == "a time SECONDS.NANOSECONDS in field 4")
    #expect(
      try error("8,0 3 2 0.1 697 Q X 1 + 8\n", .blkparse)?.expected
        == "an RWBS field such as R, W, WS, WBS, FWFS, RM, RA, D, DE or N in field 7")
  }

  @Test func fioVersion2() throws {
    let text = """
      fio version 2 iolog
      /dev/sdb add
      /dev/sdb open
      /dev/sdb write 0 4096
      /dev/sdb wait 1500 0
      /dev/sdb read 1048576 65536
      /dev/sdb sync 0 0
      /dev/sdb trim 4096 4096
      /dev/sdb write 1000 100
      /dev/sdb close
      """
    let expected = [
      request(0, 0, .write, 0, 8),
      request(1_500_000, 1, .read, 2048, 128),
      request(1_500_000, 2, .flush, 0, 0),
      request(1_500_000, 3, .write, 1, 2),  // bytes 1000..<1100 touch sectors 1 and 2
    ]
    #expect(firstDifference(try replay(text, .fio), expected) == nil)
  }

  @Test func fioVersion3() throws {
    let text = """
      fio version 3 iolog
      2 Nvme1n1 add
      872 Nvme1n1 open
      878 Nvme1n1 write 0 16384
      888 Nvme1n1 read 8192 4096
      900 Nvme1n1 datasync
      10001677 Nvme1n1 close
      """
    let expected = [
      request(878_000, 0, .write, 0, 32),
      request(888_000, 1, .read, 16, 8),
      request(900_000, 2, .flush, 0, 0),
    ]
    #expect(firstDifference(try replay(text, .fio), expected) == nil)
    let half = try replay(text, .fio, TraceReplayOptions(timeScale: 0.5))
    #expect(half.map(\.time.nanoseconds) == [439_000, 444_000, 450_000])
  }

  @Test func fioMalformedLines() throws {
    #expect(
      try error("fio version 4 iolog\n", .fio)
        == TraceError(
          file: "T", line: 1,
          expected: "\"fio version 2 iolog\" or \"fio version 3 iolog\" on the first line",
          found: "fio version 4 iolog"))
    #expect(
      try error("fio version 3 iolog\n1 f add\n2 f write 0\n", .fio)
        == TraceError(
          file: "T", line: 3, expected: "TIMESTAMP FILE ACTION [OFFSET LENGTH]", found: "2 f write 0"))
    #expect(
      try error("fio version 2 iolog\nf add\nf open\nf write 0 4096\nf erase 0 4096\n", .fio)?.line == 5)
    #expect(
      try error("fio version 3 iolog\nx f write 0 4096\n", .fio)?.expected
        == "a timestamp in microseconds as the first field")
  }

  @Test func msrCambridge() throws {
    let text = """
      Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime
      128166372003061629,hm,1,Read,3154685952,8192,1475
      128166372003061729,hm,1,Write,1048576,4096,230
      128166372013061629,hm,1,write,4096,512,99
      """
    let expected = [
      request(0, 0, .read, 6_161_496, 16),
      request(10_000, 1, .write, 2048, 8),
      request(1_000_000_000, 2, .write, 8, 1),
    ]
    #expect(firstDifference(try replay(text, .msr), expected) == nil)
  }

  @Test func msrMalformedLines() throws {
    let good = "128166372003061629,hm,1,Read,3154685952,8192,1475\n"
    #expect(
      try error(good + good + "128166372003061629,hm,1,Erase,0,8192,1\n", .msr)
        == TraceError(
          file: "T", line: 3, expected: "Read or Write in field 4",
          found: "128166372003061629,hm,1,Erase,0,8192,1"))
    #expect(try error(good + "1,2,3\n", .msr)?.line == 2)
    #expect(try error("hello,world\n", .msr)?.line == 1)
  }

  @Test func missingFileIsAnError() {
    #expect(throws: TraceError.self) {
      _ = try TraceReplay(path: "/nonexistent/trace.txt", format: .msr)
    }
  }
}

@Suite struct SummaryTests {
  @Test func countsHistogramsAndJSON() {
    var s = WorkloadSummary(addressSpaceSectors: 1600)
    s.record(GuestRequest(time: .zero, sequence: 0, operation: .read, lba: 0, sectors: 8))
    s.record(GuestRequest(time: .milliseconds(500), sequence: 1, operation: .write, lba: 1599, sectors: 1))
    s.record(GuestRequest(time: .seconds(2), sequence: 2, operation: .write, lba: 100, sectors: 24))
    s.record(GuestRequest(time: .seconds(1), sequence: 3, operation: .flush, lba: 0, sectors: 0))
    #expect(s.durationSeconds == 2)
    #expect(s.sizeHistogram.map(\.bytes) == [512, 4096, 8192])
    #expect(
      s.json
        == """
        {"address_histogram":{"bins":16,"counts":[1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,1],"span_sectors":1600},\
        "bytes_read":4096,"bytes_written":12800,"duration_seconds":2,"flushes":1,"reads":1,"requests":4,\
        "size_histogram":[{"bytes_at_least":512,"count":1},{"bytes_at_least":4096,"count":1},\
        {"bytes_at_least":8192,"count":1}],"writes":2}
        """)
  }

  @Test func growingAddressHistogramMergesBins() {
    var s = WorkloadSummary()
    #expect(s.addressSpanSectors == 1 << 21)
    s.record(GuestRequest(time: .zero, sequence: 0, operation: .read, lba: 0, sectors: 8))
    s.record(GuestRequest(time: .zero, sequence: 1, operation: .read, lba: 131_072, sectors: 8))  // bin 1
    s.record(GuestRequest(time: .zero, sequence: 2, operation: .read, lba: 1 << 22, sectors: 8))  // grows ×4
    #expect(s.addressSpanSectors == 1 << 23)
    #expect(s.addressCounts == [2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
  }

  @Test func fragmentingPresetReportsItsCoverage() throws {
    var g = try WorkloadPreset.fragmenting.makeGenerator(requests: 1000, seed: 1, diskSectors: 1 << 14)
    let s = summarize(&g, addressSpaceSectors: 1 << 14)
    #expect(s.blockCoverage?.touched == 4)
    #expect(s.json.contains("\"full_block_fraction\":"))
  }
}
