// SPDX-License-Identifier: GPL-3.0-or-later

/// A validation case's per-request work on both sides: the physical I/Os the engine issued (they must
/// agree: the same engine serves the same requests), and the tapdisk thread's processor time,
/// measured around the real loop and charged by the model (`engine_cpu`). Where the real thread time
/// times the real IOPS nears one second a second, the thread, not the device, limits the real run.
public struct ValidationPerRequest: Sendable, Equatable {
  public var physicalIOsReal = 0.0
  public var physicalIOsSimulated = 0.0
  public var threadCPURealUs = 0.0
  public var threadCPUSimulatedUs = 0.0
  /// The thread's wall-clock time not waiting for a completion (processor time, and time blocked in
  /// system calls, above all io_submit), and of that the time in io_submit: measured around the real
  /// loop's calls, and what the model's thread spent on the same (its charges, the waits the file
  /// system makes, its zeroings).
  public var threadOccupiedRealUs = 0.0
  public var submitRealUs = 0.0
  public var threadOccupiedSimulatedUs = 0.0
  public var submitSimulatedUs = 0.0
  /// The host's block device under the real runs; nil where the kernel gives no counters.
  public var hostDiskReal: HostDiskLoad?
  /// Per I/O, not per request: its mean time in flight, µs, and the mean I/Os in flight (real: AIO
  /// requests from io_submit to their collection; simulated: the same span in the tapdisk thread's
  /// turns), the two figures the profile's queue-depth curve ties together.
  public var ioUsReal = 0.0
  public var ioUsSimulated = 0.0
  public var iosInFlightReal = 0.0
  public var iosInFlightSimulated = 0.0
  /// Completions the thread's `io_getevents` returned a call (real: the loop's calls; simulated: the
  /// model's turns): near the iodepth, the device hands them back in batches; near 1, one by one.
  public var completionsPerCollectReal = 0.0
  public var completionsPerCollectSimulated = 0.0

  public init(
    physicalIOsReal: Double = 0, physicalIOsSimulated: Double = 0, threadCPURealUs: Double = 0,
    threadCPUSimulatedUs: Double = 0, threadOccupiedRealUs: Double = 0, submitRealUs: Double = 0,
    threadOccupiedSimulatedUs: Double = 0, submitSimulatedUs: Double = 0,
    hostDiskReal: HostDiskLoad? = nil, ioUsReal: Double = 0, ioUsSimulated: Double = 0,
    iosInFlightReal: Double = 0, iosInFlightSimulated: Double = 0, completionsPerCollectReal: Double = 0,
    completionsPerCollectSimulated: Double = 0
  ) {
    self.completionsPerCollectReal = completionsPerCollectReal
    self.completionsPerCollectSimulated = completionsPerCollectSimulated
    self.hostDiskReal = hostDiskReal
    self.ioUsReal = ioUsReal
    self.ioUsSimulated = ioUsSimulated
    self.iosInFlightReal = iosInFlightReal
    self.iosInFlightSimulated = iosInFlightSimulated
    self.threadOccupiedRealUs = threadOccupiedRealUs
    self.submitRealUs = submitRealUs
    self.threadOccupiedSimulatedUs = threadOccupiedSimulatedUs
    self.submitSimulatedUs = submitSimulatedUs
    self.physicalIOsReal = physicalIOsReal
    self.physicalIOsSimulated = physicalIOsSimulated
    self.threadCPURealUs = threadCPURealUs
    self.threadCPUSimulatedUs = threadCPUSimulatedUs
  }
}
