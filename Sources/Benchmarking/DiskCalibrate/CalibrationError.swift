// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#endif

/// Why `vhdsim disk calibrate` (or `validate`) cannot measure the target, each naming what to fix.
public enum CalibrationError: Error, Equatable, CustomStringConvertible {
  case fioMissing
  case notWritable(path: String, errno: Int32)
  case tooSmall(path: String, availableBytes: UInt64, neededBytes: UInt64)
  case directIORefused(path: String, errno: Int32)
  case fioFailed(job: String, status: Int32, message: String)
  case badFioOutput(file: String, reason: String)
  case missingMeasurement(String)
  case holePunchFailed(path: String, message: String)
  case unsteady(job: String, firstMeanUs: Double, againMeanUs: Double, tolerance: Double)

  public var description: String {
    switch self {
    case .fioMissing:
      "fio is not installed (Debian: apt-get install fio; scripts/setup-system installs it)"
    case .notWritable(let path, let e):
      "\(path): not writable (\(String(cString: strerror(e))))"
    case .tooSmall(let path, let available, let needed):
      "\(path): \(available >> 20) MiB available, the measurement needs \(needed >> 20) MiB (use a smaller --size)"
    case .directIORefused(let path, let e):
      "\(path): the file system refuses O_DIRECT (\(String(cString: strerror(e)))); "
        + "measure on a file system that supports it (ext4, xfs; not tmpfs before Linux 6.6)"
    case .fioFailed(let job, let status, let message):
      "fio job \(job) failed (status \(status)): \(message)"
    case .badFioOutput(let file, let reason): "\(file): not fio JSON output: \(reason)"
    case .missingMeasurement(let what): "the calibration grid lacks \(what)"
    case .holePunchFailed(let path, let message): "\(path): timing hole punches failed: \(message)"
    case .unsteady(let job, let first, let again, let tolerance):
      "the device changed speed during the calibration: fio job \(job) averaged "
        + String(format: "%.1f µs, and %.1f µs when run again after the grid", first, again)
        + String(format: " (more than %.1f× apart); nothing was written. ", tolerance)
        + "Calibrate again when the machine and its host are quiet, or pass --allow-unsteady to fit it anyway"
    }
  }

  /// The error an `open(…O_DIRECT)` failure means: EINVAL is the kernel's "this file system does not
  /// do direct I/O" (open(2)); permission errors mean the target is not writable.
  public static func openFailure(path: String, errno e: Int32) -> CalibrationError {
    e == EINVAL ? .directIORefused(path: path, errno: e) : .notWritable(path: path, errno: e)
  }
}
