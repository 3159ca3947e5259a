// SPDX-License-Identifier: GPL-3.0-or-later

/// A `DiskValidation` setting out of its range, found before anything is built or run; its text
/// names the `vhdsim validate` option the setting comes from.
public enum ValidationOptionError: Error, Equatable, CustomStringConvertible {
  /// `--repeats` outside ``DiskValidation/repeatsRange``.
  case repeatsOutOfRange(Int)
  /// `--requests` outside ``DiskValidation/requestsRange``.
  case requestsOutOfRange(Int)
  /// `--read-fraction` or `--base-fill` (the option named) not a number from 0 to 1.
  case fractionOutOfRange(option: String, Double)

  public var description: String {
    switch self {
    case .repeatsOutOfRange(let n):
      "--repeats must be an integer \(DiskValidation.repeatsRange.lowerBound)..."
        + "\(DiskValidation.repeatsRange.upperBound), found \(n)"
    case .requestsOutOfRange(let n):
      "--requests must be an integer \(DiskValidation.requestsRange.lowerBound)..."
        + "\(DiskValidation.requestsRange.upperBound), found \(n)"
    case .fractionOutOfRange(let option, let x):
      "--\(option) must be a number from 0 to 1, found \(x)"
    }
  }
}
