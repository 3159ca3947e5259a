// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking
import Experiments
import Foundation
import Pool
import StorageRepository
import VHD
import Workloads

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Every command's exit statuses, after BSD sysexits(3), so a script can tell "called wrong" from
/// "the file is bad" from "the system failed" without reading the message. README lists them.
enum ExitStatus {
  /// The command ran and the answer is no: `check` found problems, a gate or a consistency check
  /// failed, or the operation does not apply to these files (a read past the disk's end, a coalesce
  /// that would drop data, a parent loop, a non-differencing disk where one is needed).
  static let failure: Int32 = 1
  /// EX_USAGE: the command line is wrong on its own (unknown flag, bad or missing value).
  static let usage: Int32 = 64
  /// EX_DATAERR: an input file is malformed (VHD structure, scenario, trace, run records).
  static let dataError: Int32 = 65
  /// EX_NOINPUT: an input file or folder does not exist.
  static let noInput: Int32 = 66
  /// EX_CANTCREAT: an output file or folder cannot be created.
  static let cannotCreate: Int32 = 73
  /// EX_IOERR: reading or writing failed (full disk, device error).
  static let ioError: Int32 = 74
  /// EX_NOPERM: the operating system refused access.
  static let noPermission: Int32 = 77

  /// The status for `error`; nil for errors of the argument parser, which it maps itself.
  static func of(_ error: any Error) -> Int32? {
    switch error {
    case let e as CommandLineError: e.status
    case is ValidationError, is ShardError, is CompareError, is WorkloadError: usage
    case let e as CrashSweepError:
      if case .referenceRunFailed = e { failure } else { usage }
    case let e as VHDError: of(e.code)
    case let e as StorageError: of(e.code)
    case let e as DeviceError: e.code == .shortRead ? dataError : of(e.code)
    case is ScenarioError: dataError
    case let e as TraceError: e.line == 0 ? noInput : dataError
    case is RecordError: dataError
    case let e as MergeError: e == .noInput ? noInput : dataError
    case is GateError, is PoolError: failure
    default: nil
    }
  }

  static func of(_ code: VHDError.Code) -> Int32 {
    switch code {
    case .truncated, .badCookie, .badChecksum, .invalidField, .unsupported, .batEntryPastEnd,
      .overlappingBlocks, .parentUUIDMismatch, .unknownLocatorCode, .blockSizeNotPowerOfTwo, .damaged:
      dataError
    case .missingParent: noInput
    case .alreadyExists: cannotCreate
    case .sizeTooLarge, .invalidArgument: usage
    case .outOfRange, .readOnly, .chainTooDeep, .wrongDiskType, .locatorTooSmall, .parentLoop: failure
    case .device(let d): d == .shortRead ? dataError : of(d)
    case .storage(let s): of(s)
    }
  }

  static func of(_ code: DeviceError.Code) -> Int32 {
    switch code {
    case .system(let errno): of(errno: errno)
    case .shortRead: dataError
    case .readOnly, .injectedFault: failure
    }
  }

  static func of(_ code: StorageError.Code) -> Int32 {
    switch code {
    case .notFound: noInput
    case .exists: cannotCreate
    case .system(let errno): of(errno: errno)
    }
  }

  static func of(errno: Int32) -> Int32 {
    switch errno {
    case ENOENT, ENOTDIR: noInput
    case EACCES, EPERM: noPermission
    case EEXIST, EROFS, EISDIR: cannotCreate
    default: ioError
    }
  }
}

/// A problem the command line finds before the engine runs, naming the user's flag or file, with
/// the exit status it means.
struct CommandLineError: Error, CustomStringConvertible {
  let status: Int32
  let description: String

  static func usage(_ message: String) -> Self { Self(status: ExitStatus.usage, description: message) }
  static func noInput(_ path: String, _ what: String) -> Self {
    Self(status: ExitStatus.noInput, description: "\(path): no such \(what)")
  }
  static func cannotCreate(_ path: String, flag: String, _ reason: String) -> Self {
    Self(status: ExitStatus.cannotCreate, description: "\(flag) \(path): \(reason)")
  }
}

/// Prints one clear line to standard error, "vhdsim: " then the message: the one error style.
func printError(_ text: String) {
  var stderr = StandardError()
  print("vhdsim: " + text, to: &stderr)
}

/// Prints `error` as the one-line message and returns the exit status that says what kind it was.
func fail(_ error: any Error) -> ExitCode {
  printError("\(error)")
  return ExitCode(ExitStatus.of(error) ?? ExitStatus.failure)
}

/// Runs `body`, turning any thrown error into the one-line message and its exit status.
func runReportingErrors(_ body: () throws -> Void) throws {
  do { try body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch {
    throw fail(error)
  }
}

/// Checks before any work starts that `path` names an existing file (not a folder).
func requireInputFile(_ path: String, _ what: String = "file") throws {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw CommandLineError.noInput(path, what)
  }
  if isDirectory.boolValue {
    throw CommandLineError(status: ExitStatus.dataError, description: "\(path): is a folder, not a \(what)")
  }
}

/// Checks before any work starts that the output folder `path` (given with `flag`) exists or can be
/// made, and can be written: a run of hours must not fail at its end on a typo.
func prepareOutputFolder(_ path: String, flag: String) throws {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
    guard isDirectory.boolValue else {
      throw CommandLineError.cannotCreate(path, flag: flag, "is a file, not a folder")
    }
  } else {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw CommandLineError.cannotCreate(path, flag: flag, "cannot create the folder (\(reason(error)))")
    }
  }
  guard access(path, W_OK) == 0 else {
    throw CommandLineError.cannotCreate(
      path, flag: flag, "cannot write into the folder (\(String(cString: strerror(errno))))")
  }
}

/// The operating system's words for a Foundation error, without Foundation's framing.
private func reason(_ error: any Error) -> String {
  let e = error as NSError
  if let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
    return String(cString: strerror(Int32(underlying.code)))
  }
  return e.localizedDescription
}
