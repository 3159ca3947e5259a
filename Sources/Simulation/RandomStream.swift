// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Process-wide GSL setup, run once on first use (Swift initialises globals lazily and thread-safely);
/// every initialiser that touches GSL reads it first.
/// Turns GSL's error handler off, since the default prints and calls `abort()`; the kernel checks return
/// values instead. Its value says whether the shim's view of mt19937's private state matches this libgsl,
/// which full 64-bit seeding needs (see shim.h).
let gslFullSeeding: Bool = {
  _ = gsl_set_error_handler_off()
  guard let a = gsl_rng_alloc(cgsl_rng_mt19937()), let b = gsl_rng_alloc(cgsl_rng_mt19937()) else {
    return false
  }
  defer {
    gsl_rng_free(a)
    gsl_rng_free(b)
  }
  guard cgsl_mt19937_layout_plausible(a) != 0 else { return false }
  let probe: UInt32 = 0x9E37_79B9
  gsl_rng_set(a, UInt(probe))
  cgsl_mt19937_init_genrand(b, probe)
  // 2 000 draws cross the 624-word regeneration boundary three times.
  for _ in 0..<2_000 where gsl_rng_get(a) != gsl_rng_get(b) {
    return false
  }
  return true
}()

/// A reproducible stream of random variates: GSL's MT19937 plus the distributions the models use.
///
/// One stream per purpose ("arrivals", "service", "gc") and per replication, each seeded from
/// `seed(scenario:replication:stream:)`, so adding a stream or running replications on other threads or
/// shards never changes any other stream's numbers.
///
/// Not `Sendable`: a GSL generator is mutable state without locking. Create one per replication, in the
/// task that runs it.
public final class RandomStream {
  @usableFromInline let rng: UnsafeMutablePointer<gsl_rng>
  /// The seed this stream started from.
  public let seed: UInt64

  /// True when seeds use all 64 bits (MT's `init_by_array` with the seed's two 32-bit halves); false if
  /// this libgsl's mt19937 state did not match the expected layout and seeds are folded to 32 bits for
  /// `gsl_rng_set`.
  public static var seedsUseAll64Bits: Bool { gslFullSeeding }

  /// A stream started from `seed`.
  public init(seed: UInt64) {
    rng = Self.allocate()
    self.seed = seed
    let low = UInt32(truncatingIfNeeded: seed)
    let high = UInt32(truncatingIfNeeded: seed >> 32)
    if gslFullSeeding {
      let key = [low, high]
      cgsl_mt19937_init_by_array(rng, key, key.count)
    } else {
      gsl_rng_set(rng, UInt(low ^ high))
    }
  }

  /// A stream started with MT's reference `init_by_array(key)`, e.g. to check this generator against the
  /// published MT19937 test vectors. `seed` reads 0.
  public init?(mt19937Key key: [UInt32]) {
    guard !key.isEmpty, gslFullSeeding else { return nil }
    rng = Self.allocate()
    seed = 0
    cgsl_mt19937_init_by_array(rng, key, key.count)
  }

  /// The stream for `stream` in replication `replication` of `scenario`.
  public convenience init(scenario: String, replication: Int, stream: String) {
    self.init(seed: Self.seed(scenario: scenario, replication: replication, stream: stream))
  }

  private init(copying other: RandomStream) {
    rng = gsl_rng_clone(other.rng)!
    seed = other.seed
  }

  private static func allocate() -> UnsafeMutablePointer<gsl_rng> {
    _ = gslFullSeeding
    // gsl_rng_alloc fails only when malloc does.
    return gsl_rng_alloc(cgsl_rng_mt19937())!
  }

  deinit {
    gsl_rng_free(rng)
  }

  /// An independent copy at the same position (a checkpoint): both produce the same continuation.
  public func clone() -> RandomStream {
    RandomStream(copying: self)
  }

  /// The seed of one named stream of one replication of one scenario.
  ///
  /// FNV-1a 64 over the length-prefixed UTF-8 of `scenario`, the replication as 8 little-endian bytes and
  /// the length-prefixed UTF-8 of `stream` (length prefixes keep ("ab","c") and ("a","bc") apart), then the
  /// SplitMix64 output function to spread FNV's weak low bits. Never Swift's `Hasher`, which is seeded
  /// randomly per process: these seeds must be the same in every run, on every machine.
  public static func seed(scenario: String, replication: Int, stream: String) -> UInt64 {
    var hash = FNV1a64()
    hash.combine(scenario)
    hash.combine(UInt64(bitPattern: Int64(replication)))
    hash.combine(stream)
    return SplitMix64.mix(hash.value)
  }

  // MARK: Variates

  /// The generator's raw 32-bit output.
  @inlinable public func next32() -> UInt32 { UInt32(truncatingIfNeeded: gsl_rng_get(rng)) }

  /// Uniform on [0, 1), 32-bit resolution.
  @inlinable public func uniform() -> Double { gsl_rng_uniform(rng) }

  /// Uniform on (0, 1): safe to take the logarithm of.
  @inlinable public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }

  /// Uniform on [a, b).
  @inlinable public func uniform(_ a: Double, _ b: Double) -> Double { gsl_ran_flat(rng, a, b) }

  /// Exponential with the given mean (GSL's `mu` is the mean, not the rate).
  @inlinable public func exponential(mean: Double) -> Double { gsl_ran_exponential(rng, mean) }

  /// Pareto type I: P(X > x) = (scale/x)^shape for x ≥ scale. Mean is infinite for shape ≤ 1.
  @inlinable public func pareto(shape: Double, scale: Double) -> Double { gsl_ran_pareto(rng, shape, scale) }

  /// Lognormal: exp of a normal with mean `zeta` and standard deviation `sigma`.
  @inlinable public func lognormal(zeta: Double, sigma: Double) -> Double {
    gsl_ran_lognormal(rng, zeta, sigma)
  }

  /// Normal (ziggurat method: faster than Box–Muller, same distribution).
  @inlinable
  public func normal(mean: Double = 0, sd: Double = 1) -> Double {
    mean + gsl_ran_gaussian_ziggurat(rng, sd)
  }

  /// Uniform integer in 0..<n, unbiased. n must be positive; above 2³² - 1 (beyond what one 32-bit draw
  /// covers, where GSL would refuse) two draws are combined with rejection.
  @inlinable
  public func uniformInt(_ n: Int) -> Int {
    precondition(n > 0, "uniformInt needs a positive bound")
    if n <= Int(UInt32.max) {
      return Int(gsl_rng_uniform_int(rng, UInt(n)))
    }
    let bound = UInt64(n)
    let limit = UInt64.max - UInt64.max % bound  // accept [0, limit): a whole number of copies of 0..<n
    while true {
      let x = UInt64(next32()) << 32 | UInt64(next32())
      if x < limit { return Int(x % bound) }
    }
  }

  /// True with probability p.
  @inlinable public func bernoulli(_ p: Double) -> Bool { gsl_ran_bernoulli(rng, p) == 1 }

  /// Poisson with the given mean (GSL's method; a mean beyond what its 32-bit result holds is split
  /// into pieces, whose Poisson sum is Poisson with the total mean).
  public func poisson(mean: Double) -> Int {
    guard mean > 0, mean.isFinite else { return 0 }
    var left = mean
    var total = 0
    while left > 1e9 {
      total += Int(gsl_ran_poisson(rng, 1e9))
      left -= 1e9
    }
    return total + Int(gsl_ran_poisson(rng, left))
  }

  /// An exponential span of simulated time with the given mean (rounded to the nanosecond).
  @inlinable
  public func exponential(mean: SimTime) -> SimTime {
    SimTime(seconds: gsl_ran_exponential(rng, mean.seconds))
  }
}

/// FNV-1a, 64-bit: a tiny, fixed, platform-independent hash for seeds and determinism digests.
public struct FNV1a64: Hashable, Sendable {
  public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
  public static let prime: UInt64 = 0x0000_0100_0000_01b3

  @usableFromInline var state: UInt64 = FNV1a64.offsetBasis

  @inlinable public init() {}

  /// The hash of everything combined so far.
  @inlinable public var value: UInt64 { state }

  @inlinable
  public mutating func combine(byte: UInt8) {
    state = (state ^ UInt64(byte)) &* FNV1a64.prime
  }

  @inlinable
  public mutating func combine(bytes: some Sequence<UInt8>) {
    for byte in bytes {
      combine(byte: byte)
    }
  }

  /// Eight bytes, least significant first (the same digest on every platform).
  @inlinable
  public mutating func combine(_ word: UInt64) {
    var w = word
    for _ in 0..<8 {
      combine(byte: UInt8(truncatingIfNeeded: w))
      w >>= 8
    }
  }

  /// The UTF-8 byte count (as a `UInt64`), then the bytes: unambiguous when strings are concatenated.
  @inlinable
  public mutating func combine(_ text: String) {
    combine(UInt64(text.utf8.count))
    combine(bytes: text.utf8)
  }
}
