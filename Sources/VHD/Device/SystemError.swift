// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The C library's text for an errno value.
func systemErrorText(_ code: Int32) -> String {
  String(cString: strerror(code))
}
