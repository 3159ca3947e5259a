// SPDX-License-Identifier: GPL-3.0-or-later
import Synchronization

/// One export run shared by its workers: worker w reads blocks w, w + n, w + 2n, … through its own
/// chain (chains are not thread-safe; each worker owns one), scans them for zero pages and
/// writes the rest. Counters and the first failure are merged under a mutex.
final class ExportJob: @unchecked Sendable {
  // @unchecked: each worker touches only chains[worker] and its own buffer; shared state is in `state`.
  private let chains: [VHDChain]
  private let output: any BlockDevice
  private let blocks: Int
  private let workers: Int
  private let spb: Int
  private let progress: ExportProgress
  private let state = Mutex(VHDExport.Result(bytesWritten: 0, blocksSkipped: 0, blocksRead: 0))
  private let failure = Mutex<(any Error)?>(nil)

  init(
    chains: [VHDChain], output: any BlockDevice, blocks: Int, workers: Int, spb: Int, progress: ExportProgress
  ) {
    self.chains = chains
    self.output = output
    self.blocks = blocks
    self.workers = workers
    self.spb = spb
    self.progress = progress
  }

  func run(worker: Int) {
    let chain = chains[worker]
    let size = chain.virtualSize
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: spb * 512, alignment: 4096)
    defer { buffer.deallocate() }
    var accounting = RequestAccounting(depth: chain.depth)
    // Whole-block export: read each level's runs of a block in as few calls as possible.
    let savedGap = chain.mergeGapSectors
    chain.mergeGapSectors = spb
    defer { chain.mergeGapSectors = savedGap }
    var local = VHDExport.Result(bytesWritten: 0, blocksSkipped: 0, blocksRead: 0)
    var block = worker
    while block < blocks {
      if failure.withLock({ $0 != nil }) { return }
      let lba = UInt64(block) * UInt64(spb)
      let count = Int(min(UInt64(spb), size / 512 - lba))
      if VHDExport.anyLevelHolds(chain, block: block, lba: lba) {
        do {
          try chain.read(sector: lba, count: count, into: buffer, accounting: &accounting)
          local.bytesWritten += try VHDExport.writeNonZero(
            buffer, bytes: count * 512, at: lba * 512, to: output)
          local.blocksRead += 1
        } catch {
          failure.withLock { if $0 == nil { $0 = error } }
          return
        }
      } else {
        local.blocksSkipped += 1
      }
      if worker == 0 { progress.report(block) }
      block += workers
    }
    state.withLock {
      $0.bytesWritten += local.bytesWritten
      $0.blocksRead += local.blocksRead
      $0.blocksSkipped += local.blocksSkipped
    }
  }

  /// The merged counters, or the first failure of any worker.
  func result() throws -> VHDExport.Result {
    if let e = failure.withLock({ $0 }) { throw e }
    return state.withLock { $0 }
  }
}

/// Progress of an export, reported by worker 0 only (callers' closures need not be thread-safe).
final class ExportProgress: @unchecked Sendable {
  // @unchecked: only worker 0 calls `report`.
  let blocks: Int
  let progress: ((Double) -> Void)?
  init(blocks: Int, progress: ((Double) -> Void)?) {
    self.blocks = blocks
    self.progress = progress
  }
  func report(_ block: Int) {
    if let progress, block % 64 == 0 { progress(Double(block) / Double(blocks)) }
  }
}
