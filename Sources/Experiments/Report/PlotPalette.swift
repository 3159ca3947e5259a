// SPDX-License-Identifier: GPL-3.0-or-later

/// The report's fixed colours, indexed by a policy's position in the scenario, so `batmap-off` is the
/// same colour in the latency CDF as in the depth plot. Okabe and Ito's colour-blind-safe set (yellow
/// left out: it vanishes on white), then greys.
public enum PlotPalette {
  public static let colors = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#7F7F7F",
  ]
  /// gnuplot point types: filled circle, square, triangle up, diamond, triangle down, open circle.
  static let pointTypes = [7, 5, 9, 13, 11, 6]

  public static func color(_ index: Int) -> String { colors[index % colors.count] }
}
