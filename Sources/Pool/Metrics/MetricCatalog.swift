// SPDX-License-Identifier: GPL-3.0-or-later

/// The registry: every metric a run can produce. Per-request figures divide by the requests the run
/// completed (0 when it completed none).
extension Metric {
  // MARK: Every run

  public static let readLatencyP50 = Metric(
    "read_latency_p50_us", unit: "µs", .lowerIsBetter, .run, "Median response time of guest reads.",
    across: .percentile(histogram: "read", q: 0.5))
  public static let readLatencyP99 = Metric(
    "read_latency_p99_us", unit: "µs", .lowerIsBetter, .run, "99th percentile response time of guest reads.",
    across: .percentile(histogram: "read", q: 0.99))
  public static let writeLatencyP99 = Metric(
    "write_latency_p99_us", unit: "µs", .lowerIsBetter, .run,
    "99th percentile response time of guest writes.", across: .percentile(histogram: "write", q: 0.99))
  public static let latencyMean = Metric(
    "latency_mean_us", unit: "µs", .lowerIsBetter, .run, "Mean response time of every guest request.",
    across: .requestWeightedMean)
  public static let iops = Metric(
    "iops", unit: "requests/s", .higherIsBetter, .run, "Guest requests completed per simulated second.",
    across: .sum)
  public static let batProbesPerRequest = Metric(
    "bat_probes_per_request", unit: "per request", .lowerIsBetter, .run,
    "BAT entries looked up, over every level, per request.", across: .requestWeightedMean)
  public static let bitmapReadsPerRequest = Metric(
    "bitmap_reads_per_request", unit: "per request", .lowerIsBetter, .run,
    "Sector bitmaps read from the device (bitmap cache misses) per request.", across: .requestWeightedMean)
  public static let bitmapCacheHitsPerRequest = Metric(
    "bitmap_cache_hits_per_request", unit: "per request", .neither, .run,
    "Sector bitmaps found in the bitmap cache per request.", across: .requestWeightedMean)
  public static let batmapShortcutsPerRequest = Metric(
    "batmap_shortcuts_per_request", unit: "per request", .neither, .run,
    "Blocks served through the BATmap (full block, no bitmap consulted) per request.",
    across: .requestWeightedMean)
  public static let levelsProbedPerRequest = Metric(
    "levels_probed_per_request", unit: "levels per request", .lowerIsBetter, .run,
    "Chain levels a request walked before every sector was resolved.", across: .requestWeightedMean)
  public static let physicalIOsPerRequest = Metric(
    "physical_ios_per_request", unit: "device I/Os per request", .lowerIsBetter, .run,
    "Device I/Os (data and metadata) per guest request.", across: .requestWeightedMean)
  public static let chainDepth = Metric(
    "chain_depth", unit: "levels", .neither, .run,
    "The depth of the chain built before the run (`chain.depth`).", across: .same)

  public static let warmupSeconds = Metric(
    "warmup_seconds", unit: "s", .neither, .run,
    "Simulated time cut as warm-up before any other metric was measured (docs/simulation.md#warm-up).",
    across: .max)
  public static let warmupRequests = Metric(
    "warmup_requests", unit: "count", .neither, .run,
    "Completed guest requests cut as warm-up and left out of every other metric.", across: .sum)

  /// `bitmap_lookups_per_request_level_K`, for every level K below the run's `chain_depth`.
  public static let bitmapLookupsPerRequestLevel = MetricFamily(
    prefix: "bitmap_lookups_per_request_level_", parameter: "K",
    parameterMeaning: "the chain level, 0 = leaf, for every level below `chain_depth`",
    unit: "per request", summary: "Bitmap consults (cache hits and reads) at level K per request.",
    direction: .lowerIsBetter, scope: .run, aggregation: .requestWeightedMean)

  /// The metrics every run records, in report order (then the family, level by level).
  public static let runMetrics: [Metric] = [
    readLatencyP50, readLatencyP99, writeLatencyP99, latencyMean, iops, batProbesPerRequest,
    bitmapReadsPerRequest, bitmapCacheHitsPerRequest, batmapShortcutsPerRequest, levelsProbedPerRequest,
    physicalIOsPerRequest, chainDepth, warmupSeconds, warmupRequests,
  ]

  /// Every run metric of a chain of `depth` levels, in report order.
  public static func runMetrics(depth: Int) -> [Metric] {
    runMetrics + (0..<depth).map { bitmapLookupsPerRequestLevel($0) }
  }

  // MARK: Managed-SR runs

  public static let gcRuns = Metric(
    "gc_runs", unit: "count", .neither, .gc, "GC processes started (a kick on an idle SR).", across: .sum)
  public static let gcKicks = Metric(
    "gc_kicks", unit: "count", .neither, .gc, "Kicks of the GC in total (attach, deletes, scans).",
    across: .sum)
  public static let gcKicksIgnored = Metric(
    "gc_kicks_ignored", unit: "count", .neither, .gc, "Kicks that found a GC process alive and were ignored.",
    across: .sum)
  public static let gcGarbageCollected = Metric(
    "gc_garbage_collected", unit: "count", .neither, .gc, "Garbage nodes (hidden, childless) deleted.",
    across: .sum)
  public static let gcCoalesces = Metric(
    "gc_coalesces", unit: "count", .neither, .gc,
    "Completed non-leaf coalesces (snapshot-coalesce iterations included).", across: .sum)
  public static let gcLeafCoalesces = Metric(
    "gc_leaf_coalesces", unit: "count", .neither, .gc, "Completed leaf coalesces.", across: .sum)
  public static let gcBytesCopied = Metric(
    "gc_bytes_copied", unit: "bytes", .lowerIsBetter, .gc, "Payload the GC copied in total.", across: .sum)
  public static let gcBytesCopiedNonLeaf = Metric(
    "gc_bytes_copied_nonleaf", unit: "bytes", .lowerIsBetter, .gc, "Payload copied by non-leaf coalesces.",
    across: .sum)
  public static let gcBytesCopiedLeaf = Metric(
    "gc_bytes_copied_leaf", unit: "bytes", .lowerIsBetter, .gc,
    "Payload copied by leaf copies (mirror passes included).", across: .sum)
  public static let gcBusy = Metric(
    "gc_busy_s", unit: "s", .lowerIsBetter, .gc, "Simulated time at least one GC operation was running.",
    across: .sum)
  public static let gcActive = Metric(
    "gc_active_s", unit: "s", .neither, .gc,
    "Simulated time a GC process was alive (quiet periods included).", across: .sum)
  public static let gcFailedTargets = Metric(
    "gc_failed_targets", unit: "count", .lowerIsBetter, .gc, "Targets a GC process remembered as failed.",
    across: .sum)
  public static let leafAttempts = Metric(
    "leaf_attempts", unit: "count", .neither, .gc, "Leaf-coalesce attempts.", across: .sum)
  public static let leafIterations = Metric(
    "leaf_iterations", unit: "count", .neither, .gc, "Snapshot-coalesce iterations over all attempts.",
    across: .sum)
  public static let leafGiveUps = Metric(
    "leaf_give_ups", unit: "count", .lowerIsBetter, .gc, "Snapshot-coalesce attempts the tracker gave up.",
    across: .sum)
  public static let leafTimeouts = Metric(
    "leaf_timeouts", unit: "count", .lowerIsBetter, .gc, "Paused copies killed at `live_timeout` and undone.",
    across: .sum)
  public static let leafNoSpace = Metric(
    "leaf_no_space", unit: "count", .lowerIsBetter, .gc,
    "Leaf-coalesce attempts stopped for lack of free space.", across: .sum)
  public static let leafNotAllowed = Metric(
    "leaf_not_allowed", unit: "count", .neither, .gc,
    "`live-only` (hypothetical) attempts refused: predicted copy over the margin, or too big without an estimate.",
    across: .sum)
  public static let leafPauseMax = Metric(
    "leaf_pause_s_max", unit: "s", .lowerIsBetter, .gc,
    "Longest tapdisk pause of the leaf attempts that paused.", across: .max)
  public static let leafPauseMean = Metric(
    "leaf_pause_s_mean", unit: "s", .lowerIsBetter, .gc,
    "Mean tapdisk pause of the leaf attempts that paused.", across: .pauseWeightedMean)
  public static let pauseTotal = Metric(
    "pause_s_total", unit: "s", .lowerIsBetter, .gc,
    "Every pause the SR layer caused (snapshots, GC refreshes, leaf coalesces), summed over all VDIs.",
    across: .sum)
  public static let pauseMax = Metric(
    "pause_s_max", unit: "s", .lowerIsBetter, .gc, "The longest pause the SR layer caused any VDI.",
    across: .max)
  public static let chainDepthMax = Metric(
    "chain_depth_max", unit: "levels", .lowerIsBetter, .gc, "Deepest chain of any VDI during the run.",
    across: .max)
  public static let chainDepthTimeAverage = Metric(
    "chain_depth_time_avg", unit: "levels", .lowerIsBetter, .gc,
    "Each VDI's chain depth averaged over the run, then over the VDIs.", across: .vdiWeightedMean)
  public static let chainDepthAfterGC = Metric(
    "chain_depth_after_gc", unit: "levels", .lowerIsBetter, .gc,
    "Deepest chain of any VDI at the end of the run.", across: .max)
  public static let spacePeak = Metric(
    "space_peak_bytes", unit: "bytes", .lowerIsBetter, .gc, "The SR's physical utilisation at its peak.",
    across: .peakOfSum(series: "sr_physical_utilisation_bytes"))
  public static let spaceFinal = Metric(
    "space_final_bytes", unit: "bytes", .lowerIsBetter, .gc,
    "The SR's physical utilisation at the end of the run.", across: .sum)

  /// `GCResult.metrics`' names, in the documented order.
  public static let gcMetrics: [Metric] = [
    gcRuns, gcKicks, gcKicksIgnored, gcGarbageCollected, gcCoalesces, gcLeafCoalesces, gcBytesCopied,
    gcBytesCopiedNonLeaf, gcBytesCopiedLeaf, gcBusy, gcActive, gcFailedTargets, leafAttempts, leafIterations,
    leafGiveUps, leafTimeouts, leafNoSpace, leafNotAllowed, leafPauseMax, leafPauseMean, pauseTotal, pauseMax,
    chainDepthMax, chainDepthTimeAverage, chainDepthAfterGC, spacePeak, spaceFinal,
  ]

  // MARK: Snapshot-coalesce fit

  public static let scIterations = Metric(
    "sc_iterations", unit: "count", .neither, .snapshotCoalesce, "Snapshot-coalesce iterations the fit used.",
    across: .sum)
  public static let scCopiedLastBytes = Metric(
    "sc_copied_last_bytes", unit: "bytes", .lowerIsBetter, .snapshotCoalesce,
    "Payload the last iteration's coalesce copied (to compare with the fixed point).", across: .meanOverSRs)
  public static let scWriteRate = Metric(
    "sc_write_bytes_per_s", unit: "bytes/s", .neither, .snapshotCoalesce,
    "The guest's write rate w: payload each iteration copied over the time since the previous one's snapshot.",
    across: .meanOverSRs)
  public static let scCoalesceRate = Metric(
    "sc_coalesce_bytes_per_s", unit: "bytes/s", .higherIsBetter, .snapshotCoalesce,
    "The coalesce rate s: payload copied over copy time.", across: .meanOverSRs)
  public static let scOverhead = Metric(
    "sc_overhead_s", unit: "s", .lowerIsBetter, .snapshotCoalesce,
    "The fixed cost c per iteration (pause, snapshot and overhead before each copy).", across: .meanOverSRs)
  public static let scFixedPoint = Metric(
    "sc_fixed_point_bytes", unit: "bytes", .lowerIsBetter, .snapshotCoalesce,
    "The predicted fixed point w·c/(1 − w/s) of the copy size (docs/storage-manager.md#fixed-point; absent when w ≥ s).",
    across: .meanOverSRs)

  public static let scPredictedLive = Metric(
    "sc_predicted_live", unit: "0 or 1", .neither, .snapshotCoalesce,
    "Fixed point's prediction: 1 if the rounds end in the live step (w·c/(1 − w/s) copies within the "
      + "live test's 5 s at the fitted w, s, c), 0 if they end in a give-up (or w ≥ s); set beside "
      + "gc_leaf_coalesces. Payload sizes; the live test judges allocated blocks.", across: .min)

  public static let snapshotCoalesceMetrics: [Metric] = [
    scIterations, scCopiedLastBytes, scWriteRate, scCoalesceRate, scOverhead, scFixedPoint, scPredictedLive,
  ]

  // MARK: Consistency-check runs

  public static let consistent = Metric(
    "consistent", unit: "0 or 1", .higherIsBetter, .consistency,
    "1 when every snapshot (and every checked file) matched the write log, else 0.", across: .min)
  public static let snapshotsTaken = Metric(
    "snapshots_taken", unit: "count", .neither, .consistency, "Snapshots taken (the script's `count`, or 4).",
    across: .sum)
  public static let snapshotsNotTaken = Metric(
    "snapshots_not_taken", unit: "count", .neither, .consistency, "Scheduled snapshots the run ended before.",
    across: .sum)
  public static let writesChecked = Metric(
    "writes_checked", unit: "count", .neither, .consistency,
    "Guest writes the snapshots' expected states are made of, summed over the snapshots.", across: .sum)
  public static let sectorsChecked = Metric(
    "sectors_checked", unit: "count", .neither, .consistency,
    "Sectors compared (those any write touched), summed over the snapshots.", across: .sum)
  public static let lateWrites = Metric(
    "late_writes", unit: "count", .lowerIsBetter, .consistency,
    "Writes before a snapshot's cut that completed only after the snapshot was taken.", across: .sum)
  public static let dataMismatches = Metric(
    "data_mismatches", unit: "count", .lowerIsBetter, .consistency,
    "Snapshots whose content differs from the write log.", across: .sum)
  public static let snapshotStallMax = Metric(
    "snapshot_stall_ms_max", unit: "ms", .lowerIsBetter, .consistency,
    "The longest pause a snapshot cost the guest (drain, snapshot, reopen).", across: .max)
  public static let filesDurable = Metric(
    "files_durable", unit: "count", .neither, .consistency,
    "Package installs only: files whose rename became durable during the run.", across: .sum)
  public static let filesChecked = Metric(
    "files_checked", unit: "count", .neither, .consistency,
    "Package installs only: (snapshot, file) pairs checked.", across: .sum)
  public static let fileMismatches = Metric(
    "file_mismatches", unit: "count", .lowerIsBetter, .consistency,
    "Package installs only: files durable before a snapshot but not whole in it.", across: .sum)

  public static let consistencyMetrics: [Metric] = [
    consistent, snapshotsTaken, snapshotsNotTaken, writesChecked, sectorsChecked, lateWrites, dataMismatches,
    snapshotStallMax, filesDurable, filesChecked, fileMismatches,
  ]

  // MARK: The registry

  /// Every fixed metric a run can produce, scope by scope.
  public static let all: [Metric] = runMetrics + gcMetrics + snapshotCoalesceMetrics + consistencyMetrics

  /// Every parameterised family.
  public static let families: [MetricFamily] = [bitmapLookupsPerRequestLevel]
}
