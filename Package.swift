// swift-tools-version:6.2
// VHDSim — simulation and performance model of VHD snapshot chains as Xen/XCP runs them.
// SPDX-License-Identifier: GPL-3.0-or-later
import PackageDescription

let package = Package(
  name: "VHDSim",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "vhdsim", targets: ["vhdsim"]),
    .library(name: "VHD", targets: ["VHD"]),
    .library(name: "Simulation", targets: ["Simulation"]),
    .library(name: "Statistics", targets: ["Statistics"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    // Linux calls Glibc does not expose to Swift: fallocate punch-hole, SEEK_DATA/SEEK_HOLE.
    .target(name: "CFileOps"),
    // GSL as a system library (GPL-3; the project is GPL-3.0-or-later).
    .systemLibrary(name: "CGSL", pkgConfig: "gsl", providers: [.apt(["libgsl-dev"])]),
    // SplitMix64, the one seeded generator: the output function and the RandomNumberGenerator on it.
    // Depends on nothing, so the engine and the kernel share it without importing each other.
    .target(name: "SeededRandom"),
    // The VHD engine: on-disk format, images, chains, devices, accounting. Knows nothing of time.
    .target(name: "VHD", dependencies: ["CFileOps", "SeededRandom"]),
    // An SR as XCP's storage manager sees it: VDI records, snapshots, space rules, GC planning. Knows nothing of time.
    .target(name: "StorageRepository", dependencies: ["VHD"]),
    // The discrete-event kernel: clock, event queue, processes, resources, random streams.
    .target(name: "Simulation", dependencies: ["CGSL", "SeededRandom"]),
    // Output analysis over GSL: summaries, confidence intervals, tests, bootstrap, histograms, fits.
    .target(name: "Statistics", dependencies: ["CGSL"]),
    // Benchmarks of the engine and the kernel, side by side with peers (qemu-img, SimPy).
    // The simulated system: disks, SR placement, tapdisks, VMs, metrics.
    .target(name: "Pool", dependencies: ["VHD", "Simulation", "Workloads", "StorageRepository"]),
    // Guest request streams: synthetic mixes, the fragmenting writer, trace replay. Knows nothing of VHD.
    .target(name: "Workloads", dependencies: ["Simulation"]),
    .target(
      name: "Benchmarking",
      dependencies: [
        "VHD", "Simulation", "Pool", "StorageRepository", "Statistics", "Workloads", "Experiments",
        "CFileOps", "SeededRandom",
      ]),
    // Scenario files (YAML) and their expansion into runs: policies × sweep points × replicates.
    .target(
      name: "Experiments",
      dependencies: [
        "Pool", "StorageRepository", "Workloads", "VHD", "Simulation", "Statistics",
        .product(name: "Yams", package: "Yams"),
      ]
    ),
    .executableTarget(
      name: "vhdsim",
      dependencies: [
        "VHD", "Simulation", "Pool", "StorageRepository", "Benchmarking", "Workloads", "Experiments",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      plugins: ["BuildCommit"]
    ),
    // Stamps the git commit into vhdsim (`--version`), from git, a `git archive` tarball, or "unknown".
    .plugin(name: "BuildCommit", capability: .buildTool()),
    .testTarget(name: "VHDTests", dependencies: ["VHD"]),
    .testTarget(name: "StorageRepositoryTests", dependencies: ["StorageRepository", "VHD"]),
    .testTarget(name: "SimulationTests", dependencies: ["Simulation"]),
    .testTarget(name: "StatisticsTests", dependencies: ["Statistics"]),
    .testTarget(name: "PoolTests", dependencies: ["Pool", "Workloads", "StorageRepository"]),
    .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "CGSL"]),
    .testTarget(name: "BenchmarkingTests", dependencies: ["Benchmarking"], exclude: ["Fixtures"]),
    .testTarget(name: "vhdsimTests", dependencies: ["vhdsim"]),
    .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Pool", "Simulation", "Statistics"]),
    // sm's rules, each with its source reference, checked through the SR and the pool
    // (docs/storage-manager.md).
    .testTarget(name: "FidelityTests", dependencies: ["Pool", "StorageRepository", "VHD", "Simulation"]),
  ],
  swiftLanguageModes: [.v6]
)
