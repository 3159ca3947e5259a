// SPDX-License-Identifier: GPL-3.0-or-later

/// A validation case's requests split by what they did — read or write, and how many physical I/Os
/// the engine issued for it — with each side's count and latency. Both sides serve the same request
/// sequence through the same engine, so the counts agree; the latencies say which kind of request
/// the model gets wrong (a read of allocated data, an overwrite, a write into a hole, a new block).
public struct RequestClassComparison: Encodable, Sendable, Equatable {
  public var isWrite: Bool
  public var physicalIOs: Int
  public var requestsReal: Int
  public var requestsSimulated: Int
  public var meanRealUs: Double
  public var meanSimulatedUs: Double
  public var p99RealUs: Double
  public var p99SimulatedUs: Double

  enum CodingKeys: String, CodingKey {
    case isWrite = "is_write"
    case physicalIOs = "physical_ios"
    case requestsReal = "requests_real"
    case requestsSimulated = "requests_simulated"
    case meanRealUs = "mean_real_us"
    case meanSimulatedUs = "mean_simulated_us"
    case p99RealUs = "p99_real_us"
    case p99SimulatedUs = "p99_simulated_us"
  }

  /// One request as the comparison sees it.
  public struct Request: Sendable {
    public var isWrite: Bool
    public var physicalIOs: Int
    public var latencyNs: Double

    public init(isWrite: Bool, physicalIOs: Int, latencyNs: Double) {
      self.isWrite = isWrite
      self.physicalIOs = physicalIOs
      self.latencyNs = latencyNs
    }
  }

  /// Reads first, then writes, each by physical I/Os; a class only one side has shows zeros on the other.
  public static func compare(real: [Request], simulated: [Request]) -> [RequestClassComparison] {
    func groups(_ requests: [Request]) -> [Key: [Double]] {
      var g: [Key: [Double]] = [:]
      for r in requests { g[Key(isWrite: r.isWrite, ios: r.physicalIOs), default: []].append(r.latencyNs) }
      return g
    }
    let a = groups(real)
    let b = groups(simulated)
    let keys = Set(a.keys).union(b.keys).sorted {
      ($0.isWrite ? 1 : 0, $0.ios) < ($1.isWrite ? 1 : 0, $1.ios)
    }
    return keys.map { k in
      let r = (a[k] ?? []).sorted()
      let s = (b[k] ?? []).sorted()
      func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) / 1000 }
      return RequestClassComparison(
        isWrite: k.isWrite, physicalIOs: k.ios, requestsReal: r.count, requestsSimulated: s.count,
        meanRealUs: mean(r), meanSimulatedUs: mean(s), p99RealUs: CDFComparison.quantile(r, 0.99) / 1000,
        p99SimulatedUs: CDFComparison.quantile(s, 0.99) / 1000)
    }
  }

  struct Key: Hashable {
    var isWrite: Bool
    var ios: Int
  }
}
