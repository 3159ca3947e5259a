// SPDX-License-Identifier: GPL-3.0-or-later

extension GCSettings {
  /// No garbage collector: the SR is only where the VDIs live (a study of a fixed chain).
  public static let off = GCSettings(enabled: false, kickOnAttach: false)
}
