// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The built `vhdsim` executable run as a subprocess, for tests that must see how the process ends
/// (a trap is a signal, a kill is a kill) rather than call the parser in-process. SwiftPM builds it
/// beside the test bundle.
enum CLIBinary {
  /// `vhdsim` in the folder of the running test executable, when it is there.
  static let path: String? = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = exe.deletingLastPathComponent()
    // On macOS the test bundle is a folder three levels below the products folder.
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("vhdsim").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    return nil
  }()

  /// How one run ended.
  struct Result: CustomStringConvertible {
    /// Exited (true) or was ended by a signal.
    var exited: Bool
    /// Exit status, or the signal number.
    var status: Int32
    var stderr: String
    var seconds: Double
    /// Killed by the test's timeout.
    var timedOut = false
    var signal: Int32? { exited ? nil : status }
    var description: String {
      (exited ? "exit \(status)" : "signal \(status)") + (timedOut ? " (timeout)" : "") + ": " + stderr
    }
  }

  /// Runs `binary` with `arguments`; with `killAfter`, sends SIGKILL after that many seconds unless
  /// it ended; with `timeout`, the same and the result says it timed out. Output goes to a pipe
  /// (stderr kept, stdout dropped).
  static func run(
    _ binary: String, _ arguments: [String], environment: [String: String] = [:], killAfter: Double? = nil,
    timeout: Double? = nil
  ) -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "VHDSIM_CRASH_AFTER_WRITES")
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    let start = Date()
    do { try p.run() } catch { return Result(exited: true, status: -1, stderr: "\(error)", seconds: 0) }
    var timedOut = false
    if let limit = killAfter ?? timeout {
      let deadline = start.addingTimeInterval(limit)
      while p.isRunning && Date() < deadline { usleep(200) }
      if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        timedOut = timeout != nil
      }
    }
    let data = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Result(
      exited: p.terminationReason == .exit, status: p.terminationStatus,
      stderr: String(decoding: data, as: UTF8.self), seconds: Date().timeIntervalSince(start),
      timedOut: timedOut)
  }

  /// Runs a system program; its exit status (-1 when it cannot start).
  static func status(_ program: String, _ arguments: [String]) -> Int32 {
    let r = run(program, arguments)
    return r.exited ? r.status : -1
  }
}
