// SPDX-License-Identifier: GPL-3.0-or-later

/// The trace formats `TraceReplay` reads.
public enum TraceFormat: String, Hashable, Sendable, CaseIterable {
  /// `blkparse` default text output.
  case blkparse
  /// fio `write_iolog` output, version 2 or 3.
  case fio
  /// MSR Cambridge / SNIA IOTTA CSV.
  case msr
}
