// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import vhdsim

/// `vhdsim validate`'s arguments as the parser takes them (nothing is run).
@Suite struct ValidateCommandTests {
  /// --repeats outside 1...20 is a usage error that names the option and the value, as --depths is.
  @Test func repeatsOutOfRangeIsAUsageErrorNamingTheOption() throws {
    for n in [0, 21] {
      let error = #expect(throws: (any Error).self) {
        try ValidateCommand.parse(["--out", "x", "--repeats", "\(n)"])
      }
      #expect(
        error.map { ValidateCommand.message(for: $0) } == "--repeats must be an integer 1...20, found \(n)")
      #expect(error.map { ValidateCommand.exitCode(for: $0) } == .validationFailure)
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
      let error = #expect(throws: (any Error).self) {
        try ValidateCommand.parse(["--out", "x", "--requests=\(n)"])
      }
      #expect(
        error.map { ValidateCommand.message(for: $0) }
          == "--requests must be an integer 100...1000000, found \(n)")
      #expect(error.map { ValidateCommand.exitCode(for: $0) } == .validationFailure)
    }
    #expect(try ValidateCommand.parse(["--out", "x", "--requests", "60000"]).requests == 60_000)
    #expect(try ValidateCommand.parse(["--out", "x"]).requests == nil)
  }
}
