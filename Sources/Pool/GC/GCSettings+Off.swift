// SPDX-License-Identifier: GPL-3.0-or-later

extension GCSettings {
  /// No garbage collector: the SR is only where the VDIs live (a study of a fixed chain, a
  /// consistency check). Its snapshots cost only their pause and metadata I/O, without the fixed
  /// costs of docs/storage-manager.md#per-round-costs, so sub-second checks stay sub-second.
  public static let off = GCSettings(enabled: false, costs: .zero, kickOnAttach: false)
}
