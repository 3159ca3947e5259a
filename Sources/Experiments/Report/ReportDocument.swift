// SPDX-License-Identifier: GPL-3.0-or-later

/// A report as a list of blocks, rendered twice: Markdown (plots linked as `plots/NAME.svg`) and one
/// self-contained HTML page (plots inlined as SVG). One structure, so the two never disagree.
public struct ReportDocument: Sendable {
  public enum Block: Sendable {
    case heading(level: Int, text: String)
    case paragraph(String)
    case bullets([String])
    case table(header: [String], rows: [[String]])
    /// A rendered plot (`svg` nil when it could not be drawn; `note` says why).
    case plot(name: String, title: String, svg: String?, note: String?)
  }

  public var title: String
  public var blocks: [Block] = []

  public init(title: String) { self.title = title }

  // MARK: Markdown

  public var markdown: String {
    var out = "# \(title)\n"
    for b in blocks {
      out += "\n"
      switch b {
      case .heading(let level, let text):
        out += String(repeating: "#", count: level) + " \(text)\n"
      case .paragraph(let text):
        out += text + "\n"
      case .bullets(let items):
        out += items.map { "- \($0)\n" }.joined()
      case .table(let header, let rows):
        func line(_ cells: [String]) -> String {
          "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        out += line(header) + "|" + String(repeating: "---|", count: header.count) + "\n"
        out += rows.map(line).joined()
      case .plot(let name, let title, let svg, let note):
        if svg != nil {
          out += "![\(title)](plots/\(name).svg)\n"
        } else {
          out += "*\(title): \(note ?? "not drawn")*\n"
        }
      }
    }
    return out
  }

  // MARK: HTML

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  /// Inline `code` spans and `**bold**` as the Markdown writes them.
  static func inline(_ s: String) -> String {
    var out = ""
    var code = false
    var bold = false
    let chars = Array(escape(s))
    var i = 0
    while i < chars.count {
      if chars[i] == "`" {
        out += code ? "</code>" : "<code>"
        code.toggle()
      } else if !code, chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "*" {
        out += bold ? "</strong>" : "<strong>"
        bold.toggle()
        i += 1
      } else {
        out.append(chars[i])
      }
      i += 1
    }
    return out
  }

  /// An SVG from gnuplot made safe to inline next to others: no XML declaration, and its element ids
  /// (`gpDot`, `gpPt0`, `gnuplot_canvas`, …) prefixed with the plot's name so pages with several plots
  /// keep unique ids.
  static func inlineSVG(_ svg: String, prefix: String) -> String {
    var text = svg
    if let start = text.range(of: "<svg") { text = String(text[start.lowerBound...]) }
    let p = prefix.replacingOccurrences(of: "-", with: "_") + "_"
    for id in ["gpDot", "gpPt", "gnuplot_"] { text = text.replacingOccurrences(of: id, with: p + id) }
    return text
  }

  public var html: String {
    var out = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>\(Self.escape(title))</title>
      <style>
      body { font-family: sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }
      table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 90%; display: block; overflow-x: auto; }
      th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; white-space: nowrap; }
      figure svg { max-width: 100%; height: auto; }
      th:first-child, td:first-child { text-align: left; }
      code { background: #f3f3f3; padding: 0 0.2em; }
      figure { margin: 1em 0; }
      </style>
      </head>
      <body>
      <h1>\(Self.escape(title))</h1>

      """
    for b in blocks {
      switch b {
      case .heading(let level, let text):
        out += "<h\(level)>\(Self.inline(text))</h\(level)>\n"
      case .paragraph(let text):
        out += "<p>\(Self.inline(text))</p>\n"
      case .bullets(let items):
        out += "<ul>\n" + items.map { "<li>\(Self.inline($0))</li>\n" }.joined() + "</ul>\n"
      case .table(let header, let rows):
        out += "<table>\n<tr>" + header.map { "<th>\(Self.inline($0))</th>" }.joined() + "</tr>\n"
        for r in rows { out += "<tr>" + r.map { "<td>\(Self.inline($0))</td>" }.joined() + "</tr>\n" }
        out += "</table>\n"
      case .plot(let name, let title, let svg, let note):
        if let svg {
          out += "<figure id=\"\(Self.escape(name))\">\n\(Self.inlineSVG(svg, prefix: name))"
          out += "<figcaption>\(Self.escape(title))</figcaption>\n</figure>\n"
        } else {
          out += "<p><em>\(Self.escape(title)): \(Self.escape(note ?? "not drawn"))</em></p>\n"
        }
      }
    }
    return out + "</body>\n</html>\n"
  }
}
