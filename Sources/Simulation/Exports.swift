// SPDX-License-Identifier: GPL-3.0-or-later

/// The kernel's seeds go through SplitMix64's output function (`RandomStream.seed`); importing the
/// kernel brings the package's one seeded generator along.
@_exported import SeededRandom
