#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a trace (language v1) as a stream of statements.
///
/// Streaming and byte-level: lines are found in 1 MiB chunks and parsed in
/// place, and nothing is kept per event, so memory use depends on the number
/// of declared pages, actors and names, never on the length of the trace.
/// Every lexical and setup rule of `trace-format.md` is checked here; the
/// first violation is thrown as a `TraceError` with its line and column.
public struct TraceReader {
  /// The limits that keep input from allocating without bound.
  public enum Limits {
    /// Longest line, in bytes.
    public static let lineLength = 64 * 1024
    /// Pages that all `memory` statements together may declare (256 GiB of
    /// guest memory: about 700 MB of model state per policy replayed).
    public static let declaredPages: UInt64 = 1 << 26
    /// Page numbers are guest frame numbers that fit in 52 bits.
    public static let pageNumberLimit: UInt64 = 1 << 52
    /// Largest folio order.
    public static let maxOrder = 18
    /// Actors, and interned ids and tags.
    public static let names = 1 << 20
    /// `memory` statements.
    public static let memoryBlocks = 1 << 16
    /// `expect` lines in one file.
    public static let expectations = 100_000
  }

  public let fileName: String
  let source: ByteSource
  var lineNumber = 0
  var tokens = TokenList()
  var pending: [Statement] = []
  var pendingIndex = 0
  /// The vocabulary tables, held by reference so a lookup neither goes
  /// through the lazy initialization check of a `static let` on every line
  /// nor makes the reader a larger value to copy.
  final class Vocabulary: Sendable {
    let verbTable = VerbSyntax.table
    let verbKeys = VerbSyntax.packedNames
    let verbSlots = VerbSyntax.slots
    let wordKeys = EventWords.packed

    /// The bare words, by the slot `wordSlot` gives their packed spelling.
    let wordSlots: [(UInt64, EventWords)]
    /// The multiplier of `wordSlot`, chosen so that no two words share a slot.
    let wordMultiplier: UInt64
    /// A hexadecimal digit's value by its byte, or 0xFF.
    let hexDigits: [UInt8] = (0..<256).map { c in
      switch UInt8(c) {
      case 0x30...0x39: return UInt8(c) - 0x30
      case 0x41...0x46: return UInt8(c) - 0x41 + 10
      case 0x61...0x66: return UInt8(c) - 0x61 + 10
      default: return 0xFF
      }
    }

    init() {
      // Multiply-shift into 32 slots; try odd multipliers until the words
      // fall in distinct slots.
      var multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
      while true {
        var slots = [(UInt64, EventWords)](repeating: (0, []), count: 32)
        var clash = false
        for (key, _, word) in EventWords.packed {
          let slot = Int(truncatingIfNeeded: (key &* multiplier) >> 59)
          if slots[slot].0 != 0 { clash = true }
          slots[slot] = (key, word)
        }
        if !clash {
          wordSlots = slots
          wordMultiplier = multiplier
          return
        }
        multiplier = multiplier &+ 0x2_0000_0002
      }
    }

    /// Finds a verb by its token, packed into two words and hashed into a
    /// small open-addressing table: no `String`, no reference counting, one
    /// or two comparisons on the hot path.
    func verbSyntax(_ line: LineBytes, _ t: Token) -> VerbSyntax? {
      guard t.length > 0 && t.length <= 16 else { return nil }
      return verbSyntax(packed: line.packed(t))
    }

    /// A verb by its spelling packed as `LineBytes.pack` packs it.
    @inline(__always)
    func verbSyntax(packed key: (UInt64, UInt64, Int)) -> VerbSyntax? {
      verbSlots.withUnsafeBufferPointer { slots in
        verbKeys.withUnsafeBufferPointer { keys in
          var slot = VerbSyntax.slot(of: key)
          while true {
            let v = Int(slots[slot])
            if v < 0 { return nil }
            if keys[v].0 == key.0 && keys[v].1 == key.1 && keys[v].2 == key.2 { return verbTable[v] }
            slot = (slot + 1) & (slots.count - 1)
          }
        }
      }
    }

    /// A bare word by its spelling (1-8 bytes, none of them zero) packed
    /// into one word: one multiplication and one comparison.
    @inline(__always)
    func word(packed key: UInt64) -> EventWords? {
      let entry = wordSlots[Int(truncatingIfNeeded: (key &* wordMultiplier) >> 59)]
      return entry.0 == key ? entry.1 : nil
    }
  }
  let vocabulary = Vocabulary()
  /// Whether `read(into:limit:)` tries `fastEvents` first (tests turn it
  /// off to compare the two paths).
  var usesFastPath = true
  /// Line prefixes seen by the fast path, by `prefixSlot` (direct-mapped).
  var prefixes = [LinePrefix](repeating: LinePrefix(), count: TraceReader.prefixSlots)
  /// The text of the `note` just parsed (see `Statement.note`).
  var noteText: String?

  // Setup state.
  public internal(set) var architecture: ArchitectureName?
  var sawStatement = false
  var sawPolicy = false
  var sawEvent = false
  var lastTime: UInt64 = 0
  var declared: [PageRange] = []  // sorted by first page
  var declaredTotal: UInt64 = 0
  var actors = NameTable()
  var actorKinds: [ActorKind] = []
  /// False while an actor has only written notes (its kind is provisional).
  var actorKindDecided: [Bool] = []
  var actorLines: [Int] = []
  var symbols = NameTable()
  var expectationCount = 0
  var lastRangeIndex = 0

  public init(fileName: String, source: ByteSource) {
    self.fileName = fileName
    self.source = source
  }

  /// The names of the actors seen so far, by index.
  public var actorNames: [String] { actors.names }

  /// The next statement, or nil at the end of the trace.
  public mutating func next() throws(TraceError) -> Statement? {
    if pendingIndex < pending.count {
      let s = pending[pendingIndex]
      pendingIndex += 1
      if pendingIndex == pending.count {
        pending.removeAll(keepingCapacity: true)
        pendingIndex = 0
      }
      return s
    }
    while true {
      guard let range = try nextLine() else { return nil }
      let statement = try source.buffer.withUnsafeBufferPointer { (all) throws(TraceError) -> Statement? in
        try parse(lineBytes(all, range))
      }
      if let statement {
        if pending.isEmpty { return statement }
        pending.append(statement)
        return try next()
      }
      if !pending.isEmpty { return try next() }
    }
  }

  /// Reads statements into `batch` (emptied first) until it holds `limit`
  /// events or the trace ends; returns false at the end of the trace (the
  /// batch may still hold its last statements). The same statements as
  /// `next()`, without an enum per event: the replay's hot path.
  ///
  /// On an error the batch keeps the statements before the bad line.
  public mutating func read(into batch: inout StatementBatch, limit: Int) throws(TraceError) -> Bool {
    batch.events.removeAll(keepingCapacity: true)
    batch.others.removeAll(keepingCapacity: true)
    batch.positions.removeAll(keepingCapacity: true)
    flushPending(into: &batch)
    while batch.events.count < limit {
      // The complete lines of the bytes in hand, in one pass over the buffer.
      let source = self.source
      var start = source.start
      let end = source.end
      try source.buffer.withUnsafeBufferPointer { (all) throws(TraceError) in
        guard let base = all.baseAddress else { return }
        while batch.events.count < limit && start < end {
          start = fastEvents(base, from: start, to: end, into: &batch.events, limit: limit)
          guard batch.events.count < limit && start < end else { return }
          guard let hit = memchr(base + start, 0x0A, end - start) else { return }
          let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
          try checkLength(newline - start - (newline > start && base[newline - 1] == 0x0D ? 1 : 0))
          lineNumber += 1
          let range = start..<newline
          start = newline + 1
          try parseLine(lineBytes(all, range), into: &batch)
        }
      }
      source.start = start  // (after an error the reader is not used again)
      if batch.events.count >= limit { break }
      // No complete line in hand: read more (or take the last line).
      guard let range = try nextLine() else { return false }
      try source.buffer.withUnsafeBufferPointer { (all) throws(TraceError) in
        try parseLine(lineBytes(all, range), into: &batch)
      }
    }
    return true
  }

  mutating func parseLine(_ line: LineBytes, into batch: inout StatementBatch) throws(TraceError) {
    line.tokenize(into: &tokens)
    guard !tokens.isEmpty else { return }
    if isEvent(line) {
      let e = try parseEvent(line)
      if pendingIndex < pending.count { flushPending(into: &batch) }
      if e.verb == .note {
        batch.append(other: .note(e, text: takeNoteText()))
      } else {
        batch.events.append(e)
      }
    } else {
      let s = try parseStatement(line)
      flushPending(into: &batch)
      batch.append(other: s)
    }
  }

  mutating func flushPending(into batch: inout StatementBatch) {
    guard pendingIndex < pending.count else { return }
    for s in pending[pendingIndex...] { batch.append(other: s) }
    pending.removeAll(keepingCapacity: true)
    pendingIndex = 0
  }

  /// The bytes of a line without a leading byte order mark or a trailing CR.
  func lineBytes(_ all: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> LineBytes {
    var line = UnsafeBufferPointer(rebasing: all[range])
    if lineNumber == 1 && line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
      line = UnsafeBufferPointer(rebasing: line[3...])  // a UTF-8 byte order mark
    }
    if let last = line.last, last == 0x0D {
      line = UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
    }
    return LineBytes(bytes: line)
  }

  /// Reads every statement; for tests and small inputs.
  public mutating func readAll() throws(TraceError) -> [Statement] {
    var all: [Statement] = []
    while let s = try next() { all.append(s) }
    return all
  }

  /// The byte range of the next line in `source.buffer`, without its `\n`.
  mutating func nextLine() throws(TraceError) -> Range<Int>? {
    while true {
      let start = source.start
      let end = source.end
      let newline: Int? = source.buffer.withUnsafeBufferPointer { p in
        guard start < end else { return nil }
        guard let hit = memchr(p.baseAddress! + start, 0x0A, end - start) else { return nil }
        return p.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      }
      // The limit is on the line without its line ending: a CRLF line may be
      // one byte longer than an LF line of the same text.
      if let newline {
        try checkLength(newline - start - (endsWithCR(before: newline, from: start) ? 1 : 0))
        lineNumber += 1
        source.start = newline + 1
        return start..<newline
      }
      try checkLength(end - start - (endsWithCR(before: end, from: start) ? 1 : 0))
      let more: Bool
      do {
        more = try source.fill()
      } catch {
        throw TraceError(location(column: 1), "cannot read '\(fileName)': \(error.message)")
      }
      if !more {
        let s = source.start
        let e = source.end
        if s >= e { return nil }
        lineNumber += 1
        source.start = e
        return s..<e  // the last line has no trailing newline
      }
    }
  }

  /// Whether the byte before `position` (after `start`) is a carriage return.
  func endsWithCR(before position: Int, from start: Int) -> Bool {
    position > start && source.buffer[position - 1] == 0x0D
  }

  func checkLength(_ length: Int) throws(TraceError) {
    if length > Limits.lineLength {
      throw TraceError(
        SourceLocation(file: fileName, line: lineNumber + 1, column: Limits.lineLength + 1),
        "line is longer than \(Limits.lineLength) bytes")
    }
  }

  func location(column: Int) -> SourceLocation {
    SourceLocation(file: fileName, line: lineNumber, column: column)
  }

  func fail(_ column: Int, _ message: String) -> TraceError {
    TraceError(location(column: column), TraceReader.printable(message))
  }

  func fail(_ token: Token, _ message: String) -> TraceError {
    TraceError(location(column: token.column), TraceReader.printable(message))
  }

  /// A message quoting the trace's bytes, with control characters (NUL, a
  /// lone CR, ESC, ...) and invisible ones (a BOM, U+FFFD for invalid UTF-8
  /// stays) written as escapes, so an error never carries terminal control
  /// sequences or hides what it complains about.
  static func printable(_ message: String) -> String {
    guard message.unicodeScalars.contains(where: needsEscape) else { return message }
    var out = ""
    for u in message.unicodeScalars {
      if needsEscape(u) {
        out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
      } else {
        out.unicodeScalars.append(u)
      }
    }
    return out
  }

  static func needsEscape(_ u: Unicode.Scalar) -> Bool {
    u.value < 0x20 || u.value == 0x7F || (u.value >= 0x80 && u.value < 0xA0) || u.value == 0xFEFF
      || (u.value >= 0x200B && u.value <= 0x200F) || (u.value >= 0x2028 && u.value <= 0x202E)
  }

  /// The column just past the end of the line's last token (for "expected X" at end of line).
  func endColumn(_ line: LineBytes) -> Int {
    (tokens.last?.end ?? 0) + 1
  }

  mutating func parse(_ line: LineBytes) throws(TraceError) -> Statement? {
    line.tokenize(into: &tokens)
    guard !tokens.isEmpty else { return nil }
    if isEvent(line) {
      let e = try parseEvent(line)
      return e.verb == .note ? .note(e, text: takeNoteText()) : .event(e)
    }
    return try parseStatement(line)
  }

  /// Whether a tokenized line is an event: `@TIME ...`, `NAME: ...` or `NAME : ...`.
  func isEvent(_ line: LineBytes) -> Bool {
    let first = tokens[0]
    return line[first.start] == 0x40 /* @ */ || line[first.end - 1] == 0x3A /* : */
      || (tokens.count > 1 && line.equals(tokens[1], ":"))
  }

  mutating func takeNoteText() -> String {
    defer { noteText = nil }
    return noteText ?? ""
  }

  /// A statement other than an event, from a tokenized line.
  mutating func parseStatement(_ line: LineBytes) throws(TraceError) -> Statement {
    let first = tokens[0]
    let statement: Statement
    if line.equals(first, "pagestate") {
      statement = try parseHeader(line)
    } else if line.equals(first, "arch") {
      statement = try parseArchitecture(line)
    } else if line.equals(first, "memory") {
      statement = try parseMemory(line)
    } else if line.equals(first, "policy") {
      statement = try parsePolicy(line)
    } else if line.equals(first, "actor") {
      statement = try parseActor(line)
    } else if line.equals(first, "expect") {
      statement = try parseExpectation(line)
    } else {
      let word = line.text(first)
      let keywords = ["pagestate", "arch", "memory", "policy", "actor", "expect"]
      var hint = didYouMean(word, keywords)
      if hint.isEmpty, VerbSyntax.named(word) != nil {
        hint = " (an event needs its actor first: 'ACTOR: \(word) ...')"
      }
      throw fail(
        first,
        "expected a statement (pagestate, arch, memory, policy, actor, expect) or an event 'ACTOR: VERB ...', found '\(word)'\(hint)"
      )
    }
    sawStatement = true
    return statement
  }
}
