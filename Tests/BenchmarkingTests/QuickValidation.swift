// SPDX-License-Identifier: GPL-3.0-or-later
import Benchmarking
import Foundation

/// What the quick validation tests share: their real side needs a file system that takes O_DIRECT,
/// which a test machine's temporary folder may not (tmpfs before Linux 6.6).
enum QuickValidation {
  /// A folder for a test's chains: under VHDSIM_BENCH_DIR (a folder on a real disk) when set, else in
  /// the temporary folder.
  static func folder(_ tag: String) -> String {
    let base = ProcessInfo.processInfo.environment["VHDSIM_BENCH_DIR"] ?? NSTemporaryDirectory()
    return (base as NSString).appendingPathComponent("vhdsim-\(tag)-\(getpid())")
  }

  /// What it measured, or nil (with a note) when the folder's file system refuses O_DIRECT.
  static func run(_ validation: DiskValidation) throws -> DiskValidation.Outcome? {
    do { return try validation.run() } catch let e as CalibrationError {
      guard case .directIORefused = e else { throw e }
      print(
        "skipped: \(validation.folder) refuses O_DIRECT (\(e)); set VHDSIM_BENCH_DIR to a folder on a real disk"
      )
      return nil
    }
  }
}
