// SPDX-License-Identifier: GPL-3.0-or-later

/// Whoever creates images reproducibly (`DiskUUID.random(using:)` with a seeded generator) uses the
/// package's one seeded generator, `SplitMix64`; importing the engine brings it along.
@_exported import SeededRandom
