// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

extension ValidationCase {
  /// The case's figures from its real runs (one or more) and its one simulated run. With several real
  /// runs their requests are pooled: the percentiles, the demerit and the classes are those of the
  /// pooled sample, whose CDF estimates the machine's behaviour better than any one run's; the real
  /// IOPS is the runs' median, and the spread (``RealRunSpread``) says how far the runs differed.
  init(depth: Int, iodepth: Int, readFraction: Double, real: [ChainRunResult], simulated: ChainRunResult) {
    let realRequests = real.flatMap(\.requests)
    let realSorted = realRequests.map(\.latencyNs).sorted()
    let simSorted = simulated.requests.map(\.latencyNs).sorted()
    let realMean = realSorted.reduce(0, +) / Double(Swift.max(1, realSorted.count))
    let demerit = CDFComparison.demerit(real: realSorted, simulated: simSorted)
    let q = CDFComparison.quantile
    let (realInFlight, simulatedInFlight) = (
      ChainRunResult.inFlight(of: real), ChainRunResult.inFlight(of: [simulated])
    )
    self.init(
      depth: depth, iodepth: iodepth, readFraction: readFraction, requests: real.first?.requests.count ?? 0,
      iopsReal: RealRunSpread.median(real.map(\.iops)), iopsSimulated: simulated.iops,
      p50RealUs: q(realSorted, 0.5) / 1000, p50SimulatedUs: q(simSorted, 0.5) / 1000,
      p99RealUs: q(realSorted, 0.99) / 1000, p99SimulatedUs: q(simSorted, 0.99) / 1000,
      demeritUs: demerit / 1000, demeritPercent: 100 * demerit / realMean,
      perRequest: ValidationPerRequest(
        physicalIOsReal: Double(real.reduce(0) { $0 + $1.physicalIOs })
          / Double(Swift.max(1, realSorted.count)),
        physicalIOsSimulated: Double(simulated.physicalIOs) / Double(Swift.max(1, simSorted.count)),
        threadCPURealUs: 1e6 * real.reduce(0) { $0 + $1.threadBusySeconds }
          / Double(Swift.max(1, realSorted.count)),
        threadCPUSimulatedUs: 1e6 * simulated.threadBusySeconds / Double(Swift.max(1, simSorted.count)),
        threadOccupiedRealUs: 1e6 * real.reduce(0) { $0 + $1.threadOccupiedSeconds }
          / Double(Swift.max(1, realSorted.count)),
        submitRealUs: 1e6 * real.reduce(0) { $0 + $1.submitSeconds } / Double(Swift.max(1, realSorted.count)),
        threadOccupiedSimulatedUs: 1e6 * simulated.threadOccupiedSeconds
          / Double(Swift.max(1, simSorted.count)),
        submitSimulatedUs: 1e6 * simulated.submitSeconds / Double(Swift.max(1, simSorted.count)),
        hostDiskReal: HostDiskLoad(runs: real.map { ($0.hostDisk, $0.requests.count, $0.elapsedSeconds) }),
        ioUsReal: realInFlight.usPerIO, ioUsSimulated: simulatedInFlight.usPerIO,
        iosInFlightReal: realInFlight.meanInFlight, iosInFlightSimulated: simulatedInFlight.meanInFlight,
        completionsPerCollectReal: CollectionCounts(
          calls: real.reduce(0) { $0 + $1.collections.calls },
          completions: real.reduce(0) { $0 + $1.collections.completions }
        ).perCall,
        completionsPerCollectSimulated: simulated.collections.perCall),
      samples: ValidationSamples(
        realNs: realSorted, simulatedNs: simSorted,
        classes: RequestClassComparison.compare(real: realRequests, simulated: simulated.requests),
        realSpread: real.count > 1
          ? RealRunSpread(runs: real.map { .init(iops: $0.iops, latenciesNs: $0.requests.map(\.latencyNs)) })
          : nil))
  }
}
