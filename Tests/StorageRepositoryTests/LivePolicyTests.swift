// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

@Suite struct LivePolicyTests {
  @Test("without an estimate the leaf qualifies below 20 MiB, exclusive")
  func noEstimateThreshold() {
    let policy = LiveCoalescePolicy()
    #expect(policy.canLiveCoalesce(allocatedBytes: 20 * miB - 1, speed: nil))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 20 * miB, speed: nil))
    #expect(policy.canLiveCoalesce(allocatedBytes: 0, speed: nil))
    // With 2 MiB blocks: 9 allocated blocks qualify, 10 do not.
    #expect(policy.canLiveCoalesce(VHDNode(uuid: "l", allocatedBlocks: 9), speed: nil))
    #expect(!policy.canLiveCoalesce(VHDNode(uuid: "l", allocatedBlocks: 10), speed: nil))
    // A speed that is not positive is no estimate.
    #expect(policy.canLiveCoalesce(allocatedBytes: 20 * miB - 1, speed: 0))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 20 * miB, speed: -5))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 20 * miB, speed: .nan))
  }

  @Test("with an estimate: floor(size / speed) < 5 s — exactly 5 s predicted does not qualify")
  func predictedFiveSeconds() {
    let policy = LiveCoalescePolicy()
    #expect(policy.allowedSeconds == 5)
    let speed = Double(miB)  // 1 MiB/s
    #expect(policy.canLiveCoalesce(allocatedBytes: 5 * miB - 1, speed: speed))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 5 * miB, speed: speed))
    #expect(policy.canLiveCoalesce(allocatedBytes: 500 * miB - 1, speed: 100 * speed))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 500 * miB, speed: 100 * speed))
    // An estimate overrides the 20 MiB rule both ways.
    #expect(policy.canLiveCoalesce(allocatedBytes: 400 * miB, speed: 100 * speed))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 10 * miB, speed: speed))
  }

  @Test("the floor matters when the allowance is fractional: 2.9 s predicted fits 2.5 s, 3 s does not")
  func floorSemantics() {
    let policy = LiveCoalescePolicy(timeoutSeconds: 5, safetyMargin: 0.5)
    #expect(policy.allowedSeconds == 2.5)
    #expect(policy.canLiveCoalesce(allocatedBytes: 2900, speed: 1000))
    #expect(!policy.canLiveCoalesce(allocatedBytes: 3000, speed: 1000))
  }

  @Test("force: always live and no timeout")
  func force() {
    let policy = LiveCoalescePolicy(force: true)
    #expect(policy.canLiveCoalesce(allocatedBytes: 1024 * giB, speed: nil))
    #expect(policy.canLiveCoalesce(allocatedBytes: 1024 * giB, speed: 1))
    #expect(policy.copyTimeoutSeconds == nil)
    #expect(LiveCoalescePolicy().copyTimeoutSeconds == 10)
  }

  @Test("XCP-ng 8.2 judges the physical size, upstream the allocated size")
  func physicalVersusAllocated() {
    let node = VHDNode(uuid: "l", physicalSize: 30 * miB, allocatedBlocks: 5)
    #expect(LiveCoalescePolicy().judgedSize(of: node) == 10 * miB)
    #expect(LiveCoalescePolicy().canLiveCoalesce(node, speed: nil))
    let xcpng82 = LiveCoalescePolicy(liveTest: .xcpNG82)
    #expect(xcpng82.judgedSize(of: node) == 30 * miB)
    #expect(!xcpng82.canLiveCoalesce(node, speed: nil))
    // With an estimate of 4 MiB/s: 10 MiB is 2.5 s (live), 30 MiB is 7.5 s (not).
    #expect(LiveCoalescePolicy().canLiveCoalesce(node, speed: Double(4 * miB)))
    #expect(!xcpng82.canLiveCoalesce(node, speed: Double(4 * miB)))
  }

  @Test(
    "b43525c test_canLiveCoalesce: size 10 at 10 B/s live, at 0.1 B/s not; force; 20 MiB + 1 without estimate"
  )
  func smCanLiveCoalesceExamples() {
    for test in LiveCoalescePolicy.LiveTest.allCases {
      let policy = LiveCoalescePolicy(liveTest: test)
      let forced = LiveCoalescePolicy(force: true, liveTest: test)
      #expect(policy.canLiveCoalesce(allocatedBytes: 10, speed: 10), "\(test)")
      #expect(!policy.canLiveCoalesce(allocatedBytes: 10, speed: 0.1), "\(test)")
      #expect(forced.canLiveCoalesce(allocatedBytes: 10, speed: 10), "\(test)")
      #expect(forced.canLiveCoalesce(allocatedBytes: 10, speed: 0.1), "\(test)")
      #expect(!policy.canLiveCoalesce(allocatedBytes: 20 * miB + 1, speed: nil), "\(test)")
      #expect(forced.canLiveCoalesce(allocatedBytes: 20 * miB + 1, speed: nil), "\(test)")
      #expect(policy.canLiveCoalesce(allocatedBytes: 10, speed: nil), "\(test)")
      #expect(forced.canLiveCoalesce(allocatedBytes: 10, speed: nil), "\(test)")
    }
  }

  @Test("boundaries: with the default 5 s the floor changes nothing; with 2.5 s it admits 2.5 … < 3 s")
  func floorVersusTrueDivision() {
    let upstream = LiveCoalescePolicy()
    let xcpng82 = LiveCoalescePolicy(liveTest: .xcpNG82)
    // floor(x) < 5 exactly when x < 5: both agree at the integer allowance.
    for (bytes, live) in [(4999, true), (5000, false), (5001, false), (5999, false)] {
      #expect(upstream.canLiveCoalesce(allocatedBytes: UInt64(bytes), speed: 1000) == live, "\(bytes)")
      #expect(xcpng82.canLiveCoalesce(allocatedBytes: UInt64(bytes), speed: 1000) == live, "\(bytes)")
    }
    let shortUpstream = LiveCoalescePolicy(timeoutSeconds: 5, safetyMargin: 0.5)
    let short82 = LiveCoalescePolicy(timeoutSeconds: 5, safetyMargin: 0.5, liveTest: .xcpNG82)
    #expect(short82.allowedSeconds == 2.5)
    // 2.4 s both; 2.5 s and 2.9 s only upstream (floor 2 < 2.5); 3 s neither.
    for (bytes, up, old) in [
      (2400, true, true), (2500, true, false), (2900, true, false), (3000, false, false),
    ] {
      #expect(shortUpstream.canLiveCoalesce(allocatedBytes: UInt64(bytes), speed: 1000) == up, "\(bytes)")
      #expect(short82.canLiveCoalesce(allocatedBytes: UInt64(bytes), speed: 1000) == old, "\(bytes)")
    }
    // Without an estimate both use the 20 MiB limit, exclusive.
    #expect(xcpng82.canLiveCoalesce(allocatedBytes: 20 * miB - 1, speed: nil))
    #expect(!xcpng82.canLiveCoalesce(allocatedBytes: 20 * miB, speed: nil))
  }

  @Test("speed samples: the bytes copied upstream, the child's physical size for XCP-ng 8.2")
  func speedSampleBytes() {
    #expect(LiveCoalescePolicy.LiveTest.upstream.speedSampleBytes(copied: 7, childPhysicalSize: 90) == 7)
    #expect(LiveCoalescePolicy.LiveTest.xcpNG82.speedSampleBytes(copied: 7, childPhysicalSize: 90) == 90)
    let old = LiveCoalescePolicy(liveTest: .xcpNG82)
    #expect(LeafCoalesceDesign.liveOnly(old).speedSampleBytes(copied: 7, childPhysicalSize: 90) == 90)
    #expect(
      LeafCoalesceDesign.sm(old, .v2022).speedSampleBytes(copied: 7, childPhysicalSize: 90)
        == 90)
    #expect(
      LeafCoalesceDesign.sm(.xcp, .v2025_09).speedSampleBytes(copied: 7, childPhysicalSize: 90)
        == 7)
    #expect(
      LeafCoalesceDesign.mirror(MirrorParameters()).speedSampleBytes(copied: 7, childPhysicalSize: 90) == 7)
    #expect(LiveCoalescePolicy.LiveTest.allCases.map(\.rawValue) == ["upstream", "xcp-ng-8.2"])
  }

  @Test("validation names the field")
  func validation() throws {
    try LiveCoalescePolicy().validate()
    #expect(throws: LeafCoalesceDesignError.invalidParameter(field: "timeoutSeconds", value: "0.0")) {
      try LiveCoalescePolicy(timeoutSeconds: 0).validate()
    }
    #expect(throws: LeafCoalesceDesignError.invalidParameter(field: "safetyMargin", value: "1.5")) {
      try LiveCoalescePolicy(safetyMargin: 1.5).validate()
    }
  }
}

@Suite struct CoalesceSpeedLogTests {
  @Test("no samples, or only zero-duration runs: no estimate")
  func empty() {
    var log = CoalesceSpeedLog()
    #expect(log.estimate == nil)
    log.record(bytes: 100 * miB, seconds: 0)
    log.record(bytes: 100 * miB, seconds: -1)
    log.record(bytes: 100 * miB, seconds: .infinity)
    #expect(log.count == 0)
    #expect(log.estimate == nil)
  }

  @Test("the estimate is the mean of per-run speeds, not total bytes over total time")
  func meanOfRatios() {
    var log = CoalesceSpeedLog()
    log.record(bytes: 100 * miB, seconds: 1)
    log.record(bytes: 100 * miB, seconds: 4)
    #expect(log.estimate == Double(125 * miB) / 2)  // (100 + 25) / 2 MiB/s, not 200/5 = 40
  }

  @Test("only the last 10 samples are kept, oldest dropped")
  func ring() {
    var log = CoalesceSpeedLog()
    for megabytes in 1...11 { log.record(bytes: UInt64(megabytes) * miB, seconds: 1) }
    #expect(log.count == 10)
    #expect(log.samples.map { $0.bytes / miB } == Array(2...11))
    #expect(log.estimate == 6.5 * Double(miB))
    log.record(bytes: 12 * miB, seconds: 2)
    #expect(log.samples.map { $0.bytes / miB } == Array(3...12))
    #expect(log.estimate == Double(69 * miB) / 10)  // (3 + … + 11 + 12/2) / 10 MiB/s
    log.removeAll()
    #expect(log.estimate == nil)
  }

  @Test(
    "b43525c test_calcStorageSpeed / test_recordStorageSpeed_*: 5 B in 2 s, 9 B in 5 s, 0 s records nothing")
  func smSpeedExamples() {
    var log = CoalesceSpeedLog()
    log.record(bytes: 5, seconds: 0)
    #expect(log.count == 0)
    log.record(bytes: 9, seconds: 5)
    #expect(log.samples.map(\.speed) == [1.8])
    log.record(bytes: 5, seconds: 2)
    #expect(log.samples.map(\.speed) == [1.8, 2.5])
  }

  @Test("zero-byte samples count, and a zero mean is no estimate")
  func zeroBytes() {
    var log = CoalesceSpeedLog()
    log.record(bytes: 0, seconds: 3)
    #expect(log.count == 1)
    #expect(log.estimate == nil)
    log.record(bytes: 30, seconds: 1)
    #expect(log.estimate == 15)
  }
}

@Suite struct LeafCoalesceDesignTests {
  @Test("names round-trip; an unknown name is a typed error listing the valid ones")
  func names() throws {
    for name in LeafCoalesceDesign.names {
      #expect(try LeafCoalesceDesign(name: name).name == name)
    }
    #expect(try LeafCoalesceDesign(name: "sm") == .sm(.xcp, .v2025_09))
    #expect(
      try LeafCoalesceDesign(name: "mirror")
        == .mirror(MirrorParameters(maxPasses: 8, finalDeltaBytes: 8 * miB)))
    let error = #expect(throws: LeafCoalesceDesignError.self) { try LeafCoalesceDesign(name: "Live") }
    #expect(error == .unknownDesign("Live"))
    #expect(
      error?.description
        == "unknown leaf-coalesce design 'Live' (expected one of: none, sm, force, live-only, offline, mirror)"
    )
    // The names earlier releases used say what they became instead of silently changing meaning.
    #expect(throws: LeafCoalesceDesignError.renamedDesign(old: "snapshot-coalesce", new: "sm")) {
      try LeafCoalesceDesign(name: "snapshot-coalesce")
    }
    #expect(throws: LeafCoalesceDesignError.renamedDesign(old: "live", new: "live-only")) {
      try LeafCoalesceDesign(name: "live")
    }
    #expect(LeafCoalesceDesign.all.filter(\.isHypothetical).map(\.name) == ["live-only", "mirror"])
    // offline is the LVM plugin's: refused on a file SR, accepted on LVM.
    #expect(throws: LeafCoalesceDesignError.offlineNeedsLVM) {
      try LeafCoalesceDesign.offline(OfflineParameters()).validate(for: .file)
    }
    try LeafCoalesceDesign.offline(OfflineParameters()).validate(for: .lvm(.thick))
    // force and offline run the live step under sm's forced policy: no limit, no timeout.
    #expect(LeafCoalesceDesign.force.livePolicy?.copyTimeoutSeconds == nil)
    #expect(LeafCoalesceDesign.force.livePolicy?.canLiveCoalesce(allocatedBytes: 1 << 40, speed: 1) == true)
  }

  @Test("mirror pauses when the last pass dirtied under 8 MiB or passes run out")
  func mirrorPause() throws {
    let mirror = MirrorParameters()
    #expect(mirror.shouldPause(afterPass: 1, dirtyBytes: 8 * miB - 1))
    #expect(!mirror.shouldPause(afterPass: 1, dirtyBytes: 8 * miB))
    #expect(!mirror.shouldPause(afterPass: 7, dirtyBytes: giB))
    #expect(mirror.shouldPause(afterPass: 8, dirtyBytes: giB))
    try LeafCoalesceDesign.mirror(mirror).validate()
    #expect(throws: LeafCoalesceDesignError.invalidParameter(field: "maxPasses", value: "0")) {
      try LeafCoalesceDesign.mirror(MirrorParameters(maxPasses: 0)).validate()
    }
    #expect(throws: LeafCoalesceDesignError.invalidParameter(field: "safetyMargin", value: "0.0")) {
      try LeafCoalesceDesign.sm(LiveCoalescePolicy(safetyMargin: 0), .v2019).validate()
    }
  }
}
