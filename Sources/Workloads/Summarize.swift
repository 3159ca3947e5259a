// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Runs a generator to exhaustion (or `limit` requests) into a summary, driving it the simplest way its
/// loop kind allows: closed loop, every request completes instantly (so `time` is the think time only);
/// open loop, each call starts from the previous arrival.
public func summarize(
  _ generator: inout some RequestGenerator, limit: Int = .max, addressSpaceSectors: UInt64? = nil
) -> WorkloadSummary {
  var summary = WorkloadSummary(addressSpaceSectors: addressSpaceSectors)
  var now = SimTime.zero
  var count = 0
  while count < limit, let r = generator.next(now: now) {
    summary.record(r)
    now = r.time
    count += 1
  }
  if let f = generator as? FragmentingGenerator {
    summary.blockCoverage = (f.coverage.touchedBlocks, f.coverage.fullBlocks, f.coverage.fullBlockFraction)
  }
  if let t = generator as? TraceReplay { summary.discards = t.discards }
  return summary
}
