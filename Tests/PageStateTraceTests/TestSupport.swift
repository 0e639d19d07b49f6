import Testing

@testable import PageStateTrace

// Shared helpers of the PageStateTrace tests.

/// The setup lines most event tests start with: events then begin on line 3.
let s390Setup = "arch s390-pv\nmemory 0x0..0xff\n"
let sevSetup = "arch sev\nmemory 0x0..0xff\n"
let snpSetup = "arch sev-snp\nmemory 0x0..0xff\n"

/// Parses `text` completely.
func parse(_ text: String, file: String = "t.trace") throws(TraceError) -> [Statement] {
  var reader = TraceReader(fileName: file, source: ByteSource(string: text))
  return try reader.readAll()
}

/// Parses raw bytes completely (for BOMs, CRs and invalid UTF-8).
func parse(bytes: [UInt8]) throws(TraceError) -> [Statement] {
  var reader = TraceReader(fileName: "t.trace", source: ByteSource(bytes: bytes))
  return try reader.readAll()
}

/// The error `text` must produce; records an issue (and returns nil) if it parses.
func parseError(
  _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> TraceError? {
  do {
    let statements = try parse(text)
    Issue.record("expected an error, but the input parsed into \(statements.count) statements", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}

/// `LINE:COLUMN` of an error.
func position(_ error: TraceError) -> String { "\(error.location.line):\(error.location.column)" }

/// The events of a statement list.
func events(_ statements: [Statement]) -> [Event] {
  statements.compactMap(\.event)
}

func actors(_ statements: [Statement]) -> [ActorDeclaration] {
  statements.compactMap { if case .actor(let a) = $0 { return a } else { return nil } }
}

func symbols(_ statements: [Statement]) -> [Symbol] {
  statements.compactMap { if case .symbol(let s) = $0 { return s } else { return nil } }
}

func memories(_ statements: [Statement]) -> [MemoryDeclaration] {
  statements.compactMap { if case .memory(let m) = $0 { return m } else { return nil } }
}

func expectations(_ statements: [Statement]) -> [PageStateTrace.Expectation] {
  statements.compactMap { if case .expectation(let e) = $0 { return e } else { return nil } }
}

/// The only event of `text` (which must have exactly one).
func singleEvent(
  _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> Event {
  let all = events(try parse(text))
  try #require(all.count == 1, sourceLocation: sourceLocation)
  return all[0]
}

/// The text of the only note of a trace.
func singleNote(
  _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> (event: Event, text: String) {
  let notes = noteTexts(try parse(text))
  try #require(notes.count == 1, sourceLocation: sourceLocation)
  return notes[0]
}

/// The notes among statements, with their texts.
func noteTexts(_ statements: [Statement]) -> [(event: Event, text: String)] {
  statements.compactMap { if case .note(let e, let t) = $0 { (e, t) } else { nil } }
}

/// The bare words of an event, spelled as in a trace.
func spelled(_ words: EventWords) -> [String] {
  EventWords.spellings.filter { words.contains($0.0) }.map(\.1)
}

/// A page range as `0xFIRST+COUNT` (safe for empty ranges, unlike `description`).
func spelled(_ pages: PageRange) -> String { "\(hex(pages.first))+\(pages.count)" }

/// A compact, stable spelling of a statement, so whole streams compare as
/// strings and a failing comparison prints readably.
func summary(_ statement: Statement) -> String {
  switch statement {
  case .header(let version, let line):
    return "L\(line) header \(version)"
  case .architecture(let arch, let line):
    return "L\(line) arch \(arch.rawValue)"
  case .memory(let m):
    return "L\(m.line) memory \(spelled(m.pages)) order=\(m.order) \(m.backing.rawValue) \(m.state.rawValue)"
  case .policy(let p):
    let knobs = p.knobs.map { "\($0.key)=\($0.value)" }
    return (["L\(p.line) policy", p.preset ?? "-"] + knobs).joined(separator: " ")
  case .actor(let a):
    return "L\(a.line) actor #\(a.index) \(a.name) \(a.kind.rawValue)\(a.isExplicit ? "" : " implicit")"
  case .symbol(let s):
    return "symbol #\(s.index) \(s.name)"
  case .event(let e), .note(let e, _):
    var parts = ["L\(e.line) t=\(e.time)\(e.hasExplicitTime ? "!" : "") a#\(e.actor) \(e.verb.name)"]
    if e.pages.count > 0 { parts.append(spelled(e.pages)) }
    parts += spelled(e.words)
    if let s = e.scope { parts.append("scope=\(s.rawValue)") }
    if let f = e.failure { parts.append("fail=\(f.rawValue)") }
    if e.count != 1 { parts.append("count=\(e.count)") }
    if let s = e.size { parts.append("size=\(s.rawValue)") }
    if let c = e.cbit { parts.append("c=\(c.rawValue)") }
    if e.id >= 0 { parts.append("id=#\(e.id)") }
    if e.via >= 0 { parts.append("via=#\(e.via)") }
    if e.cpu >= 0 { parts.append("cpu=a#\(e.cpu)") }
    if case .note(_, let t) = statement { parts.append("text=\"\(t)\"") }
    return parts.joined(separator: " ")
  case .expectation(let e):
    return "L\(e.line) \(e.text)"
  }
}

func summaries(_ text: String) throws -> [String] {
  try parse(text).map(summary)
}

/// Runs `body` over the bytes of one line, already split into tokens.
func withLine<R>(_ text: String, _ body: (LineBytes, [Token]) throws -> R) rethrows -> R {
  let bytes = Array(text.utf8)
  return try bytes.withUnsafeBufferPointer { p in
    let line = LineBytes(bytes: p)
    var tokens = TokenList()
    line.tokenize(into: &tokens)
    return try body(line, Array(tokens))
  }
}
