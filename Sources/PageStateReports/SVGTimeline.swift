import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes the timelines of replays as one SVG image (`--timeline OUT.svg`).
///
/// One panel per policy on a shared time axis. In a panel: one row per page
/// (or per folio or range of pages, as the recorder grouped them), trace time
/// across, the state as colour (legend at the top); findings as marks on their
/// page's row, with the finding and its trace line in a `<title>` tooltip;
/// below, one row per actor that waited or ran DMA, with waits as grey bars
/// (purple when they never end) and DMA windows as thin cyan bars.
///
/// The size is bounded whatever the trace: at most `maxRuns` state rectangles
/// and `maxMarks` marks per panel (marks at the same spot merge).
public struct SVGTimeline {
  /// Trace lines by number, quoted in the tooltips.
  public var quotes: [Int: String]
  /// Image width in pixels.
  public var width = 1100
  public var maxRuns = 20_000
  public var maxMarks = 200
  /// Wait or DMA bars per actor row at most.
  public var maxBars = 120
  /// Actor rows per panel at most (those that waited longest first).
  public var maxActors = 32

  public init(quotes: [Int: String] = [:]) {
    self.quotes = quotes
  }

  static let labelWidth = 190.0
  static let rightMargin = 24.0
  static let actorRowHeight = 16.0

  /// The colour of a state name (known names have fixed colours).
  public static func colour(of state: String) -> String {
    switch state {
    case "nonsecure": return "#d9d9d9"
    case "secure", "private": return "#4c78a8"
    case "shared": return "#9ecae9"
    case "pinned-shared", "shared+pinned": return "#54a24b"
    case "exported": return "#f58518"
    case "private-unvalidated": return "#b279a2"
    case "other": return "#bab0ac"
    default:
      let palette = ["#eeca3b", "#9d755d", "#72b7b2", "#ff9da6", "#8c6d31"]
      return palette[state.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xffff } % palette.count]
    }
  }

  /// The colour of a finding mark by severity.
  public static func colour(of severity: Severity) -> String {
    switch severity {
    case .warning: return "#ffbf00"
    case .error: return "#d62728"
    case .hang: return "#6a1b9a"
    }
  }

  public func write(_ results: [ReplayResult], file: String, to out: inout some TextOutputStream) {
    let panels = results.compactMap { r in r.timeline.map { (r, $0) } }
    let w = Double(width)
    let plotX = SVGTimeline.labelWidth
    let plotW = w - plotX - SVGTimeline.rightMargin
    // The shared time axis, with a short tail so the last states show.
    let t0 = panels.map(\.1.origin).min() ?? 0
    let last = max(panels.map(\.1.end).max() ?? 0, t0)
    let span = max(last - t0, 1)
    let t1 = last + max(span / 12, 1)
    // A few pixels before the first event, so marks at time 0 clear the labels.
    let pad = 8.0
    func x(_ t: UInt64) -> Double { plotX + pad + Double(t &- t0) / Double(t1 - t0) * (plotW - pad) }

    var body = ""
    var y = 78.0
    var states: [String] = []
    for (r, t) in panels {
      for s in t.stateNames where !states.contains(s) { states.append(s) }
      y = panel(r, t, top: y, x: x, until: t1, plotX: plotX, plotW: plotW, pixel: Double(t1 - t0) / (plotW - pad), into: &body)
      y += 18
    }
    let axisY = y
    let height = axisY + 34

    var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(Int(height))\" viewBox=\"0 0 \(width) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    let rowsNote = panels.first.map {
      $0.1.rowUnit == "page" ? "rows: one per page" : "rows: one per \($0.1.rowUnit), coloured by the state most of its pages are in"
    } ?? "no events"
    s += "<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(xml(file))</text>\n"
    s += "<text x=\"12\" y=\"36\" fill=\"#555\">\(panels.count) polic\(panels.count == 1 ? "y" : "ies"); \(rowsNote); trace time \(formatDuration(t0))..\(formatDuration(last))</text>\n"
    // Legend.
    var lx = 12.0
    let ly = 50.0
    for name in states {
      s += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"12\" height=\"12\" fill=\"\(SVGTimeline.colour(of: name))\" stroke=\"#444\" stroke-width=\"0.5\"/>"
      s += "<text x=\"\(f(lx + 16))\" y=\"\(f(ly + 10))\">\(xml(name))</text>\n"
      lx += 24 + Double(name.count) * 6.5
    }
    lx += 12
    for severity in Severity.allCases {
      s += marker(x: lx + 6, y: ly + 6, size: 6, fill: SVGTimeline.colour(of: severity))
      s += "<text x=\"\(f(lx + 16))\" y=\"\(f(ly + 10))\">\(severity.rawValue)</text>\n"
      lx += 30 + Double(severity.rawValue.count) * 6.5
    }
    s += "<rect x=\"\(f(lx))\" y=\"\(f(ly + 1))\" width=\"22\" height=\"10\" fill=\"#8c8c8c\"/><text x=\"\(f(lx + 26))\" y=\"\(f(ly + 10))\">wait</text>\n"
    lx += 62
    s += "<rect x=\"\(f(lx))\" y=\"\(f(ly + 1))\" width=\"22\" height=\"10\" fill=\"#6a1b9a\"/><text x=\"\(f(lx + 26))\" y=\"\(f(ly + 10))\">wait that never ends</text>\n"
    lx += 150
    s += "<rect x=\"\(f(lx))\" y=\"\(f(ly + 7))\" width=\"22\" height=\"4\" fill=\"#17becf\"/><text x=\"\(f(lx + 26))\" y=\"\(f(ly + 10))\">DMA</text>\n"
    out.write(s)
    // Grid and time axis.
    var axis = ""
    for tick in ticks(from: t0, to: t1) {
      let tx = x(tick)
      axis += "<line x1=\"\(f(tx))\" y1=\"70\" x2=\"\(f(tx))\" y2=\"\(f(axisY))\" stroke=\"#e4e4e4\"/>"
      axis += "<text x=\"\(f(tx))\" y=\"\(f(axisY + 14))\" text-anchor=\"middle\" fill=\"#333\">\(formatDuration(tick))</text>\n"
    }
    axis += "<line x1=\"\(f(plotX))\" y1=\"\(f(axisY))\" x2=\"\(f(plotX + plotW))\" y2=\"\(f(axisY))\" stroke=\"#333\"/>\n"
    axis += "<text x=\"\(f(plotX + plotW))\" y=\"\(f(axisY + 28))\" text-anchor=\"end\" fill=\"#555\">trace time</text>\n"
    out.write(axis)
    out.write(body)
    out.write("</svg>\n")
  }

  /// One policy's panel; returns the y below it.
  func panel(
    _ r: ReplayResult, _ t: TimelineRecorder, top: Double, x: (UInt64) -> Double, until end: UInt64,
    plotX: Double, plotW: Double, pixel: Double, into s: inout String
  ) -> Double {
    let rows = t.rows.count
    let rowH = rows <= 12 ? 16.0 : max(1.5, min(16, 360.0 / Double(rows)))
    let verdict = r.hasErrorOrHang ? "FAIL" : "ok"
    var counts: [String] = []
    for kind in FindingKind.allCases where r.findings.count(kind) > 0 { counts.append("\(r.findings.count(kind)) \(kind.rawValue)") }
    let summary = counts.isEmpty ? "no findings" : counts.joined(separator: ", ")
    s += "<g class=\"panel\">\n"
    s += "<text x=\"12\" y=\"\(f(top + 13))\" font-size=\"13\" font-weight=\"bold\">policy \(xml(r.policy.name))</text>"
    s += "<text x=\"\(f(plotX))\" y=\"\(f(top + 13))\" fill=\"\(r.hasErrorOrHang ? "#b00020" : "#2e7d32")\" font-weight=\"bold\">\(verdict)</text>"
    s += "<text x=\"\(f(plotX + 36))\" y=\"\(f(top + 13))\" fill=\"#333\">\(xml(summary))</text>\n"
    let rowsTop = top + 20
    // Row labels: as many as fit.
    let every = max(1, Int((12.0 / rowH).rounded(.up)))
    for (i, row) in t.rows.enumerated() where i % every == 0 {
      let label = t.rowUnit == "page" ? "page \(row.label)" : row.label
      s += "<text x=\"\(f(plotX - 6))\" y=\"\(f(rowsTop + Double(i) * rowH + min(rowH, 12) - 2))\" text-anchor=\"end\" font-size=\"\(rowH >= 11 ? 11 : 9)\" fill=\"#333\">\(xml(label))</text>\n"
    }
    // States.
    let runs = StateRuns.make(t, columns: Int(plotW), until: end, limit: maxRuns)
    let gap = rowH >= 6 ? 1.0 : 0
    for run in runs {
      let x0 = x(run.start)
      let x1 = max(x(run.end), x0 + 0.5)
      s += "<rect x=\"\(f(x0))\" y=\"\(f(rowsTop + Double(run.row) * rowH))\" width=\"\(f(x1 - x0))\" height=\"\(f(rowH - gap))\" fill=\"\(SVGTimeline.colour(of: t.stateNames[run.state]))\"/>"
      s += "\n"
    }
    // Findings as marks; marks at the same pixel, row and kind merge.
    var seen: [String: Int] = [:]
    var merged: [(mark: TimelineRecorder.Mark, count: Int)] = []
    var undrawn = t.marksDropped
    for m in t.marks {
      // Marks closer than 5 pixels on the same row are one (rows under 5 pixels: 5 pixels of rows).
      let band = rowH >= 5 ? m.row : Int(Double(m.row) * rowH / 5)
      let key = "\(Int(x(m.finding.time) / 5)):\(band):\(m.finding.kind.rawValue)"
      if let i = seen[key] {
        merged[i].count += 1
      } else if merged.count < maxMarks {
        seen[key] = merged.count
        merged.append((m, 1))
      } else {
        undrawn += 1
      }
    }
    let size = merged.count > 60 ? 4.0 : max(4.5, min(7, rowH * 0.6))
    for (m, count) in merged {
      let fi = m.finding
      let cx = x(fi.time)
      let cy = rowsTop + Double(m.row) * rowH + rowH / 2
      var tip = "line \(fi.line): \(fi.kind.rawValue) (\(fi.severity.rawValue)) \(fi.actor) \(fi.event), page \(hex(fi.page)) (\(fi.state)), t=\(formatDuration(fi.time))\n\(fi.message)"
      if let q = quotes[fi.line] { tip += "\n| \(fi.line): \(q.trimmingCharacters())" }
      if count > 1 { tip += "\n(and \(count - 1) more \(fi.kind.rawValue) here)" }
      s += "<g>" + marker(x: cx, y: cy, size: size, fill: SVGTimeline.colour(of: fi.severity)) + "<title>\(xml(tip))</title></g>\n"
    }
    if let cap = t.findingCapTime {
      // Marks stop here: the replay kept no finding after its cap.
      let cx = x(cap)
      s += "<line x1=\"\(f(cx))\" y1=\"\(f(rowsTop))\" x2=\"\(f(cx))\" y2=\"\(f(rowsTop + Double(rows) * rowH))\" stroke=\"#b00020\" stroke-dasharray=\"3,3\"><title>\(xml("findings cap: the replay kept the first \(r.findings.findings.count) findings; \(r.findings.dropped) later ones are counted, not marked (--max-findings)"))</title></line>\n"
    }
    var y = rowsTop + Double(rows) * rowH + 4
    if r.findings.dropped > 0 {
      s += "<text x=\"\(f(plotX))\" y=\"\(f(y + 9))\" fill=\"#b00020\" font-size=\"9\">marks stop at the dashed line: the replay kept its first \(r.findings.findings.count) findings, \(r.findings.dropped) more are counted only (--max-findings)</text>\n"
      y += 12
    }
    if undrawn > 0 {
      s += "<text x=\"\(f(plotX + plotW))\" y=\"\(f(y + 9))\" text-anchor=\"end\" fill=\"#555\" font-size=\"9\">\(undrawn) more findings not drawn</text>\n"
      y += 12
    }
    // Actor rows: waits and DMA windows.
    var actors: [Int32] = []
    for iv in t.waits + t.dmaWindows where !actors.contains(iv.actor) { actors.append(iv.actor) }
    if actors.count > maxActors {
      var busy: [Int32: UInt64] = [:]
      for iv in t.waits + t.dmaWindows { busy[iv.actor, default: 0] &+= iv.busy &+ 1 }
      let longest = actors.sorted { a, b in
        let x = busy[a] ?? 0
        let y = busy[b] ?? 0
        return x != y ? x > y : a < b
      }
      actors = Array(longest.prefix(maxActors))
    }
    actors.sort()
    let rowOf = Dictionary(uniqueKeysWithValues: actors.enumerated().map { ($1, $0) })
    for (i, a) in actors.enumerated() {
      let ay = y + Double(i) * SVGTimeline.actorRowHeight
      let name = Int(a) < t.actorNames.count ? t.actorNames[Int(a)] : "actor \(a)"
      s += "<text x=\"\(f(plotX - 6))\" y=\"\(f(ay + 11))\" text-anchor=\"end\" font-style=\"italic\" fill=\"#333\">\(xml(name))</text>"
      s += "<rect x=\"\(f(plotX))\" y=\"\(f(ay))\" width=\"\(f(plotW))\" height=\"\(f(SVGTimeline.actorRowHeight - 2))\" fill=\"#f6f6f6\"/>\n"
    }
    // Intervals closer than two pixels merge (as the recorder merges them),
    // and closer ones still while an actor would have more than `maxBars` bars.
    let waits = mergedBars(t.waits, pixel: pixel)
    let windows = mergedBars(t.dmaWindows, pixel: pixel)
    for iv in waits where rowOf[iv.actor] != nil {
      let ay = y + Double(rowOf[iv.actor]!) * SVGTimeline.actorRowHeight
      let x0 = x(iv.start)
      let x1 = iv.open ? plotX + plotW : max(x(iv.end), x0 + 2)
      let fill = iv.open ? "#6a1b9a" : "#8c8c8c"
      var tip = "line \(iv.line): \(iv.label), from \(formatDuration(iv.start)) "
      tip += iv.open ? "and never ends" : "to \(formatDuration(iv.end)) (\(formatDuration(iv.end - iv.start)))"
      var label = iv.label
      if iv.count > 1 {
        tip = "\(iv.count) waits from \(formatDuration(iv.start)) to \(formatDuration(iv.end)), waiting \(percent(iv.busy, iv.end - iv.start)) of it; the first: line \(iv.line): \(iv.label)"
        label = "\(iv.count) waits, \(percent(iv.busy, iv.end - iv.start)) of the time"
      }
      if let q = quotes[iv.line] { tip += "\n| \(iv.line): \(q.trimmingCharacters())" }
      s += "<g><rect x=\"\(f(x0))\" y=\"\(f(ay + 1))\" width=\"\(f(x1 - x0))\" height=\"11\" fill=\"\(fill)\"\(opacity(iv))/>"
      let text = iv.open ? "waits forever: " + label : label
      if x1 - x0 > 140 {
        s += "<text x=\"\(f(x0 + 4))\" y=\"\(f(ay + 10))\" fill=\"\(iv.count > 1 ? "#222" : "#fff")\" font-size=\"9\">\(xml(text))</text>"
      } else if iv.open {
        s += "<text x=\"\(f(x0 - 4))\" y=\"\(f(ay + 10))\" text-anchor=\"end\" fill=\"#6a1b9a\" font-size=\"9\">\(xml(text)) \u{2192}</text>"
      }
      s += "<title>\(xml(tip))</title></g>\n"
    }
    for iv in windows where rowOf[iv.actor] != nil {
      let ay = y + Double(rowOf[iv.actor]!) * SVGTimeline.actorRowHeight
      let x0 = x(iv.start)
      let x1 = max(iv.open ? plotX + plotW : x(iv.end), x0 + 3)
      var tip = "line \(iv.line): \(iv.label), \(formatDuration(iv.start))" + (iv.end > iv.start ? "..\(formatDuration(iv.end))" : "") + (iv.open ? ", never ended" : "")
      if iv.count > 1 {
        tip = "\(iv.count) DMA windows from \(formatDuration(iv.start)) to \(formatDuration(iv.end)), open \(percent(iv.busy, iv.end - iv.start)) of it; the first: line \(iv.line): \(iv.label)"
      }
      if let q = quotes[iv.line] { tip += "\n| \(iv.line): \(q.trimmingCharacters())" }
      s += "<g><rect x=\"\(f(x0))\" y=\"\(f(ay + 7))\" width=\"\(f(x1 - x0))\" height=\"6\" fill=\"#17becf\"\(opacity(iv))/><title>\(xml(tip))</title></g>\n"
    }
    y += Double(actors.count) * SVGTimeline.actorRowHeight
    s += "</g>\n"
    return y
  }

  /// Merges intervals less than 2 pixels apart, then wider gaps until no actor has more than `maxBars`.
  func mergedBars(_ list: [TimelineRecorder.Interval], pixel: Double) -> [TimelineRecorder.Interval] {
    var gap = max(pixel * 2, 1)
    while true {
      let result = SVGTimeline.merged(list, within: UInt64(gap))
      var bars: [Int32: Int] = [:]
      for iv in result { bars[iv.actor, default: 0] += 1 }
      if (bars.values.max() ?? 0) <= maxBars || gap > pixel * 1000 { return result }
      gap *= 2
    }
  }

  /// Closed intervals of one actor less than `gap` apart become one.
  static func merged(_ list: [TimelineRecorder.Interval], within gap: UInt64) -> [TimelineRecorder.Interval] {
    var result: [TimelineRecorder.Interval] = []
    var lastOf: [Int32: Int] = [:]
    for iv in list.sorted(by: { ($0.actor, $0.start) < ($1.actor, $1.start) }) {
      if let j = lastOf[iv.actor], !result[j].open, !iv.open, iv.start >= result[j].end, iv.start - result[j].end <= gap {
        result[j].end = max(result[j].end, iv.end)
        result[j].count += iv.count
        result[j].busy += iv.busy
        continue
      }
      lastOf[iv.actor] = result.count
      result.append(iv)
    }
    return result
  }

  /// Merged intervals are drawn as faint as the share of their span they cover (at least 0.2).
  func opacity(_ iv: TimelineRecorder.Interval) -> String {
    guard iv.count > 1, iv.end > iv.start else { return "" }
    let share = max(0.2, min(1, Double(iv.busy) / Double(iv.end - iv.start)))
    return " fill-opacity=\"\(f(share * 100) == "100" ? "1" : String(Double(Int(share * 100)) / 100))\""
  }

  func percent(_ part: UInt64, _ whole: UInt64) -> String {
    guard whole > 0 else { return "100%" }
    let p = Double(part) / Double(whole) * 100
    return p < 1 ? "<1%" : "\(Int(p.rounded()))%"
  }

  func marker(x: Double, y: Double, size: Double, fill: String) -> String {
    "<path d=\"M\(f(x)) \(f(y - size))L\(f(x + size)) \(f(y))L\(f(x)) \(f(y + size))L\(f(x - size)) \(f(y))Z\" fill=\"\(fill)\" stroke=\"#000\" stroke-width=\"0.8\"/>"
  }

  /// Round tick times (1, 2 or 5 times a power of ten) between two times.
  func ticks(from t0: UInt64, to t1: UInt64) -> [UInt64] {
    let span = Double(t1 - t0)
    var step: UInt64 = 1
    while Double(step) * 8 < span {
      if Double(step * 2) * 8 >= span { step *= 2; break }
      if Double(step * 5) * 8 >= span { step *= 5; break }
      step *= 10
    }
    var ticks: [UInt64] = []
    var t = (t0 + step - 1) / step * step
    while t <= t1 && ticks.count < 20 {
      ticks.append(t)
      t += step
    }
    return ticks
  }

  /// A coordinate with at most one decimal.
  func f(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
  }

  func xml(_ text: String) -> String {
    var s = ""
    for c in text.unicodeScalars {
      switch c {
      case "&": s += "&amp;"
      case "<": s += "&lt;"
      case ">": s += "&gt;"
      case "\"": s += "&quot;"
      default:
        if c.value < 0x20 && c != "\n" && c != "\t" { s += " " } else { s.unicodeScalars.append(c) }
      }
    }
    return s
  }
}
