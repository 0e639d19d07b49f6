extension TraceReader {
  mutating func parseHeader(_ line: LineBytes) throws(TraceError) -> Statement {
    if sawStatement || sawEvent {
      throw fail(tokens[0], "'pagestate' must be the first statement of the file")
    }
    guard tokens.count >= 2 else {
      throw fail(endColumn(line), "expected the language version after 'pagestate' (pagestate 1)")
    }
    guard let version = line.number(tokens[1], limit: 1 << 20) else {
      throw fail(tokens[1], "expected a version number, found '\(line.text(tokens[1]))'")
    }
    guard version == 1 else {
      throw fail(tokens[1], "unsupported trace language version \(version); this pagestate reads version 1")
    }
    try expectEnd(line, after: 1)
    return .header(version: Int(version), line: lineNumber)
  }

  mutating func parseArchitecture(_ line: LineBytes) throws(TraceError) -> Statement {
    let names = ArchitectureName.allCases.map(\.rawValue)
    guard tokens.count >= 2 else {
      throw fail(endColumn(line), "expected an architecture after 'arch' (\(names.joined(separator: ", ")))")
    }
    let word = line.text(tokens[1])
    guard let arch = ArchitectureName(rawValue: word) else {
      throw fail(tokens[1], "expected an architecture (\(names.joined(separator: ", "))), found '\(word)'\(didYouMean(word, names))")
    }
    if let architecture {
      throw fail(tokens[0], "the architecture is already set to \(architecture.rawValue); 'arch' may appear once")
    }
    try expectEnd(line, after: 1)
    architecture = arch
    return .architecture(arch, line: lineNumber)
  }

  mutating func parseMemory(_ line: LineBytes) throws(TraceError) -> Statement {
    guard let arch = architecture else {
      throw fail(tokens[0], "'memory' needs the architecture first: add 'arch s390-pv' (or sev, sev-snp) before it")
    }
    guard tokens.count >= 2 else {
      throw fail(endColumn(line), "expected a page set (P, P..Q or P+N) after 'memory'")
    }
    let pages = try pageSet(line, tokens[1])
    var order = 0
    var backing = Backing.anon
    var state = arch.initialStates[0]
    var seen: Set<String> = []
    for t in tokens.dropFirst(2) {
      let (key, value, valueToken) = try option(line, t, allowed: ["order", "backing", "state"], seen: &seen)
      switch key {
      case "order":
        guard let k = line.number(valueToken, limit: 1 << 20), k <= UInt64(Limits.maxOrder) else {
          throw fail(valueToken, "expected a folio order from 0 to \(Limits.maxOrder), found '\(value)'")
        }
        order = Int(k)
      case "backing":
        guard let b = Backing(rawValue: value) else {
          let names = Backing.allCases.map(\.rawValue)
          throw fail(valueToken, "expected a backing (\(names.joined(separator: ", "))), found '\(value)'\(didYouMean(value, names))")
        }
        if b == .gmem && arch == .s390PV {
          throw fail(valueToken, "backing=gmem (guest_memfd) exists only for arch sev and sev-snp")
        }
        backing = b
      default:
        let names = arch.initialStates.map(\.rawValue)
        guard let s = InitialState(rawValue: value), arch.initialStates.contains(s) else {
          throw fail(valueToken, "expected a page state of arch \(arch.rawValue) (\(names.joined(separator: ", "))), found '\(value)'\(didYouMean(value, names))")
        }
        state = s
      }
    }
    let folio = UInt64(1) << UInt64(order)
    if pages.first % folio != 0 {
      throw fail(tokens[1], "the first page \(hex(pages.first)) is not aligned to a folio of order \(order) (\(folio) pages)")
    }
    if pages.count % folio != 0 {
      throw fail(tokens[1], "\(pages.count) pages is not a multiple of the folio size \(folio) (order \(order))")
    }
    // `declared` is sorted and disjoint: only the neighbours of the insertion point can overlap.
    var lo = 0
    var hi = declared.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if declared[mid].first < pages.first { lo = mid + 1 } else { hi = mid }
    }
    for k in [lo - 1, lo] where k >= 0 && k < declared.count && declared[k].overlaps(pages) {
      throw fail(tokens[1], "pages \(pages) overlap pages \(declared[k]) declared before; 'memory' declarations may not overlap")
    }
    if declared.count >= Limits.memoryBlocks {
      throw fail(tokens[0], "too many 'memory' statements (at most \(Limits.memoryBlocks))")
    }
    if declaredTotal + pages.count > Limits.declaredPages {
      throw fail(tokens[1], "declaring \(pages.count) more pages exceeds the limit of \(Limits.declaredPages) declared pages (256 GiB of guest memory)")
    }
    declaredTotal += pages.count
    declared.insert(pages, at: lo)
    lastRangeIndex = 0
    return .memory(MemoryDeclaration(pages: pages, order: order, backing: backing, state: state, line: lineNumber))
  }

  mutating func parsePolicy(_ line: LineBytes) throws(TraceError) -> Statement {
    if sawPolicy {
      throw fail(tokens[0], "a file has at most one 'policy' statement")
    }
    if sawEvent {
      throw fail(tokens[0], "'policy' must come before the first event")
    }
    sawPolicy = true
    var declaration = PolicyDeclaration(preset: nil, presetColumn: 0, knobs: [], line: lineNumber)
    var seen: Set<String> = []
    for (i, t) in tokens.enumerated().dropFirst() {
      if let eq = line.equalsSign(in: t) {
        let key = line.text(Token(start: t.start, end: eq))
        if key.isEmpty { throw fail(t, "expected knob=value, found '\(line.text(t))'") }
        if eq + 1 == t.end { throw fail(eq + 2, "expected a value after '\(key)='") }
        if !seen.insert(key).inserted {
          throw fail(t, "knob '\(key)' is given twice")
        }
        let valueToken = Token(start: eq + 1, end: t.end)
        declaration.knobs.append(
          LocatedOption(key: key, value: line.text(valueToken), keyColumn: t.column, valueColumn: valueToken.column))
      } else if i == 1 {
        declaration.preset = line.text(t)
        declaration.presetColumn = t.column
      } else {
        throw fail(t, "expected a knob=value after the preset, found '\(line.text(t))'")
      }
    }
    return .policy(declaration)
  }

  mutating func parseActor(_ line: LineBytes) throws(TraceError) -> Statement {
    guard tokens.count >= 2, line.isIdentifier(tokens[1]) else {
      let found = tokens.count >= 2 ? "found '\(line.text(tokens[1]))'" : "found the end of the line"
      throw fail(tokens.count >= 2 ? tokens[1].column : endColumn(line), "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), \(found)")
    }
    let kinds = ActorKind.allCases.map(\.rawValue)
    guard tokens.count >= 3 else {
      throw fail(endColumn(line), "expected the actor's kind (\(kinds.joined(separator: ", "))) after its name")
    }
    let word = line.text(tokens[2])
    guard let kind = ActorKind(rawValue: word) else {
      throw fail(tokens[2], "expected an actor kind (\(kinds.joined(separator: ", "))), found '\(word)'\(didYouMean(word, kinds))")
    }
    try expectEnd(line, after: 2)
    let name = line.slice(tokens[1])
    if let existing = actors.find(name) {
      throw fail(tokens[1], "actor '\(line.text(tokens[1]))' already exists (since line \(actorLines[Int(existing)]))")
    }
    let index = try newActor(name, kind: kind, at: tokens[1])
    return .actor(ActorDeclaration(index: index, name: actors.names[Int(index)], kind: kind, isExplicit: true, line: lineNumber))
  }

  mutating func newActor(_ name: UnsafeBufferPointer<UInt8>, kind: ActorKind, at token: Token) throws(TraceError) -> Int32 {
    if actors.count >= Limits.names {
      throw fail(token, "too many actors (at most \(Limits.names))")
    }
    let index = actors.insert(name)
    actorKinds.append(kind)
    actorKindDecided.append(true)
    actorLines.append(lineNumber)
    return index
  }

  /// Parses a page set token: `P`, `P..Q` or `P+N`.
  /// (`mutating` only because a non-mutating call from the event parser
  /// copies the whole reader first.)
  mutating func pageSet(_ line: LineBytes, _ t: Token) throws(TraceError) -> PageRange {
    let limit = Limits.pageNumberLimit
    var expected: String { "expected a page set (P, P..Q or P+N), found '\(line.text(t))'" }
    var i = t.start
    while i < t.end && line[i] != 0x2E && line[i] != 0x2B { i += 1 }
    guard let first = line.number(from: t.start, to: i) else {
      if line.number(from: t.start, to: i, limit: .max) == nil && line.isNumeral(from: t.start, to: i) {
        throw fail(t, "page \(line.text(Token(start: t.start, end: i))) does not fit in 52 bits (guest frame numbers are below 0x10000000000000)")
      }
      throw fail(t, expected)
    }
    if first >= limit {
      throw fail(t, "page \(hex(first)) does not fit in 52 bits (guest frame numbers are below 0x10000000000000)")
    }
    if i == t.end { return PageRange(first: first, count: 1) }
    if line[i] == 0x2B {
      guard let n = line.number(from: i + 1, to: t.end) else { throw fail(t, expected) }
      guard n >= 1 else { throw fail(i + 2, "a page count P+N needs N >= 1, found \(n)") }
      guard n <= limit - first else {
        throw fail(t, "pages \(hex(first))+\(hex(n)) run past the 52-bit page number limit")
      }
      return PageRange(first: first, count: n)
    }
    guard i + 1 < t.end, line[i + 1] == 0x2E, let last = line.number(from: i + 2, to: t.end) else {
      throw fail(t, expected)
    }
    if last >= limit {
      throw fail(i + 3, "page \(hex(last)) does not fit in 52 bits (guest frame numbers are below 0x10000000000000)")
    }
    guard first <= last else {
      throw fail(t, "a page range P..Q needs P <= Q, found \(hex(first))..\(hex(last))")
    }
    return PageRange(first: first, count: last - first + 1)
  }

  /// Splits `key=value`, checks the key is allowed and not repeated.
  func option(_ line: LineBytes, _ t: Token, allowed: [String], seen: inout Set<String>) throws(TraceError) -> (String, String, Token) {
    guard let eq = line.equalsSign(in: t) else {
      throw fail(t, "expected a key=value option (\(allowed.joined(separator: ", "))), found '\(line.text(t))'")
    }
    let key = line.text(Token(start: t.start, end: eq))
    if key.isEmpty { throw fail(t, "expected key=value, found '\(line.text(t))'") }
    guard allowed.contains(key) else {
      throw fail(t, "unknown option '\(key)'; expected one of \(allowed.joined(separator: ", "))\(didYouMean(key, allowed))")
    }
    guard seen.insert(key).inserted else {
      throw fail(t, "option '\(key)' is given twice")
    }
    let valueToken = Token(start: eq + 1, end: t.end)
    guard valueToken.length > 0 else {
      throw fail(valueToken.column, "expected a value after '\(key)='")
    }
    return (key, line.text(valueToken), valueToken)
  }

  func expectEnd(_ line: LineBytes, after index: Int) throws(TraceError) {
    if tokens.count > index + 1 {
      let t = tokens[index + 1]
      throw fail(t, "expected the end of the line, found '\(line.text(t))'")
    }
  }

  /// Whether every page of `pages` is declared; the error points at `token`.
  mutating func checkDeclared(_ pages: PageRange, _ token: Token) throws(TraceError) {
    // Fast path: the block the previous event used.
    if lastRangeIndex < declared.count {
      let r = declared[lastRangeIndex]
      if pages.first >= r.first && pages.end <= r.end { return }
    }
    var page = pages.first
    while page < pages.end {
      var lo = 0
      var hi = declared.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if declared[mid].end <= page { lo = mid + 1 } else { hi = mid }
      }
      guard lo < declared.count, declared[lo].contains(page) else {
        throw fail(token, "page \(hex(page)) is not declared by any 'memory' statement")
      }
      lastRangeIndex = lo
      page = declared[lo].end
    }
  }
}
