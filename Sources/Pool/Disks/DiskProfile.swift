// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A disk as a study names it: a timing model with its name and where it came from — a built-in
/// preset (`nvme`, `sata7200`, `iscsi`, `sata-ssd`, whose files under `Profiles/disks/` document
/// their fields and sources) or a profile file, e.g. one `vhdsim disk calibrate` measured
/// (docs/simulation.md#disk-profiles).
///
/// Two profiles are the same when they have the same name, file and variability switch: the model
/// is what the file says, so comparing the models again would say nothing new.
public struct DiskProfile: Sendable, Equatable, CustomStringConvertible {
  public var name: String
  /// The file it was read from; nil for a built-in preset.
  public var path: String?
  /// False: every distribution at its mean (`variability: off`), for deterministic figures.
  public var variability: Bool
  /// The host's engine processor time per request, measured with the device (`engine_cpu`).
  public var engineCPU: EngineCPUCost
  private let base: any DiskModel

  public init(
    name: String, path: String? = nil, model: any DiskModel, variability: Bool = true,
    engineCPU: EngineCPUCost = .none
  ) {
    self.name = name
    self.path = path
    self.base = model
    self.variability = variability
    self.engineCPU = engineCPU
  }

  /// The model to simulate with.
  public var model: any DiskModel { variability ? base : base.deterministic }

  public var description: String { path ?? name }

  public static func == (a: DiskProfile, b: DiskProfile) -> Bool {
    a.name == b.name && a.path == b.path && a.variability == b.variability
  }

  /// The 7200 rpm SATA disk (`RotatingDiskModel.sata7200`).
  public static let sata7200 = DiskProfile(name: "sata7200", model: RotatingDiskModel.sata7200)
  /// The datacenter NVMe drive (`SSDModel.nvmeDatacenter`).
  public static let nvme = DiskProfile(name: "nvme", model: SSDModel.nvmeDatacenter)
  /// The iSCSI LUN over 10 GbE (`ISCSIModel.iscsi10GbE`).
  public static let iscsi = DiskProfile(name: "iscsi", model: ISCSIModel.iscsi10GbE)
  /// The enterprise SATA SSD (`SSDModel.sataSSD`).
  public static let sataSSD = DiskProfile(name: "sata-ssd", model: SSDModel.sataSSD)

  /// The built-in presets by name.
  public static let presets: [DiskProfile] = [sata7200, nvme, iscsi, sataSSD]

  /// The preset called `name`, if any.
  public static func preset(named name: String) -> DiskProfile? { presets.first { $0.name == name } }
}
