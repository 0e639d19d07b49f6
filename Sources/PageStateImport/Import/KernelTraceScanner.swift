import PageStateTrace

/// Stage one of an import: reads each line once, tells headers, lost-event
/// markers and event lines apart, detects the format, parses an event
/// line's common part and classifies it, and hands the lines that change
/// something (events the model tracks, comments about lost events) on in
/// batches, in order. It runs on the thread that reads the input; the
/// `KernelTraceImporter` applies the batches on another.
final class KernelTraceScanner {
  /// One line handed on: an event (`kind`), or a comment (`kind` nil) for the output.
  struct Record {
    var kind: KernelEvent?
    var line: KernelTraceLine
    var number: Int
    /// The line's bytes in `Batch.bytes`, or the comment's index in `Batch.comments`.
    var offset: Int
    var length: Int
  }

  /// Lines handed on together (about 1 MiB of input): bounded memory.
  struct Batch {
    var bytes: [UInt8] = []
    var records: [Record] = []
    var comments: [String] = []
    /// The input format, once known.
    var format: KernelTraceFormat?
    var isFull: Bool { bytes.count >= 1 << 20 || records.count >= 16384 }
  }

  let fileName: String
  let options: ImportOptions
  let table = KernelEventTable()
  @exclusivity(unchecked) var format: KernelTraceFormat?
  @exclusivity(unchecked) var sawTraceCmdHeader = false
  @exclusivity(unchecked) var lineNumber = 0
  /// What this stage counts: lines, events, context, unknown, unparsed, lost.
  @exclusivity(unchecked) var summary: ImportSummary
  @exclusivity(unchecked) var batch = Batch()

  init(fileName: String, options: ImportOptions) {
    self.fileName = fileName
    self.options = options
    self.format = options.format
    self.summary = ImportSummary(file: fileName)
    batch.bytes.reserveCapacity(1 << 20 + KernelTraceImporter.lineLimit)
  }

  /// The batch so far; a new one starts.
  func take() -> Batch {
    var b = batch
    b.format = format
    batch = Batch()
    batch.bytes.reserveCapacity(1 << 20 + KernelTraceImporter.lineLimit)
    return b
  }

  func error(column: Int, _ message: String) -> TraceError {
    TraceError(SourceLocation(file: fileName, line: lineNumber, column: column), message)
  }

  func comment(_ text: String) {
    batch.records.append(Record(kind: nil, line: KernelTraceLine(), number: lineNumber, offset: batch.comments.count, length: 0))
    batch.comments.append(text)
  }

  func scan(_ p: UnsafeBufferPointer<UInt8>) throws(TraceError) {
    var i = 0
    while i < p.count && Bytes.isSpace(p[i]) { i += 1 }
    if i == p.count { return }
    if p[i] == 0x23 {  // '#': a tracefs header
      header(p, from: i)
      return
    }
    if lostMarker(p, from: i) { return }
    if otherHeader(p, from: i) { return }
    var column = 1
    var parsed: KernelTraceLine?
    if format == nil { detect(p, from: i) }
    switch format {
    case .ftrace, .traceCmd: parsed = KernelTraceLine.parseTaskPid(p, column: &column)
    case .perf: parsed = KernelTraceLine.parsePerf(p, column: &column)
    case .bpftrace: parsed = KernelTraceLine.parseBpftrace(p, column: &column)
    case nil: parsed = nil
    }
    guard let line = parsed else {
      summary.unparsed += 1
      if summary.unparsedLines.count < 3 { summary.unparsedLines.append(lineNumber) }
      if options.strict {
        let what = format.map { "a \($0.name) event line" } ?? "an event line of tracefs, trace-cmd, perf script or bpftrace"
        throw error(column: column, "expected \(what), found '\(text(p, 0..<min(p.count, 60)))'")
      }
      return
    }
    summary.events += 1
    guard let kind = table.classify(p, line) else {
      let name = text(p, line.event)
      ImportSummary.note(&summary.unknown, name, line: lineNumber)
      if options.strict {
        throw error(column: line.event.lowerBound + 1, "unknown event '\(name)': pagestate import knows the events of docs/import.md; without --strict it is counted and skipped")
      }
      return
    }
    if kind == .context {
      summary.context += 1
      return
    }
    batch.records.append(Record(kind: kind, line: line, number: lineNumber, offset: batch.bytes.count, length: p.count))
    batch.bytes.append(contentsOf: p)
  }

  /// `# entries-in-buffer/entries-written: 756/900` says 144 events were overwritten.
  func header(_ p: UnsafeBufferPointer<UInt8>, from i: Int) {
    if format == nil, text(p, i..<min(p.count, i + 9)) == "# tracer:" { format = .ftrace }
    let t = text(p, i..<p.count)
    guard let r = t.firstRange(of: "entries-in-buffer/entries-written: ") else { return }
    let nums = t[r.upperBound...].prefix { $0 != " " }.split(separator: "/")
    if nums.count == 2, let a = Int(nums[0]), let b = Int(nums[1]), b > a {
      summary.lostEvents += b - a
      summary.lostMarkers.append(lineNumber)
      comment("# \(b - a) events were overwritten in the ring buffer before this trace was read (input line \(lineNumber))")
    }
  }

  /// `CPU:0 [LOST 60 EVENTS]` (tracefs, trace-cmd), `CPU:1 [LOST EVENTS]`.
  func lostMarker(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Bool {
    guard p.count - i > 12, p[i] == 0x43, p[i + 1] == 0x50, p[i + 2] == 0x55 else { return false }
    let t = text(p, i..<p.count)
    guard let r = t.firstRange(of: "[LOST ") else { return false }
    let n = Int(t[r.upperBound...].prefix { $0.isNumber }) ?? 0
    summary.lostEvents += n
    summary.lostMarkers.append(lineNumber)
    comment("# \(t.trimmingCharacters(" ")): the ring buffer lost \(n == 0 ? "some" : String(n)) events here (input line \(lineNumber)); references and writebacks around this point may be missing")
    return true
  }

  /// Lines of the tools' own: trace-cmd's `cpus=2`, `version = 6`,
  /// `CPU 0 is empty`; tracefs's `##### CPU 1 buffer started ####`;
  /// bpftrace's `Attaching 26 probes...`.
  func otherHeader(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Bool {
    // Only lines that start with 'c', 'v', 'A' or 'C' can be one (no String per event line).
    let b = p[i]
    guard b == 0x63 || b == 0x76 || b == 0x41 || b == 0x43 else { return false }
    let head = text(p, i..<min(p.count, i + 12))
    if head.hasPrefix("cpus=") || head.hasPrefix("version = ") {
      sawTraceCmdHeader = true
      if format == nil || format == .ftrace { format = options.format ?? .traceCmd }
      return true
    }
    if head.hasPrefix("Attaching ") {
      if format == nil { format = .bpftrace }
      return true
    }
    if head.hasPrefix("CPU "), text(p, i..<p.count).hasSuffix(" is empty") { return true }
    return false
  }

  /// Decides the format from the first event line.
  func detect(_ p: UnsafeBufferPointer<UInt8>, from i: Int) {
    var column = 0
    if KernelTraceLine.parseBpftrace(p, column: &column) != nil {
      format = .bpftrace
    } else if let l = KernelTraceLine.parseTaskPid(p, column: &column) {
      // trace-cmd prints no flags column and sites as addresses.
      format = sawTraceCmdHeader || (!l.hasFlags && !l.site.isEmpty && l.siteSymbol(p) == nil) ? .traceCmd : .ftrace
    } else if let l = KernelTraceLine.parsePerf(p, column: &column), !l.group.isEmpty {
      format = .perf
    }
  }

}

/// The text of the bytes at `r` of `p`.
func text(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
  String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
}

extension String {
  func trimmingCharacters(_ c: Character) -> String {
    var s = Substring(self)
    while s.first == c { s.removeFirst() }
    while s.last == c { s.removeLast() }
    return String(s)
  }
}
