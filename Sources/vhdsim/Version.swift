// SPDX-License-Identifier: GPL-3.0-or-later

/// What `vhdsim --version` prints: the package version (raised by hand at each release) and the
/// git commit the BuildCommit plugin stamped at build time ("unknown" outside git and tarballs).
enum Version {
  static let package = "0.1.0"
  static var text: String { "\(package) (\(buildCommit))" }
}
