/// What an import read, recognised, skipped and could not recover: printed
/// on standard error at the end (`write(to:)`), so nothing is dropped silently.
public struct ImportSummary: Sendable {
  public var file: String
  public var format: KernelTraceFormat?
  /// Lines read, and of them the event lines.
  public var lines = 0
  public var events = 0
  /// Events that became statements, and events known to change nothing modelled.
  public var applied = 0
  public var context = 0
  /// Unknown event kinds: name, count, the first few line numbers.
  public var unknown: [String: (count: Int, lines: [Int])] = [:]
  /// Lines that are not event lines of the format, nor headers or comments.
  public var unparsed = 0
  public var unparsedLines: [Int] = []
  /// Lines cut at the length limit.
  public var truncated = 0
  /// Known events missing a field they need (`grab_folio` without `page=`).
  public var malformed: [String: (count: Int, lines: [Int])] = [:]
  /// Events the ring buffer lost: `[LOST N EVENTS]` markers, and events
  /// overwritten before the read (`entries-in-buffer/entries-written`).
  public var lostEvents = 0
  public var lostMarkers: [Int] = []
  /// Releases with no acquire the trace showed (the reference was taken
  /// inline, or before the trace began), by event name.
  public var unmatched: [String: Int] = [:]
  /// Releases the importer emitted because a folio was freed while it still
  /// held references the trace never showed dropped.
  public var releasedAtFree = 0
  /// A folio's shape seen different from the one declared (a pfn reused at
  /// another order): the first declaration is kept.
  public var reshaped = 0
  /// Writebacks started again without a seen end: an end is implied first.
  public var impliedEnds = 0
  /// Grabs of a large folio whose page the trace did not give (taken at the head).
  public var grabsAtHead = 0
  /// Arrays (bvecs, page lists) longer than the probe fetched.
  public var truncatedArrays = 0
  /// What the folios still held when the trace ended.
  public var heldAtEnd = (gets: 0, pins: 0, longtermPins: 0, writebacks: 0)
  /// The FOLL_* layout learnt, and the line that showed it (nil with `--kernel`).
  public var layout: (name: String, line: Int)?
  /// Events whose time went backwards (kept at the previous time).
  public var clampedTimes = 0
  /// Statements written: memory blocks, actors, events.
  public var memoryStatements = 0
  public var declaredPages: UInt64 = 0
  public var actors = 0
  public var statements = 0
  /// Guest events derived by `--guest`.
  public var derived = 0

  public init(file: String) { self.file = file }

  /// Adds what the scanning stage counted (lines, events, context, unknown,
  /// unparsed, cut lines, lost events) to this, the applying stage's summary.
  mutating func merge(_ scanned: ImportSummary) {
    lines = scanned.lines
    events = scanned.events
    context += scanned.context
    unknown = scanned.unknown
    unparsed = scanned.unparsed
    unparsedLines = scanned.unparsedLines
    truncated = scanned.truncated
    lostEvents = scanned.lostEvents
    lostMarkers = scanned.lostMarkers
  }

  static func note(_ table: inout [String: (count: Int, lines: [Int])], _ name: String, line: Int) {
    var entry = table[name] ?? (0, [])
    entry.count += 1
    if entry.lines.count < 3 { entry.lines.append(line) }
    table[name] = entry
  }

  /// The closing summary, a few lines of text.
  public func write<Out: TextOutputStream>(to out: inout Out) {
    let what = format.map { "\($0.name) (\($0.description))" } ?? "no events"
    out.write("pagestate import: \(file): \(what), \(lines) lines, \(events) events\n")
    out.write("  \(applied) events became statements, \(context) are known and change nothing modelled; wrote \(statements) statements (\(memoryStatements) memory blocks of \(declaredPages) pages, \(actors) actors\(derived > 0 ? ", \(derived) derived guest events" : ""))\n")
    if !unknown.isEmpty {
      let total = unknown.values.reduce(0) { $0 + $1.count }
      out.write("  \(total) events of \(unknown.count) unknown kinds skipped: \(describe(unknown))\n")
    }
    if !malformed.isEmpty {
      out.write("  malformed (a field missing or unreadable): \(describe(malformed))\n")
    }
    if unparsed > 0 {
      out.write("  \(unparsed) lines not understood (first at line \(unparsedLines.map(String.init).joined(separator: ", ")))\n")
    }
    if truncated > 0 { out.write("  \(truncated) lines longer than the limit were cut\n") }
    if lostEvents > 0 || !lostMarkers.isEmpty {
      out.write("  LOST: \(lostEvents) events lost by the ring buffer\(lostMarkers.isEmpty ? "" : " (markers at line \(lostMarkers.prefix(5).map(String.init).joined(separator: ", ")))"): references and writebacks around them may be missing\n")
    }
    if !unmatched.isEmpty {
      out.write("  releases with no acquire in the trace (taken inline or before it began), skipped: \(unmatched.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))\n")
    }
    if releasedAtFree > 0 { out.write("  \(releasedAtFree) references released where their folio was freed (their release was not traced)\n") }
    if impliedEnds > 0 { out.write("  \(impliedEnds) writeback ends implied by a new start (their end was not traced)\n") }
    if reshaped > 0 { out.write("  \(reshaped) folios seen at another order than declared (a pfn reused): the first shape is kept\n") }
    if let l = layout { out.write("  FOLL_* flags read as \(l.name) (learnt at line \(l.line); --kernel sets it)\n") }
    if grabsAtHead > 0 { out.write("  \(grabsAtHead) grabs of a large folio without the page follow_page_pte() returned were taken at the folio's head\n") }
    if truncatedArrays > 0 { out.write("  \(truncatedArrays) page arrays were longer than the probe fetched: the pages past its end are missing\n") }
    let held = heldAtEnd
    if held.gets + held.pins + held.longtermPins + held.writebacks > 0 {
      out.write("  held at the end of the trace: \(held.longtermPins) long-term pins, \(held.pins) pins, \(held.gets) references (get), \(held.writebacks) writebacks\(held.gets > 0 ? "; put_page() is inline and cannot be traced, so a FOLL_GET reference released by it stays held (docs/import.md)" : "")\n")
    }
    if clampedTimes > 0 { out.write("  \(clampedTimes) events earlier than the one before them were kept at that time\n") }
  }

  func describe(_ table: [String: (count: Int, lines: [Int])]) -> String {
    table.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
      .prefix(12)
      .map { "\($0.key) \($0.value.count) (line \($0.value.lines.map(String.init).joined(separator: ", ")))" }
      .joined(separator: ", ") + (table.count > 12 ? ", ..." : "")
  }
}
