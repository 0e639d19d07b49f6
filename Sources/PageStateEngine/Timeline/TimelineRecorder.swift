import PageStateModel
import PageStateTrace

/// Records what happens over trace time during one replay, for the SVG
/// timeline and the Perfetto trace, in memory that does not grow with the
/// length of the trace.
///
/// - Pages are grouped into at most `Limits.rows` rows: one row per page when
///   there are few, else one per run of a power-of-two number of pages (a
///   folio when they match the declared folio size). Page states are named by
///   the architecture and interned (at most `Limits.states` names).
/// - Time is cut into at most `Limits.buckets` buckets of equal width; when
///   the trace outgrows them the width doubles and pairs of buckets merge.
///   A cell (row, bucket) holds the state the row shows in that bucket, the
///   first that applies: a notable state (`exported`, `pinned-shared`,
///   `shared+pinned`, `private-unvalidated`) that at least an eighth of the
///   row's pages are in (any page, for rows of up to 8 pages); else, on the
///   same terms, a state other than the one the row was declared in; else
///   the state most of the row's pages are in.
/// - Waits and DMA windows are intervals per actor, at most `Limits.intervals`
///   of each: past that, the shortest gaps of an actor are closed (intervals
///   merged, `intervalsMerged` counts them).
/// - Findings are marks, at most `Limits.marks` of them spread over the
///   trace: when the list is full every other mark goes and only every
///   second finding from then on is kept (`marksDropped` counts those
///   left out); hangs and stalls are always kept.
/// - Counters (imports, exports, conversions, extra references) are sampled
///   at the end of each bucket.
///
/// The replay calls it after each applied event or retry, when an actor
/// blocks, when a wait ends and at the end; nothing is called when a replay
/// has no recorder.
public struct TimelineRecorder: Sendable {
  /// The bounds of a recording.
  public struct Limits: Sendable, Hashable {
    public var rows = 200
    public var buckets = 1000
    public var intervals = 4000
    public var marks = 2000
    public static let states = 15
    public init() {}
  }

  /// A row of the timeline: a run of pages in declaration order.
  public struct Row: Sendable, Hashable {
    /// The first page and the number of pages.
    public var pages: PageRange
    /// `0x1`, `0x200..0x3ff`.
    public var label: String
  }

  /// A wait or a DMA window of an actor.
  public struct Interval: Sendable, Hashable {
    public var actor: Int32
    /// The DMA window's interned `id=`, or -1.
    public var id: Int32
    public var start: UInt64
    public var end: UInt64
    /// The trace line of the event that waits, or of the `dma-start`.
    public var line: Int
    /// `import of 0x1: references of folio 0x0`, `dma write 0x0..0x3`.
    public var label: String
    /// Still open at the end of the trace (a hang or a stall; a window never ended).
    public var open: Bool
    /// How many recorded intervals this one stands for (merged ones count).
    public var count: Int
    /// The time covered by the intervals merged into this one (`end - start` if one).
    public var busy: UInt64
  }

  /// A finding at a moment.
  public struct Mark: Sendable, Hashable {
    public var finding: Finding
    /// The row of the finding's page.
    public var row: Int
  }

  /// The counters sampled per bucket, in `counter(_:bucket:)` order.
  public static let counterNames = ["imports", "exports", "conversions", "extra-references"]

  public let limits: Limits
  /// The rows, labelled by `finish`.
  public private(set) var rows: [Row] = []
  /// How rows group pages: `page`, `folio (order 2)` or `64 pages`.
  public private(set) var rowUnit = "page"
  /// Pages per row.
  public private(set) var pagesPerRow = 1
  /// State names by id (`state(row:bucket:)`).
  public private(set) var stateNames: [String] = []
  /// The time of the first event.
  public private(set) var origin: UInt64 = 0
  /// The width of a bucket in nanoseconds (at least 1).
  public private(set) var bucketWidth: UInt64 = 1
  /// The buckets in use: `0...lastBucket`.
  public private(set) var bucketCount = 0
  /// The time of the last event (or of the end of the trace).
  public private(set) var end: UInt64 = 0
  public private(set) var waits: [Interval] = []
  public private(set) var dmaWindows: [Interval] = []
  public private(set) var marks: [Mark] = []
  public private(set) var marksDropped = 0
  /// When the replay reached its cap of kept findings (`--max-findings`):
  /// later findings are counted but have no mark.
  public private(set) var findingCapTime: UInt64?
  public private(set) var intervalsMerged = 0
  /// Actor names by index.
  public private(set) var actorNames: [String] = []
  /// The events recorded (applied events and retries).
  public private(set) var steps = 0

  /// Cell state ids, `row * limits.buckets + bucket`; `empty` where no page is declared yet.
  var cells: [UInt8]
  /// Counter samples, `bucket * counters + counter`.
  var samples: [UInt64]
  /// Per declared page (flat index): its state id.
  var pageState: [UInt8] = []
  /// Pages per (row, state): `row * Limits.states + state`.
  var rowCounts: [Int32]
  /// The state each row shows now.
  var rowState: [UInt8]
  /// The state most of each row's pages were declared in.
  var baseline: [UInt8]
  var emphasis: [UInt8] = []
  var started = false
  var current = 0
  var seenFindings = 0
  /// Extra references by folio head index, for the folios that have some.
  var extraByFolio: [Int: UInt32] = [:]
  var extraTotal: UInt64 = 0
  var openWaits: [Int32: Int] = [:]
  /// Keep one finding in `markStride` (doubles each time the marks are thinned).
  var markStride = 1
  var openDMA: [DMAKey: Int] = [:]

  struct DMAKey: Hashable, Sendable {
    var actor: Int32
    var id: Int32
  }

  static let empty: UInt8 = 0xFF
  static let notable: [String: UInt8] = [
    "pinned-shared": 1, "shared+pinned": 1, "private-unvalidated": 2, "exported": 3,
  ]

  public init(limits: Limits = Limits()) {
    self.limits = limits
    cells = [UInt8](repeating: TimelineRecorder.empty, count: limits.rows * limits.buckets)
    samples = [UInt64](repeating: 0, count: limits.buckets * TimelineRecorder.counterNames.count)
    rowCounts = [Int32](repeating: 0, count: limits.rows * Limits.states)
    rowState = [UInt8](repeating: TimelineRecorder.empty, count: limits.rows)
    baseline = [UInt8](repeating: TimelineRecorder.empty, count: limits.rows)
  }

  // MARK: - Reading

  /// The state id a row shows in a bucket, or nil where the row's pages were not declared yet.
  public func state(row: Int, bucket: Int) -> Int? {
    let c = cells[row * limits.buckets + bucket]
    return c == TimelineRecorder.empty ? nil : Int(c)
  }

  /// A counter's value at the end of a bucket.
  public func counter(_ index: Int, bucket: Int) -> UInt64 {
    samples[bucket * TimelineRecorder.counterNames.count + index]
  }

  /// The start time of a bucket.
  public func bucketStart(_ bucket: Int) -> UInt64 { origin &+ UInt64(bucket) &* bucketWidth }

  /// Whether a state is one the timeline emphasises (it wins a cell over the majority).
  public func isNotable(state: Int) -> Bool { emphasis[state] > 0 }

  // MARK: - Hooks

  /// After an event or a retry was applied (whatever its outcome): page
  /// states of the folios it touched or changed, counters, DMA windows, new findings.
  public mutating func applied(
    _ e: Event, completed: Bool, model: inout Model, stateName: (UInt64, inout Model) -> String
  ) {
    if !started { start(at: e.time, model: &model) }
    if model.memory.entries.count != pageState.count { grow(model: &model, stateName: stateName) }
    advance(to: e.time)
    steps += 1
    // The folios of the event's pages, then those whose references, lock, writeback or order changed.
    var last = PageRange(first: .max, count: 0)
    if e.pages.count > 0 && model.memory.isDeclared(e.pages.first) {
      var p = e.pages.first
      while p < e.pages.end {
        let f = model.memory.folio(of: p)
        scan(head: f.head, index: f.index, count: f.count, model: &model, stateName: stateName)
        last = PageRange(first: f.head, count: UInt64(f.count))
        p = f.head + UInt64(f.count)
      }
    }
    for r in model.memory.changes where r != last {
      let f = model.memory.folio(of: r.first)
      scan(head: f.head, index: f.index, count: f.count, model: &model, stateName: stateName)
      last = r
    }
    if completed && (e.verb == .dmaStart || e.verb == .dmaEnd || e.verb == .dma) { dma(e, at: model.time) }
    sample(imports: model.stats[.imports], exports: model.stats[.exports], conversions: model.stats[.conversions])
    if model.findings.findings.count + model.findings.dropped > seenFindings { syncFindings(&model) }
  }

  /// An actor blocked on a new wait.
  public mutating func waitBegan(actor: Int32, line: Int, wait: Wait, at time: UInt64) {
    advance(to: time)
    let label = "\(wait.what): \(wait.condition.rawValue) of folio \(hex(wait.folio.first))"
    openWaits[actor] = append(Interval(actor: actor, id: -1, start: time, end: time, line: line, label: label, open: true, count: 1, busy: 0), to: .waits)
  }

  /// An actor's wait ended (satisfied, given up, or the guest was killed).
  public mutating func waitEnded(actor: Int32, at time: UInt64) {
    guard let i = openWaits.removeValue(forKey: actor), i < waits.count else { return }
    waits[i].end = max(waits[i].start, time)
    waits[i].busy = waits[i].end - waits[i].start
    waits[i].open = false
  }

  /// The end of the replay (after hang analysis): last findings, open intervals end at the last time.
  public mutating func finish(model: inout Model) {
    if !started { start(at: model.time, model: &model) }
    end = max(end, model.time)
    advance(to: end)
    sample(imports: model.stats[.imports], exports: model.stats[.exports], conversions: model.stats[.conversions])
    syncFindings(&model)
    for (_, i) in openWaits where i < waits.count {
      waits[i].end = end
      waits[i].busy = end - waits[i].start
    }
    for (_, i) in openDMA where i < dmaWindows.count {
      dmaWindows[i].end = end
      dmaWindows[i].busy = end - dmaWindows[i].start
    }
    openWaits.removeAll()
    openDMA.removeAll()
    actorNames = model.actorNames
    rows = []
    let n = pageState.count
    var flat = 0
    while flat < n {
      let count = min(pagesPerRow, n - flat)
      let first = model.memory.page(at: flat)
      let range = PageRange(first: first, count: UInt64(count))
      rows.append(Row(pages: range, label: range.description))
      flat += count
    }
  }

  // MARK: - Rows and states

  mutating func start(at time: UInt64, model: inout Model) {
    started = true
    origin = time
    end = time
    actorNames = model.actorNames
  }

  /// Declared pages grew (at the start, or a `memory` statement after events):
  /// regroup rows if needed and give the new pages their declared state.
  mutating func grow(model: inout Model, stateName: (UInt64, inout Model) -> String) {
    let old = pageState.count
    let n = model.memory.entries.count
    guard n > old else { return }
    while (n + pagesPerRow - 1) / pagesPerRow > limits.rows { mergeRows() }
    pageState += [UInt8](repeating: TimelineRecorder.empty, count: n - old)
    // A block is declared with one state: name its first page, give it to all.
    for b in model.memory.blocks where b.base >= old {
      let id = intern(stateName(b.pages.first, &model))
      for i in b.base..<(b.base + Int(b.pages.count)) {
        pageState[i] = id
        rowCounts[i / pagesPerRow * Limits.states + Int(id)] += 1
      }
    }
    for r in (old / pagesPerRow)..<((n + pagesPerRow - 1) / pagesPerRow) {
      var most: Int32 = 0
      for s in 0..<stateNames.count where rowCounts[r * Limits.states + s] > most {
        most = rowCounts[r * Limits.states + s]
        baseline[r] = UInt8(s)
      }
      refresh(row: r)
    }
    let order = Int(model.memory.entries.first?.order ?? 0)
    rowUnit = pagesPerRow == 1 ? "page" : pagesPerRow == 1 << order ? "folio (order \(order))" : "\(pagesPerRow) pages"
  }

  /// Halves the rows: pairs of rows become one, their cells combined.
  mutating func mergeRows() {
    let oldRows = (pageState.count + pagesPerRow - 1) / pagesPerRow
    pagesPerRow *= 2
    let newRows = (oldRows + 1) / 2
    for r in 0..<newRows {
      let a = 2 * r
      let b = 2 * r + 1
      for k in 0..<limits.buckets {
        let x = cells[a * limits.buckets + k]
        let y = b < oldRows ? cells[b * limits.buckets + k] : TimelineRecorder.empty
        cells[r * limits.buckets + k] = combine(x, y)
      }
      for s in 0..<Limits.states {
        rowCounts[r * Limits.states + s] = rowCounts[a * Limits.states + s] + (b < oldRows ? rowCounts[b * Limits.states + s] : 0)
      }
    }
    for r in newRows..<limits.rows {
      for k in 0..<limits.buckets { cells[r * limits.buckets + k] = TimelineRecorder.empty }
      for s in 0..<Limits.states { rowCounts[r * Limits.states + s] = 0 }
    }
    for r in 0..<newRows {
      baseline[r] = baseline[2 * r]
      refresh(row: r)
    }
  }

  mutating func intern(_ name: String) -> UInt8 {
    // A handful of names: a linear search beats hashing.
    for (i, known) in stateNames.enumerated() where known == name { return UInt8(i) }
    if stateNames.count == Limits.states - 1 && name != "other" { return intern("other") }
    let id = UInt8(stateNames.count)
    stateNames.append(name)
    emphasis.append(TimelineRecorder.notable[name] ?? 0)
    return id
  }

  /// Re-reads the states of one folio's pages and its extra references.
  mutating func scan(head: UInt64, index: Int, count: Int, model: inout Model, stateName: (UInt64, inout Model) -> String) {
    guard index + count <= pageState.count else { return }
    var touched = -1
    for k in 0..<count {
      let id = intern(stateName(head + UInt64(k), &model))
      let i = index + k
      let was = pageState[i]
      guard was != id else { continue }
      pageState[i] = id
      let r = i / pagesPerRow
      if was != TimelineRecorder.empty { rowCounts[r * Limits.states + Int(was)] -= 1 }
      rowCounts[r * Limits.states + Int(id)] += 1
      if r != touched {
        if touched >= 0 { refresh(row: touched) }
        touched = r
      }
    }
    if touched >= 0 { refresh(row: touched) }
    let extra = model.memory.entries[index].extra
    let before = extraByFolio[index] ?? 0
    if extra != before {
      extraTotal = extraTotal &+ UInt64(extra) &- UInt64(before)
      if extra == 0 { extraByFolio[index] = nil } else { extraByFolio[index] = extra }
    }
  }

  /// Recomputes what a row shows and marks the current bucket: the state
  /// most of its pages are in (a tie goes to the more notable state, then to
  /// one other than the row's declared state), so that a colour never
  /// stands for a few pages of a large row.
  mutating func refresh(row r: Int) {
    var best = TimelineRecorder.empty
    var bestCount: Int32 = 0
    var bestEmphasis: UInt8 = 0
    for s in 0..<stateNames.count {
      let n = rowCounts[r * Limits.states + s]
      guard n > 0 else { continue }
      let e: UInt8 = emphasis[s] > 0 ? emphasis[s] + 1 : UInt8(s) != baseline[r] ? 1 : 0
      if n > bestCount || (n == bestCount && e > bestEmphasis) {
        best = UInt8(s)
        bestCount = n
        bestEmphasis = e
      }
    }
    rowState[r] = best
    let c = r * limits.buckets + current
    cells[c] = combine(cells[c], best)
  }

  /// What a cell shows of two states: the more notable, else the later.
  func combine(_ a: UInt8, _ b: UInt8) -> UInt8 {
    if a == TimelineRecorder.empty { return b }
    if b == TimelineRecorder.empty { return a }
    return emphasis[Int(a)] > emphasis[Int(b)] ? a : b
  }

  // MARK: - Time

  /// Moves the current bucket to the one holding `time`, filling the buckets
  /// passed over with each row's state and the counters.
  mutating func advance(to time: UInt64) {
    if time > end { end = time }
    let t = time > origin ? time - origin : 0
    var b = t / bucketWidth
    while b >= UInt64(limits.buckets) {
      coarsen()
      b = t / bucketWidth
    }
    let target = Int(b)
    let rowsInUse = (pageState.count + pagesPerRow - 1) / pagesPerRow
    let counters = TimelineRecorder.counterNames.count
    while current < target {
      current += 1
      for r in 0..<rowsInUse { cells[r * limits.buckets + current] = rowState[r] }
      for c in 0..<counters { samples[current * counters + c] = samples[(current - 1) * counters + c] }
    }
    bucketCount = current + 1
  }

  /// Doubles the bucket width: bucket `k` becomes the merge of `2k` and `2k+1`.
  mutating func coarsen() {
    let rowsInUse = (pageState.count + pagesPerRow - 1) / pagesPerRow
    let counters = TimelineRecorder.counterNames.count
    for k in 0..<(limits.buckets / 2) {
      for r in 0..<rowsInUse {
        let a = cells[r * limits.buckets + 2 * k]
        let b = 2 * k + 1 <= current ? cells[r * limits.buckets + 2 * k + 1] : TimelineRecorder.empty
        cells[r * limits.buckets + k] = combine(a, b)
      }
      let from = 2 * k + 1 <= current ? 2 * k + 1 : 2 * k
      for c in 0..<counters { samples[k * counters + c] = samples[from * counters + c] }
    }
    for k in (limits.buckets / 2)..<limits.buckets {
      for r in 0..<rowsInUse { cells[r * limits.buckets + k] = TimelineRecorder.empty }
    }
    current /= 2
    bucketWidth = bucketWidth > UInt64.max / 2 ? .max : bucketWidth * 2
  }

  mutating func sample(imports: UInt64, exports: UInt64, conversions: UInt64) {
    let base = current * TimelineRecorder.counterNames.count
    samples[base] = imports
    samples[base + 1] = exports
    samples[base + 2] = conversions
    samples[base + 3] = extraTotal
  }

  // MARK: - Intervals and marks

  enum Track { case waits, dma }

  mutating func dma(_ e: Event, at time: UInt64) {
    let label = "dma \(e.words.contains(.write) ? "write" : "read") \(e.pages.description)"
    switch e.verb {
    case .dmaStart:
      openDMA[DMAKey(actor: e.actor, id: e.id)] = append(
        Interval(actor: e.actor, id: e.id, start: time, end: time, line: e.line, label: label, open: true, count: 1, busy: 0), to: .dma)
    case .dmaEnd:
      if let i = openDMA.removeValue(forKey: DMAKey(actor: e.actor, id: e.id)), i < dmaWindows.count {
        dmaWindows[i].end = max(dmaWindows[i].start, time)
        dmaWindows[i].busy = dmaWindows[i].end - dmaWindows[i].start
        dmaWindows[i].open = false
      }
    case .dma:
      _ = append(Interval(actor: e.actor, id: e.id, start: time, end: time, line: e.line, label: label, open: false, count: 1, busy: 0), to: .dma)
    default:
      break
    }
  }

  /// Appends an interval, merging an actor's closest closed intervals first
  /// when the track is full. Returns its index.
  mutating func append(_ interval: Interval, to track: Track) -> Int {
    switch track {
    case .waits:
      if waits.count >= limits.intervals {
        waits = compacted(waits)
        openWaits.removeAll()
        for (i, iv) in waits.enumerated() where iv.open { openWaits[iv.actor] = i }
      }
      waits.append(interval)
      return waits.count - 1
    case .dma:
      if dmaWindows.count >= limits.intervals {
        dmaWindows = compacted(dmaWindows)
        openDMA.removeAll()
        for (i, iv) in dmaWindows.enumerated() where iv.open { openDMA[DMAKey(actor: iv.actor, id: iv.id)] = i }
      }
      dmaWindows.append(interval)
      return dmaWindows.count - 1
    }
  }

  /// Merges closed intervals of the same actor separated by short gaps (the
  /// gap grows until the list is at most half full); open intervals stay.
  mutating func compacted(_ list: [Interval]) -> [Interval] {
    var list = list
    var gap = max(bucketWidth, 1)
    while list.count > limits.intervals / 2 && gap < UInt64.max / 4 {
      var merged: [Interval] = []
      merged.reserveCapacity(list.count)
      var lastOf: [Int32: Int] = [:]
      for iv in list {
        if let j = lastOf[iv.actor], !merged[j].open, !iv.open, iv.start >= merged[j].end, iv.start - merged[j].end <= gap {
          merged[j].end = max(merged[j].end, iv.end)
          merged[j].count += iv.count
          merged[j].busy += iv.busy
          intervalsMerged += 1
          continue
        }
        lastOf[iv.actor] = merged.count
        merged.append(iv)
      }
      list = merged
      gap *= 4
    }
    return list
  }

  /// Marks for findings added since the last call.
  mutating func syncFindings(_ model: inout Model) {
    let total = model.findings.findings.count + model.findings.dropped
    guard total > seenFindings else { return }
    let stored = model.findings.findings
    while seenFindings < total {
      defer { seenFindings += 1 }
      guard seenFindings < stored.count else {
        if findingCapTime == nil { findingCapTime = model.time }
        marksDropped += 1
        continue
      }
      let f = stored[seenFindings]
      let always = f.kind == .hang || f.kind == .stall
      guard always || seenFindings % markStride == 0 else {
        marksDropped += 1
        continue
      }
      if !always && marks.count >= limits.marks { thinMarks() }
      if !always && seenFindings % markStride != 0 {
        marksDropped += 1
        continue
      }
      let row = model.memory.isDeclared(f.page) && pagesPerRow > 0 ? model.memory.index(of: f.page) / pagesPerRow : 0
      marks.append(Mark(finding: f, row: row))
    }
  }

  /// Halves the marks (every other one goes, hangs and stalls stay) and the rate of new ones.
  mutating func thinMarks() {
    var kept: [Mark] = []
    kept.reserveCapacity(marks.count / 2 + 1)
    var other = 0
    for m in marks {
      if m.finding.kind == .hang || m.finding.kind == .stall {
        kept.append(m)
        continue
      }
      if other % 2 == 0 { kept.append(m) } else { marksDropped += 1 }
      other += 1
    }
    marks = kept
    markStride *= 2
  }
}
