// SPDX-License-Identifier: GPL-3.0-or-later
import Workloads

/// A VM: the request generator that drives it and the attached VDI it drives. Every VM is a
/// `RequestGenerator` (the built-in workload is ``BuiltInWorkload``); its `loop` says whether its
/// requests follow completions (closed loop) or arrive on their own clock (open loop).
struct VirtualMachine {
  let vdi: Int
  var generator: any RequestGenerator
}
