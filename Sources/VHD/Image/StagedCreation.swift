// SPDX-License-Identifier: GPL-3.0-or-later

/// How a new file comes into being so that its name never shows a half-made file
/// (docs/vhd-format.md#crash-safety): a `synced` engine builds it under `stagingPath(path)` and
/// renames it into place once complete and fsynced; an `ordered` engine builds it in place (and the
/// caller removes it on failure, as vhd-util does).
public enum StagedCreation {
  /// Where a `synced` engine builds `path`: beside it, under a name no `*.vhd` pattern matches.
  public static func stagingPath(_ path: String) -> String { path + ".vhdsim-partial" }

  /// The device for a new file at `path`, refusing an existing one; staged when `synced` (replacing
  /// what a stopped run left under the staging name).
  static func device(_ path: String, storage: any Storage, options: EngineOptions) throws -> any BlockDevice {
    if storage.exists(path) {
      throw VHDError(.alreadyExists, file: path, "file already exists")
    }
    let target = options.durability == .synced ? stagingPath(path) : path
    do {
      if target != path && storage.exists(target) { try storage.remove(target) }
      return try storage.create(target)
    } catch { throw VHDError.wrap(error, file: path) }
  }

  /// Runs `build` on the device from `device(_:storage:options:)`; when staged, fsyncs the result
  /// and renames it into place, or removes the staging file when `build` fails.
  static func finish(
    _ path: String, storage: any Storage, options: EngineOptions, _ build: () throws -> VHDImage
  ) throws -> VHDImage {
    guard options.durability == .synced else { return try build() }
    do {
      let image = try build()
      try options.sync(image.device, file: path)
      do { try storage.rename(stagingPath(path), to: path) } catch { throw VHDError.wrap(error, file: path) }
      return image
    } catch {
      try? storage.remove(stagingPath(path))
      throw error
    }
  }
}
