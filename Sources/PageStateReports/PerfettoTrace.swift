import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes the timelines of replays as Chrome Trace Event JSON, which the
/// Perfetto UI (ui.perfetto.dev) and chrome://tracing open (`--perfetto OUT.json`).
///
/// - one process per policy (`pid` 1, 2, ... in the order run), named `policy P`;
/// - one thread per actor (`tid` = actor index + 1) carrying its waits as
///   complete slices (`"ph":"X"`) and its findings as thread-scoped instant
///   events (`"ph":"i"`) whose `args` hold the finding, the quoted trace line
///   and the kind's explanation (in full on the first finding of each kind,
///   its summary line on the others);
/// - DMA windows on `DMA` threads of their device (`tid` 10000 + 64 x actor +
///   lane: overlapping windows go to separate lanes, so slices never overlap);
/// - one thread per timeline row (`tid` 100000 + row) whose slices are the
///   row's states;
/// - counters (`"ph":"C"`) per policy: imports, exports, conversions, extra
///   references, sampled per time bucket, written when they change.
///
/// Slices on one thread never partly overlap (Perfetto's nesting rule):
/// waits of an actor are sequential, DMA lanes are disjoint, state runs are
/// consecutive. Times are microseconds with nanosecond decimals.
public struct PerfettoTrace {
  /// Trace lines by number, quoted in the findings' and waits' `args`.
  public var quotes: [Int: String]
  /// State slices per policy at most.
  public var maxRuns = 8_000
  static let dmaBase = 10_000
  static let lanes = 64
  static let rowBase = 100_000

  public init(quotes: [Int: String] = [:]) {
    self.quotes = quotes
  }

  public func write(_ results: [ReplayResult], file: String, to out: inout some TextOutputStream) {
    var s = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"file\":\(q(file)),\"generator\":\"pagestate\"},\"traceEvents\":[\n"
    var first = true
    func emit(_ event: String) {
      if !first { s += ",\n" }
      first = false
      s += event
      if s.utf8.count > 1 << 16 {
        out.write(s)
        s = ""
      }
    }
    for (p, r) in results.enumerated() {
      guard let t = r.timeline else { continue }
      let pid = p + 1
      // A short tail after the last event, so final states and waits that never end show.
      let end = t.end + max((t.end - t.origin) / 12, 1)
      emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(pid),\"args\":{\"name\":\(q("policy " + r.policy.name))}}")
      emit("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":\(pid),\"args\":{\"sort_index\":\(pid)}}")
      if let cap = t.findingCapTime {
        emit("{\"ph\":\"i\",\"s\":\"p\",\"name\":\(q("findings cap reached: later findings are counted, not marked (--max-findings)")),\"pid\":\(pid),\"tid\":0,\"ts\":\(us(cap)),\"args\":{\"kept\":\(r.findings.findings.count),\"dropped\":\(r.findings.dropped)}}")
      }
      // Actors.
      for (a, name) in t.actorNames.enumerated() {
        emit(thread(pid, a + 1, name, sort: a))
      }
      // Waits on the actor's thread.
      for iv in nested(t.waits.map { w in
        var w = w
        if w.open { w.end = end }
        return (w, Int(w.actor) + 1)
      }) {
        let (w, tid) = iv
        // A merged slice spans its waits and the gaps between them: its name says how long they really waited.
        let name = w.count > 1 ? "\(w.count) waits (merged): \(formatDuration(w.busy)) waited in \(formatDuration(w.end &- w.start))" : w.open ? "waits forever: \(w.label)" : "wait: \(w.label)"
        var args = "\"line\":\(w.line),\"what\":\(q(w.label)),\"never_ends\":\(w.open),\"merged\":\(w.count)"
        if !w.open { args += ",\"waiting_ns\":\(w.busy)" }
        if let quote = quotes[w.line] { args += ",\"trace_line\":\(q(quote.trimmingCharacters()))" }
        emit(slice(pid, tid, name: name, start: w.start, end: w.end, category: "wait", args: args))
      }
      // DMA windows on lanes of their device.
      var laneEnds: [Int32: [UInt64]] = [:]
      var laneThreads = Set<Int>()
      var placed: [(TimelineRecorder.Interval, Int)] = []
      for w in t.dmaWindows.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
        var ends = laneEnds[w.actor] ?? []
        var lane = ends.firstIndex { $0 <= w.start }
        if lane == nil && ends.count < PerfettoTrace.lanes {
          ends.append(0)
          lane = ends.count - 1
        }
        guard let l = lane else { continue }
        var w = w
        if w.open { w.end = end }
        ends[l] = max(w.end, w.start)
        laneEnds[w.actor] = ends
        let tid = PerfettoTrace.dmaBase + Int(w.actor) * PerfettoTrace.lanes + l
        if laneThreads.insert(tid).inserted {
          let actor = Int(w.actor) < t.actorNames.count ? t.actorNames[Int(w.actor)] : "actor \(w.actor)"
          emit(thread(pid, tid, l == 0 ? "\(actor) DMA" : "\(actor) DMA #\(l + 1)", sort: t.actorNames.count + Int(w.actor) * PerfettoTrace.lanes + l))
        }
        placed.append((w, tid))
      }
      for (w, tid) in placed {
        let name = w.count > 1 ? "\(w.count) DMA windows (merged): \(formatDuration(w.busy)) busy in \(formatDuration(w.end &- w.start))" : w.label
        var args = "\"line\":\(w.line),\"what\":\(q(w.label)),\"never_ended\":\(w.open),\"merged\":\(w.count)"
        if let quote = quotes[w.line] { args += ",\"trace_line\":\(q(quote.trimmingCharacters()))" }
        emit(slice(pid, tid, name: name, start: w.start, end: w.end, category: "dma", args: args))
      }
      // Page states, one thread per row.
      let base = t.actorNames.count * (PerfettoTrace.lanes + 1)
      for (i, row) in t.rows.enumerated() {
        emit(thread(pid, PerfettoTrace.rowBase + i, t.rowUnit == "page" ? "page \(row.label)" : "pages \(row.label)", sort: base + i))
      }
      for run in StateRuns.make(t, columns: t.limits.buckets, until: end, limit: maxRuns) {
        emit(slice(pid, PerfettoTrace.rowBase + run.row, name: t.stateNames[run.state], start: run.start, end: run.end, category: "state", args: ""))
      }
      // Findings as instants on their actor's thread.
      var explained = Set<FindingKind>()
      let actorIndex = Dictionary(t.actorNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
      for m in t.marks {
        let f = m.finding
        let tid = (actorIndex[f.actor] ?? -1) + 1
        let explanation: String
        if explained.insert(f.kind).inserted {
          explanation = f.kind.explanation
        } else {
          explanation = String(f.kind.explanation.split(separator: "\n").first ?? "") + " (in full on the first \(f.kind.rawValue))"
        }
        var args = "\"severity\":\"\(f.severity.rawValue)\",\"line\":\(f.line),\"event\":\(q(f.event)),\"page\":\"\(hex(f.page))\","
        args += "\"folio\":\"\(hex(f.folio))\",\"folio_order\":\(f.folioOrder),\"state\":\(q(f.state)),\"message\":\(q(f.message)),"
        args += "\"chain\":[\(f.chain.map(q).joined(separator: ","))],"
        if let quote = quotes[f.line] { args += "\"trace_line\":\(q(quote.trimmingCharacters()))," }
        args += "\"explanation\":\(q(explanation))"
        emit("{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"finding\",\"name\":\(q(f.kind.rawValue)),\"pid\":\(pid),\"tid\":\(tid),\"ts\":\(us(f.time)),\"args\":{\(args)}}")
      }
      // Counters, when they change.
      for (c, name) in TimelineRecorder.counterNames.enumerated() {
        var last: UInt64?
        var any = false
        for b in 0..<t.bucketCount where t.counter(c, bucket: b) != 0 { any = true; break }
        guard any else { continue }
        for b in 0..<t.bucketCount {
          let v = t.counter(c, bucket: b)
          if v == last { continue }
          last = v
          emit("{\"ph\":\"C\",\"name\":\(q(name)),\"pid\":\(pid),\"ts\":\(us(t.bucketStart(b))),\"args\":{\"value\":\(v)}}")
        }
      }
    }
    s += "\n]}\n"
    out.write(s)
  }

  /// Intervals of each thread ordered by start, each clipped so it never
  /// partly overlaps the one before it on the same thread.
  func nested(_ list: [(TimelineRecorder.Interval, Int)]) -> [(TimelineRecorder.Interval, Int)] {
    var result: [(TimelineRecorder.Interval, Int)] = []
    var lastEnd: [Int: UInt64] = [:]
    for (iv, tid) in list.sorted(by: { ($0.1, $0.0.start) < ($1.1, $1.0.start) }) {
      var iv = iv
      if let e = lastEnd[tid], iv.start < e { iv.start = e }
      if iv.end < iv.start { iv.end = iv.start }
      lastEnd[tid] = iv.end
      result.append((iv, tid))
    }
    return result
  }

  func thread(_ pid: Int, _ tid: Int, _ name: String, sort: Int) -> String {
    "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"name\":\(q(name))}},\n"
      + "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"sort_index\":\(sort)}}"
  }

  func slice(_ pid: Int, _ tid: Int, name: String, start: UInt64, end: UInt64, category: String, args: String) -> String {
    "{\"ph\":\"X\",\"cat\":\"\(category)\",\"name\":\(q(name)),\"pid\":\(pid),\"tid\":\(tid),\"ts\":\(us(start)),\"dur\":\(us(end - start)),\"args\":{\(args)}}"
  }

  /// Nanoseconds as microseconds: `12`, `12.5`, `0.001`.
  func us(_ ns: UInt64) -> String {
    let whole = ns / 1000
    let frac = ns % 1000
    if frac == 0 { return String(whole) }
    var digits = String(frac)
    digits = String(repeating: "0", count: 3 - digits.count) + digits
    while digits.hasSuffix("0") { digits.removeLast() }
    return "\(whole).\(digits)"
  }

  func q(_ text: String) -> String { JSONText.quote(text) }
}
