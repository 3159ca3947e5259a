// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import vhdsim

/// `vhdsim bench fleet`'s arguments as the parser takes them (nothing is run).
@Suite struct BenchCommandTests {
  @Test func fleetSizesReachTheParametersAndABadMixIsAUsageErrorNamingIt() throws {
    let command = try BenchCommand.parse(["fleet", "--sizes", "4k/25:64k/75", "--iops", "20"])
    #expect(command.fleetParameters.sizes == "4k/25:64k/75")
    #expect(try BenchCommand.parse(["fleet"]).fleetParameters.sizes == nil)
    let error = #expect(throws: (any Error).self) {
      try BenchCommand.parse(["fleet", "--sizes", "4k/25:big/75"])
    }
    let message = error.map { BenchCommand.message(for: $0) } ?? ""
    #expect(message.hasPrefix("--sizes: bad size mix \"4k/25:big/75\""), "\(message)")
    #expect(error.map { BenchCommand.exitCode(for: $0) } == .validationFailure)
  }
}
