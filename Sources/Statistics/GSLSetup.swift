// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Turns GSL's error handler off, once per process, before this module calls GSL.
///
/// The default handler prints and calls `abort()`; this module checks return codes and NaN instead and
/// throws `StatisticsError`. A Swift global is initialised lazily and thread-safely on first read, so
/// reading it is the "once" guard. The handler is process-wide: the Simulation module turns it off too,
/// and turning it off twice is harmless.
let gslErrorHandlerDisabled: Bool = {
  _ = gsl_set_error_handler_off()
  return true
}()

/// Call at the top of every entry point that reaches GSL.
@inline(__always)
func prepareGSL() {
  _ = gslErrorHandlerDisabled
}
