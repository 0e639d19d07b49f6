import PageStateTrace

/// A small trace split into what `explore` needs: its setup statements, each
/// actor's events in program order (one thread per actor), and the text of
/// every line, to write counterexamples back in the trace language.
public struct Scenario: Sendable {
  public var fileName: String
  /// Statements before and between events that are not events: arch, memory,
  /// policy, actors, symbols (expectations are dropped).
  public var setup: [Statement] = []
  /// Events per actor index, in program order.
  public var threads: [[Event]] = []
  public var actorNames: [String] = []
  public var architecture: ArchitectureName = .s390PV
  /// The source lines by number (1-based).
  public var lines: [String] = []
  /// Whether some event takes an LRU-batch reference (conversions then drain
  /// every batch, so they touch every folio).
  public var hasLRU = false
  /// The memory declarations: page ranges and their folio sizes.
  var blocks: [(pages: PageRange, folio: UInt64)] = []

  /// Pages every explored state holds: those of the folios the events
  /// touch (`touchedMemoryOnly`).
  public var declaredPages: UInt64 {
    setup.reduce(0) { total, s in
      if case .memory(let d) = s { return total + d.pages.count }
      return total
    }
  }

  /// What one explored state costs at least, in bytes: the 12-byte entry of
  /// every declared page (a state is a whole replay, copied on change).
  public var bytesPerState: UInt64 { declaredPages * 12 + 4096 }

  /// The setup with each `memory` declaration cut down to the folios some
  /// event touches: every explored state holds the state of every declared
  /// page, and a page no event names, in a folio no event names, never
  /// changes and never decides a finding (whole folios are kept, for the
  /// folio-wide hook, conversions, splits and merges). A scenario that
  /// declares 2^20 pages and uses a few folios then costs a few folios a
  /// state.
  static func touchedMemoryOnly(_ setup: [Statement], threads: [[Event]], blocks: [(pages: PageRange, folio: UInt64)]) -> [Statement] {
    // The touched ranges, widened to whole folios of the block they are in
    // (and to 512 pages: an SEV-SNP 2M RMP entry covers its aligned 2M range).
    var touched: [PageRange] = []
    for thread in threads {
      for e in thread where e.pages.count > 0 {
        var unit: UInt64 = 512
        for b in blocks where b.pages.overlaps(e.pages) { unit = max(unit, b.folio) }
        let first = e.pages.first & ~(unit - 1)
        let end = (e.pages.end + unit - 1) & ~(unit - 1)
        touched.append(PageRange(first: first, count: end - first))
      }
    }
    guard !touched.isEmpty else { return setup }
    touched.sort { $0.first < $1.first }
    var merged: [PageRange] = []
    for r in touched {
      if let last = merged.last, r.first <= last.end {
        merged[merged.count - 1] = PageRange(first: last.first, count: max(last.end, r.end) - last.first)
      } else {
        merged.append(r)
      }
    }
    var out: [Statement] = []
    for s in setup {
      guard case .memory(let d) = s else {
        out.append(s)
        continue
      }
      let folio = UInt64(1) << UInt64(d.order)
      var kept = false
      for r in merged where r.overlaps(d.pages) {
        // The part of the block in the touched range, on its folio boundaries.
        let first = max(d.pages.first, r.first & ~(folio - 1))
        let end = min(d.pages.end, (r.end + folio - 1) & ~(folio - 1))
        guard end > first else { continue }
        var piece = d
        piece.pages = PageRange(first: first, count: end - first)
        out.append(.memory(piece))
        kept = true
      }
      // A block no event touches stays as one folio, so the declaration (and its errors) still reads.
      if !kept {
        var piece = d
        piece.pages = PageRange(first: d.pages.first, count: min(d.pages.count, folio))
        out.append(.memory(piece))
      }
    }
    return out
  }

  /// The largest declared folio size among the blocks `pages` touches.
  func folioPages(around pages: PageRange) -> UInt64 {
    var unit: UInt64 = 1
    for b in blocks where b.pages.overlaps(pages) { unit = max(unit, b.folio) }
    return unit
  }

  /// The most events a scenario may have: exploration is exponential.
  public static let maxEvents = 10_000

  /// Reads a whole trace from bytes.
  public init(fileName: String, bytes: [UInt8]) throws(TraceError) {
    self.fileName = fileName
    var reader = TraceReader(fileName: fileName, source: ByteSource(bytes: bytes))
    var count = 0
    while let s = try reader.next() {
      switch s {
      case .event(let e), .note(let e, _):
        count += 1
        if count > Scenario.maxEvents {
          throw TraceError(SourceLocation(file: fileName, line: e.line, column: 1), "explore takes small scenarios (at most \(Scenario.maxEvents) events); replay this trace instead")
        }
        while threads.count <= Int(e.actor) { threads.append([]) }
        threads[Int(e.actor)].append(e)
        if e.verb == .lruAdd { hasLRU = true }
      case .expectation:
        break
      case .actor(let a):
        if Int(a.index) == actorNames.count { actorNames.append(a.name) }
        while threads.count <= Int(a.index) { threads.append([]) }
        setup.append(s)
      case .memory(let d):
        blocks.append((d.pages, UInt64(1) << UInt64(d.order)))
        setup.append(s)
      case .architecture(let arch, _):
        architecture = arch
        setup.append(s)
      default:
        setup.append(s)
      }
    }
    setup = Scenario.touchedMemoryOnly(setup, threads: threads, blocks: blocks)
    // Split the bytes, not a String: "\r\n" is one Character, so a String
    // split at "\n" would keep a CRLF file in one piece.
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    lines = body.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
      var l = line
      if l.last == 0x0D { l = l.dropLast() }
      return String(decoding: l, as: UTF8.self)
    }
  }

  /// The text of a line, without its comment.
  func text(of line: Int) -> String {
    guard line >= 1 && line <= lines.count else { return "" }
    var l = lines[line - 1]
    if let hash = l.firstIndex(of: "#") { l = String(l[..<hash]) }
    while let last = l.last, last == " " || last == "\t" { l.removeLast() }
    return l
  }
}
