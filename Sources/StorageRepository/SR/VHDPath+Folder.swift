// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

extension VHDPath {
  /// Whether `path` lies below `folder` deeper than the folder's own entries (both canonical): a
  /// change there can add or drop an (implicit) subfolder in the folder's listing.
  static func isNested(_ path: String, below folder: String) -> Bool {
    path.hasPrefix(folder == "/" ? "/" : folder + "/") && directory(path) != folder
  }
}
