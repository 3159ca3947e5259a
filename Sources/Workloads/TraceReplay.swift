// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How a trace is mapped onto the simulated disk and clock.
public struct TraceReplayOptions: Hashable, Sendable {
  /// blkparse: the action whose lines become requests (Q, G, I, D, C, …).
  public var action: String
  /// Trace time is multiplied by this: 2 replays at half speed, 0.5 at double (fio's
  /// `replay_time_scale`, as a factor instead of a percentage).
  public var timeScale: Double
  /// Trace sectors are multiplied by this (to fit a big production disk into a small simulated one, or
  /// to spread a small one out)…
  public var addressScale: Double
  /// …then shifted by this many sectors (fio's `replay_redirect` to a partition).
  public var addressOffset: Int64
  /// …then, when set, taken modulo this many sectors (a request that would run past the end moves back
  /// to end there), so any trace fits a smaller disk.
  public var wrapSectors: UInt64?
  /// Only this device's requests (blkparse "MAJOR,MINOR", fio the file name, MSR "HOSTNAME_DISK").
  public var device: String?

  public init(
    action: String = "Q", timeScale: Double = 1, addressScale: Double = 1, addressOffset: Int64 = 0,
    wrapSectors: UInt64? = nil, device: String? = nil
  ) {
    self.action = action
    self.timeScale = timeScale
    self.addressScale = addressScale
    self.addressOffset = addressOffset
    self.wrapSectors = wrapSectors
    self.device = device
  }
}

/// Replays a block trace file as an open-loop request stream, reading it line by line (traces run to
/// gigabytes; only the current line is held). Lines starting with `#` are comments in every format.
///
/// `nextRequest()` throws a ``TraceError`` for a malformed line. As a ``RequestGenerator`` it returns nil
/// at the first error and leaves it in ``error``, because the protocol's callers are event loops that
/// cannot throw; check ``error`` when the stream ends. Discards are not modelled and are counted in
/// ``discards``. Each line is decoded into a short-lived `String`, so replay allocates per line; a driver
/// that needs a strictly allocation-free loop can load the requests first with ``readAll(path:format:options:)``.
public struct TraceReplay: RequestGenerator {
  public let path: String
  public let format: TraceFormat
  public let options: TraceReplayOptions
  let reader: LineReader
  var parser: any TraceLineParser
  var finished = false
  /// Requests returned so far.
  public private(set) var issued = 0
  /// Discard/trim lines skipped.
  public private(set) var discards = 0
  /// The error that ended the stream early, if any.
  public private(set) var error: TraceError?

  public init(path: String, format: TraceFormat, options: TraceReplayOptions = TraceReplayOptions())
    throws(TraceError)
  {
    guard options.timeScale.isFinite, options.timeScale >= 0 else {
      throw TraceError(file: path, line: 0, expected: "time scale must be finite and not negative", found: "")
    }
    guard options.addressScale.isFinite, options.addressScale > 0 else {
      throw TraceError(file: path, line: 0, expected: "address scale must be positive and finite", found: "")
    }
    self.path = path
    self.format = format
    self.options = options
    reader = try LineReader(path: path)
    if let w = options.wrapSectors, w == 0 {
      throw TraceError(file: path, line: 0, expected: "a wrap size of at least one sector", found: "")
    }
    switch format {
    case .blkparse: parser = BlkparseParser(action: options.action, device: options.device)
    case .fio: parser = FioIologParser(device: options.device)
    case .msr: parser = MSRParser(device: options.device)
    }
  }

  public var loop: LoopKind { .open }

  /// The next request, or nil at the end of the trace.
  public mutating func nextRequest() throws(TraceError) -> GuestRequest? {
    while !finished {
      guard let line = try reader.nextLine() else {
        finished = true
        break
      }
      let number = reader.lineNumber
      if line.trimmingSpaces.hasPrefix("#") { continue }  // comments and headers, in every format
      switch try parser.parse(line, file: path, lineNumber: number) {
      case .skip: continue
      case .end: finished = true
      case .discard: discards += 1
      case .request(let ns, let op, let lba, let sectors, let flags):
        let time = options.timeScale == 1 ? ns : Int64((Double(ns) * options.timeScale).rounded())
        var mapped = lba
        if op != .flush {
          guard let m = map(lba, sectors: sectors) else {
            throw TraceError(
              file: path, line: number,
              expected: "an address that stays inside 0..<2^64 after scale and offset",
              found: String(line))
          }
          mapped = m
        }
        defer { issued += 1 }
        return GuestRequest(
          time: SimTime(nanoseconds: time), sequence: issued, operation: op, lba: mapped, sectors: sectors,
          flags: flags)
      }
    }
    return nil
  }

  /// Sector `lba` scaled, offset, then wrapped; nil when it leaves the 64-bit sector range.
  func map(_ lba: UInt64, sectors: Int) -> UInt64? {
    guard let shifted = scaleAndOffset(lba) else { return nil }
    guard let w = options.wrapSectors else { return shifted }
    let start = shifted % w
    let n = UInt64(sectors)
    return n <= w && start + n > w ? w - n : start
  }

  /// The device the last request came from (see ``TraceReplayOptions/device``).
  public var lastDevice: String { parser.lastDevice }

  private func scaleAndOffset(_ lba: UInt64) -> UInt64? {
    var scaled = lba
    if options.addressScale != 1 {
      let x = (Double(lba) * options.addressScale).rounded()
      guard x < 1.8e19 else { return nil }
      scaled = UInt64(x)
    }
    if options.addressOffset >= 0 {
      let (sum, overflow) = scaled.addingReportingOverflow(UInt64(options.addressOffset))
      return overflow ? nil : sum
    }
    let down = options.addressOffset.magnitude
    return scaled >= down ? scaled - down : nil
  }

  public mutating func next(now: SimTime) -> GuestRequest? {
    guard error == nil else { return nil }
    do {
      return try nextRequest()
    } catch {
      self.error = error
      return nil
    }
  }

  /// Every request of a trace, for small traces and tests.
  public static func readAll(
    path: String, format: TraceFormat, options: TraceReplayOptions = TraceReplayOptions()
  ) throws(TraceError) -> [GuestRequest] {
    var replay = try TraceReplay(path: path, format: format, options: options)
    var requests: [GuestRequest] = []
    while let r = try replay.nextRequest() { requests.append(r) }
    return requests
  }
}
