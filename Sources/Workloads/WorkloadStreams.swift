// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The random streams of one generator, one per purpose.
///
/// Each stream's seed derives from (scenario, replication, "<name>/<purpose>"), so drawing more from one
/// purpose (say, a new flag probability) never shifts the sizes or addresses another purpose produced,
/// and two generators with different names are independent.
public struct WorkloadStreams {
  public let arrivals: RandomStream
  public let sizes: RandomStream
  public let operations: RandomStream
  public let flags: RandomStream
  public let addresses: RandomStream
  public let alignment: RandomStream

  public init(scenario: String, replication: Int, name: String) {
    func stream(_ purpose: String) -> RandomStream {
      RandomStream(scenario: scenario, replication: replication, stream: name + "/" + purpose)
    }
    arrivals = stream("arrivals")
    sizes = stream("sizes")
    operations = stream("operations")
    flags = stream("flags")
    addresses = stream("addresses")
    alignment = stream("alignment")
  }

  /// The streams a CLI run with a single seed uses: scenario "workload", replication `seed`.
  public init(seed: UInt64, name: String) {
    self.init(scenario: "workload", replication: Int(truncatingIfNeeded: seed), name: name)
  }
}
