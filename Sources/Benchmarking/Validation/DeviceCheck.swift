// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// The device alone, at validation time, against the profile (docs/simulation.md#the-device-check).
///
/// A profile is measured minutes or days before the validation, and a shared machine's disk moves by
/// tens of percent within minutes. So that a case's error can be split into the device's drift since
/// calibration and the rest of the model, each round of the real runs starts with fio running the
/// validation's own guest mix on the device without the engine (random 4 KiB, the same share of
/// reads, each iodepth of the validation; libaio, O_DIRECT, as calibration runs it), and the profile's
/// disk model runs the same job (`DiskCalibration.measure`). Their ratio is how fast the device is
/// now against the profile; a case's simulated/real IOPS divided by it is the model's error with that
/// drift taken out.
public struct DeviceCheck: Sendable, Equatable, Encodable {
  public var iodepth: Int
  public var readFraction: Double
  /// fio's IOPS (reads and writes together) in each round.
  public var iopsFio: [Double]
  /// fio's mean total latency per I/O in each round, µs (reads and writes weighted by their IOPS).
  public var meanUsFio: [Double]
  /// The host block device's own view of fio's job in each round where the kernel counted it (not
  /// the round whose job laid the file out): its mean queue and time per I/O, to set beside the same
  /// figures under the engine's loop (`ValidationCase.hostDiskReal`).
  public var deviceFio: [HostDiskLoad]
  /// The profile's model on the same job.
  public var iopsProfile: Double
  public var meanUsProfile: Double

  public init(
    iodepth: Int, readFraction: Double, iopsFio: [Double], meanUsFio: [Double],
    deviceFio: [HostDiskLoad] = [],
    iopsProfile: Double, meanUsProfile: Double
  ) {
    self.iodepth = iodepth
    self.readFraction = readFraction
    self.iopsFio = iopsFio
    self.meanUsFio = meanUsFio
    self.deviceFio = deviceFio
    self.iopsProfile = iopsProfile
    self.meanUsProfile = meanUsProfile
  }

  /// The median of the rounds' IOPS (one disturbed round moves it less than a mean).
  public var iopsFioMedian: Double { median(iopsFio) }
  /// How fast the device ran against the profile: fio's median IOPS over the profile's.
  public var ratio: Double { iopsProfile > 0 ? iopsFioMedian / iopsProfile : .nan }
  /// Whether both sides measured something, so the ratio can be divided out.
  public var hasRatio: Bool { ratio.isFinite && ratio > 0 }

  enum CodingKeys: String, CodingKey {
    case iodepth
    case readFraction = "read_fraction"
    case runs
    case iopsFio = "iops_fio"
    case iopsFioMin = "iops_fio_min"
    case iopsFioMax = "iops_fio_max"
    case meanUsFio = "mean_latency_fio_us"
    case iopsProfile = "iops_profile"
    case meanUsProfile = "mean_latency_profile_us"
    case ratio = "iops_fio_over_profile"
    case deviceUsPerIOFio = "host_disk_us_per_io_fio"
    case deviceQueueFio = "host_disk_mean_queue_fio"
  }

  /// The medians of the device's time per I/O and mean queue under fio (nil: never counted).
  public var deviceUsPerIOFio: Double? { deviceFio.isEmpty ? nil : median(deviceFio.map(\.usPerIO)) }
  public var deviceQueueFio: Double? { deviceFio.isEmpty ? nil : median(deviceFio.map(\.meanQueue)) }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(iodepth, forKey: .iodepth)
    try c.encode(readFraction, forKey: .readFraction)
    try c.encode(iopsFio.count, forKey: .runs)
    try c.encode(iopsFioMedian, forKey: .iopsFio)
    try c.encode(iopsFio.min() ?? .nan, forKey: .iopsFioMin)
    try c.encode(iopsFio.max() ?? .nan, forKey: .iopsFioMax)
    try c.encode(median(meanUsFio), forKey: .meanUsFio)
    try c.encode(iopsProfile, forKey: .iopsProfile)
    try c.encode(meanUsProfile, forKey: .meanUsProfile)
    try c.encode(ratio, forKey: .ratio)
    try c.encodeIfPresent(deviceUsPerIOFio, forKey: .deviceUsPerIOFio)
    try c.encodeIfPresent(deviceQueueFio, forKey: .deviceQueueFio)
  }

  /// The fio job of the check at `iodepth`: random 4 KiB with the validation's share of reads (one
  /// direction when it is all reads or all writes).
  static func job(iodepth: Int, readFraction: Double) -> FioJob {
    let percent = Int((readFraction * 100).rounded())
    return FioJob(
      isWrite: percent == 0, random: true, blockBytes: 4096, queueDepth: iodepth,
      readPercent: percent == 0 || percent == 100 ? nil : percent)
  }

  /// One fio run of the check's job: both directions of a mixed job together.
  struct Round {
    var iops: Double
    var meanUs: Double
    var device: HostDiskLoad?
  }

  /// fio's IOPS and mean latency (µs) for one run of `job`, both directions of a mixed job together,
  /// and the device's counters over the job (the same for both directions).
  static func figures(_ measured: [FioMeasurement]) -> Round {
    let iops = measured.reduce(0) { $0 + $1.result.iops }
    let weighted = measured.reduce(0) { $0 + $1.result.iops * $1.result.meanLatencyNs }
    return Round(
      iops: iops, meanUs: iops > 0 ? weighted / iops / 1000 : .nan, device: measured.first?.hostDisk)
  }

  /// The profile's model on the check's job at `iodepth`: IOPS and mean latency, µs.
  static func predicted(_ profile: DiskProfile, iodepth: Int, readFraction: Double) -> (
    iops: Double, meanUs: Double
  ) {
    let job = job(iodepth: iodepth, readFraction: readFraction)
    let f = DiskCalibration.measure(
      profile.model, pattern: .random, isWrite: job.isWrite, readPercent: job.readPercent, ioBytes: 4096,
      queueDepth: iodepth, ios: 20_000)
    return (f.iops, f.meanLatency.seconds * 1e6)
  }
}

/// Runs the device check's fio jobs in a folder (a scratch file, removed by `finish`).
struct DeviceCheckRunner {
  let fio: String
  let calibrator: DiskCalibrator
  let iodepths: [Int]
  let readFraction: Double

  /// A runner on `folder`, or nil when fio is not installed.
  init?(folder: String, sizeBytes: UInt64, quick: Bool, iodepths: [Int], readFraction: Double) {
    guard let fio = findExecutable("fio") else { return nil }
    self.fio = fio
    calibrator = DiskCalibrator(target: folder, sizeBytes: sizeBytes, quick: quick)
    self.iodepths = iodepths
    self.readFraction = readFraction
  }

  /// One round: each iodepth's job once, in order.
  func round() throws(CalibrationError) -> [DeviceCheck.Round] {
    try iodepths.map { (d) throws(CalibrationError) in
      DeviceCheck.figures(
        try calibrator.run([DeviceCheck.job(iodepth: d, readFraction: readFraction)], fio: fio))
    }
  }

  /// Removes the scratch file.
  func finish() { unlink(calibrator.file) }
}
