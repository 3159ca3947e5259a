// SPDX-License-Identifier: GPL-3.0-or-later

/// SplitMix64 (Steele, Lea & Flood 2014): the one seeded 64-bit generator of the package.
///
/// The engine never draws random numbers, but whoever creates images reproducibly (`DiskUUID.random`,
/// the storage repository's stamps, the crash sweep, tests) needs a generator, and the kernel needs
/// the output function to spread its FNV seeds. Both build on this target, which depends on nothing, so
/// `VHD` and `Simulation` share one implementation without importing each other.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The golden-ratio increment ("gamma") added to the state before every output.
  public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// The counter: the next output is `mix(state)`, after which the state moves on by `gamma`.
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The SplitMix64 output for state `x`: golden-gamma increment, then the two multiply-xorshift
  /// rounds. A bijection of 64-bit values, so also usable as a hash finaliser.
  @inlinable
  public static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ gamma
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next output of the sequence (`mix(state)`; the state advances by `gamma`).
  @inlinable
  public mutating func next() -> UInt64 {
    defer { state &+= Self.gamma }
    return Self.mix(state)
  }
}

/// The output function iterated on its own output: x₍ₙ₊₁₎ = `SplitMix64.mix`(xₙ). Not SplitMix64's
/// sequence (that one counts by the gamma); chains, disk calibration and consistency snapshots were
/// seeded this way, and their pinned results depend on it.
public struct IteratedSplitMix64: RandomNumberGenerator, Sendable {
  /// The last output (the seed before the first draw).
  public var state: UInt64

  public init(state: UInt64) { self.state = state }

  @inlinable
  public mutating func next() -> UInt64 {
    state = SplitMix64.mix(state)
    return state
  }
}
