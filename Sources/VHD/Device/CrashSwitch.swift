// SPDX-License-Identifier: GPL-3.0-or-later
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The process-wide crash point for tests of real files (docs/vhd-format.md#crash-safety): with
/// `VHDSIM_CRASH_AFTER_WRITES=k` in the environment the process kills itself with SIGKILL right
/// after its k-th change to the file system (a `pwrite` call, a zero-fill or truncate of a file,
/// a file created, renamed or removed through `FileStorage`). A test runs the real binary with k =
/// 1, 2, … and checks what each kill left. Unset (or 0), the check on the write path is one
/// integer compare.
public enum CrashSwitch {
  /// The write after which the process dies; 0 = never.
  public static let limit: Int = {
    guard let text = getenv("VHDSIM_CRASH_AFTER_WRITES") else { return 0 }
    return Int(String(cString: text)).map { max(0, $0) } ?? 0
  }()
  private static let writes = Atomic<Int>(0)

  /// Counts one completed file-system change; kills the process when it is the k-th.
  @inline(__always)
  public static func didWrite() {
    if limit > 0 { count() }
  }

  private static func count() {
    if writes.add(1, ordering: .relaxed).newValue == limit { kill(getpid(), SIGKILL) }
  }
}
