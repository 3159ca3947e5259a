// SPDX-License-Identifier: GPL-3.0-or-later

/// `blkparse` default text output:
/// `8,0    3        1     0.000000000   697  G   W 223490 + 8 [kjournald]`
/// (device, CPU, sequence, seconds.nanoseconds, PID, action, RWBS, then sector + count [process]).
///
/// A request passes through several actions (Q queued, G get request, I inserted, D issued, C completed);
/// counting all would count it several times, so one action is chosen (default Q: what the guest asked
/// for, before merging). RWBS, as blkparse and the kernel's `blk_fill_rwbs` write it: an optional leading
/// `F` (pre-flush), the operation `R`, `W`, `D` (discard) or `N` (no data) — or nothing after that `F`,
/// the kernel's form of a flush — then any of `F` (FUA), `A` (read-ahead), `B` (barrier, older kernels:
/// a pre-flush and FUA together), `S` (sync), `M` (metadata), `E` (secure erase), `Z` (write zeroes).
/// A pre-flush with no data (`FN`, `F`, or `FWS` without a sector) becomes a flush request.
/// Lines starting with `#` (headers some output formats print) are skipped by ``TraceReplay``; blkparse's
/// closing summary ("CPU0 (8,0):", "Total (8,0):") ends the events (docs/simulation.md#trace-formats).
///
/// `deviceFilter` keeps only that device's lines ("MAJOR,MINOR"); ``lastDevice`` names the device of the last
/// request line parsed, so a scan can list a trace's devices.
struct BlkparseParser: TraceLineParser {
  let action: Substring
  let deviceFilter: String?
  var lastDevice = ""

  init(action: String, device: String? = nil) {
    self.action = action[...]
    deviceFilter = device
  }

  mutating func parse(_ line: Substring, file: String, lineNumber: Int) throws(TraceError) -> TraceRecord {
    func fail(_ expected: String) -> TraceError {
      TraceError(file: file, line: lineNumber, expected: expected, found: String(line))
    }
    let f = TraceText.fields(line)
    guard let first = f.first else { return .skip }
    if first.hasPrefix("CPU") || first == "Total" { return .end }
    let device = first.split(separator: ",", omittingEmptySubsequences: false)
    guard device.count == 2, UInt32(device[0]) != nil, UInt32(device[1]) != nil else {
      throw fail("a device \"MAJOR,MINOR\" as the first field")
    }
    guard f.count >= 6 else { throw fail("at least 6 fields: device, CPU, sequence, time, PID, action") }
    guard UInt32(f[1]) != nil else { throw fail("a CPU number in field 2") }
    guard UInt64(f[2]) != nil else { throw fail("a sequence number in field 3") }
    guard let ns = TraceText.secondsDotNanos(f[3]) else {
      throw fail("a time SECONDS.NANOSECONDS in field 4")
    }
    guard Int64(f[4]) != nil else { throw fail("a PID in field 5") }
    guard f[5] == action else { return .skip }
    if let deviceFilter, first != deviceFilter { return .skip }
    lastDevice = String(first)
    guard f.count >= 7 else { throw fail("an RWBS field after the action") }

    // RWBS
    var flags: GuestRequest.Flags = []
    var rwbs = f[6][...]
    if rwbs.first == "F" {
      flags.insert(.preflush)
      rwbs = rwbs.dropFirst()
    }
    enum Op { case read, write, discard, none }
    let op: Op
    let bad = "an RWBS field such as R, W, WS, WBS, FWFS, RM, RA, D, DE or N in field 7"
    switch rwbs.first {
    case "R": op = .read
    case "W": op = .write
    case "D": op = .discard
    case "N": op = .none
    case nil where flags.contains(.preflush), "F" where flags.contains(.preflush):
      op = .none  // the kernel's flush operation: "F" (or "FF" with a pre-flush)
    default: throw fail(bad)
    }
    for c in rwbs.dropFirst() {
      switch c {
      case "F": flags.insert(.fua)
      case "B": flags.formUnion([.preflush, .fua])
      case "S": flags.insert(.sync)
      case "M": flags.insert(.metadata)
      case "A", "E", "Z": break
      default: throw fail(bad)
      }
    }

    // sector + count, absent for data-less requests
    let hasExtent = f.count >= 8 && !f[7].hasPrefix("[")
    var lba: UInt64 = 0
    var sectors = 0
    if hasExtent {
      guard let s = UInt64(f[7]) else { throw fail("a sector number after the RWBS field") }
      guard f.count >= 10, f[8] == "+", let n = Int(f[9]), n >= 0 else {
        throw fail("\"SECTOR + COUNT\" after the RWBS field")
      }
      lba = s
      sectors = n
    }
    switch op {
    case .discard: return .discard
    case .none:
      return flags.contains(.preflush)
        ? .request(timeNanoseconds: ns, operation: .flush, lba: 0, sectors: 0, flags: flags) : .skip
    case .read, .write:
      if sectors == 0 {
        if op == .write && flags.contains(.preflush) {
          return .request(timeNanoseconds: ns, operation: .flush, lba: 0, sectors: 0, flags: flags)
        }
        if hasExtent { return .skip }  // a zero-length data request carries nothing to model
        throw fail("\"SECTOR + COUNT\" after the RWBS field")
      }
      return .request(
        timeNanoseconds: ns, operation: op == .read ? .read : .write, lba: lba, sectors: sectors, flags: flags
      )
    }
  }
}
