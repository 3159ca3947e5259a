// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import vhdsim

/// `vhdsim validate`'s arguments as the parser takes them (nothing is run).
@Suite struct ValidateCommandTests {
  /// Parsing `arguments` fails with `message` and the usage-error exit status.
  func expectUsageError(_ arguments: [String], message: String) {
    let error = #expect(throws: (any Error).self) { try ValidateCommand.parse(arguments) }
    #expect(error.map { ValidateCommand.message(for: $0) } == message)
    #expect(error.map { ValidateCommand.exitCode(for: $0) } == .validationFailure)
  }

  /// --repeats outside 1...20 is a usage error that names the option and the value, as --depths is.
  @Test func repeatsOutOfRangeIsAUsageErrorNamingTheOption() throws {
    for n in [0, 21] {
      expectUsageError(
        ["--out", "x", "--repeats", "\(n)"], message: "--repeats must be an integer 1...20, found \(n)")
    }
    #expect(try ValidateCommand.parse(["--out", "x", "--repeats", "20"]).repeats == 20)
    #expect(try ValidateCommand.parse(["--out", "x"]).repeats == 1)
  }
}

extension ValidateCommandTests {
  /// --requests outside 100...1,000,000 is a usage error naming the option and the value; in range
  /// it reaches the validation.
  @Test func requestsOutOfRangeIsAUsageErrorNamingTheOption() throws {
    for n in [99, 1_000_001, -5] {
      expectUsageError(
        ["--out", "x", "--requests=\(n)"], message: "--requests must be an integer 100...1000000, found \(n)")
    }
    #expect(try ValidateCommand.parse(["--out", "x", "--requests", "60000"]).requests == 60_000)
    #expect(try ValidateCommand.parse(["--out", "x"]).requests == nil)
  }

  /// --read-fraction and --base-fill outside 0...1 (or not numbers at all) are usage errors naming
  /// the option; in range they reach the validation, 0.7 and 0.5 by default.
  @Test func fractionsOutsideZeroToOneAreUsageErrorsNamingTheOption() throws {
    for (option, value) in [("read-fraction", "1.5"), ("base-fill", "-0.1"), ("read-fraction", "nan")] {
      expectUsageError(
        ["--out", "x", "--\(option)=\(value)"],
        message: "--\(option) must be a number from 0 to 1, found \(Double(value)!)")
    }
    let c = try ValidateCommand.parse(["--out", "x", "--read-fraction", "1", "--base-fill", "1"])
    #expect(c.readFraction == 1 && c.baseFill == 1)
    let d = try ValidateCommand.parse(["--out", "x"])
    #expect(d.readFraction == 0.7 && d.baseFill == 0.5)
  }
}

extension ValidateCommandTests {
  /// The device check runs unless --no-device-check; the flag takes no value.
  @Test func noDeviceCheckTurnsTheCheckOff() throws {
    #expect(try ValidateCommand.parse(["--out", "x"]).noDeviceCheck == false)
    #expect(try ValidateCommand.parse(["--out", "x", "--no-device-check"]).noDeviceCheck == true)
    #expect(throws: (any Error).self) { try ValidateCommand.parse(["--out", "x", "--no-device-check=yes"]) }
  }
}
