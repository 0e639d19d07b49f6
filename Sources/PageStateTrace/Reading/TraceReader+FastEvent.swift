extension TraceReader {
  /// The common event line, `NAME: VERB [0xPAGE] [WORD ...] [id=X] [via=X]`
  /// by an actor and with names already seen, parsed in one pass over its
  /// bytes without tokenizing it: the replay's hot path.
  ///
  /// Returns nil for anything else (a time, a new actor or name, a comment,
  /// a page range, other options, a note, any error), which the general
  /// parser then reads from the start of the line; so both paths give the
  /// same statements and the same errors (`FastEventTests` checks this on
  /// every fixture, every workload and mutated lines). Changes nothing in
  /// the reader unless it returns an event.
  mutating func fastEvent(_ line: LineBytes) -> Event? {
    guard usesFastPath, sawEvent, let arch = architecture, let p = line.bytes.baseAddress else { return nil }
    let n = line.bytes.count
    @inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    // The bytes of a token from `i`: every byte above '#' (0x23). A token
    // that ends on anything but a blank or the end of the line (a comment,
    // a control byte, '!' or '"') is left to the general path.
    @inline(__always) func tokenEnd(_ i: Int) -> Int? {
      var j = i
      // Eight bytes at a time where the line has them: the lowest byte
      // below 0x24 is found exactly by the `hasless` bit trick.
      while j + 8 <= n {
        let w = UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
        let low = (w &- 0x2424_2424_2424_2424) & ~w & 0x8080_8080_8080_8080
        if low != 0 {
          j += low.trailingZeroBitCount >> 3
          return isBlank(p[j]) ? j : nil
        }
        j += 8
      }
      while j < n && p[j] > 0x23 { j += 1 }
      return j == n || isBlank(p[j]) ? j : nil
    }
    @inline(__always) func skipBlanks(_ i: inout Int) {
      while i < n && isBlank(p[i]) { i += 1 }
    }

    // `NAME:` and a blank, NAME an actor whose kind is decided.
    var i = 0
    while i < n && p[i] > 0x23 && p[i] != 0x3A { i += 1 }
    guard i > 0, i <= 16, i + 1 < n, p[i] == 0x3A, isBlank(p[i + 1]),
      let actor = actors.find(packed: line.packed(Token(start: 0, end: i)))
    else { return nil }
    i += 1
    skipBlanks(&i)

    // The verb.
    let verbStart = i
    guard let verbEnd = tokenEnd(i), verbEnd > verbStart,
      let syntax = vocabulary.verbSyntax(line, Token(start: verbStart, end: verbEnd)),
      syntax.verb != .note, syntax.architectures.contains(ArchitectureSet(arch)),
      actorKindDecided[Int(actor)], syntax.allows(actorKinds[Int(actor)])
    else { return nil }
    i = verbEnd
    let (time, overflow) = lastTime.addingReportingOverflow(1_000)
    guard !overflow else { return nil }
    var pendingRangeIndex = lastRangeIndex
    var event = Event(line: lineNumber, column: Int32(verbStart + 1), time: time, actor: actor, verb: syntax.verb, pages: PageRange(first: 0, count: 0))

    // The operand: a hexadecimal page, or `P+N` with N in decimal, in the
    // block the previous event used.
    switch syntax.operand {
    case .none:
      break
    case .text:
      return nil
    case .page, .pages:
      skipBlanks(&i)
      guard let end = tokenEnd(i), end - i > 2, p[i] == 0x30, p[i + 1] | 0x20 == 0x78 else { return nil }
      var value: UInt64 = 0
      var k = i + 2
      while k < end {
        let c = p[k]
        let lower = c | 0x20
        let d: UInt8 = c &- 0x30 < 10 ? c &- 0x30 : lower &- 0x61 < 6 ? lower &- 0x61 &+ 10 : 0xFF
        if d > 15 { break }
        value = value &<< 4 | UInt64(d)
        k += 1
      }
      guard k > i + 2, k - i - 2 <= 13 else { return nil }
      var count: UInt64 = 1
      if k < end {
        // `+N`: up to 9 decimal digits, N >= 1.
        guard p[k] == 0x2B, end - k - 1 >= 1, end - k - 1 <= 9 else { return nil }
        count = 0
        for j in (k + 1)..<end {
          let d = p[j] &- 0x30
          guard d < 10 else { return nil }
          count = count * 10 + UInt64(d)
        }
        guard count >= 1 else { return nil }
      }
      guard value < Limits.pageNumberLimit, syntax.operand == .pages || count == 1 else { return nil }
      // The declared block holding the pages, as `checkDeclared` finds it
      // (the previous event's block first); a set over several blocks, or
      // undeclared pages, take the general path.
      var b = lastRangeIndex
      if !(b < declared.count && value >= declared[b].first && value < declared[b].end) {
        var lo = 0
        var hi = declared.count
        while lo < hi {
          let mid = (lo + hi) / 2
          if declared[mid].end <= value { lo = mid + 1 } else { hi = mid }
        }
        guard lo < declared.count, declared[lo].contains(value) else { return nil }
        b = lo
      }
      guard count <= declared[b].end - value else { return nil }
      pendingRangeIndex = b
      event.pages = PageRange(first: value, count: count)
      event.operandColumn = Int32(i + 1)
      i = end
    }

    // Bare words, then `id=` / `via=` with names already interned.
    var seenKeys: UInt16 = 0
    while true {
      skipBlanks(&i)
      if i == n { break }
      guard let end = tokenEnd(i), end > i else { return nil }
      let t = Token(start: i, end: end)
      i = end
      if let eq = line.equalsSign(in: t) {
        guard let key = EventOptionKey.lookup(line.slice(Token(start: t.start, end: eq))), key == .id || key == .via,
          syntax.keyBits & key.bit != 0, seenKeys & key.bit == 0,
          let name = symbols.find(line.slice(Token(start: eq + 1, end: t.end)))
        else { return nil }
        seenKeys |= key.bit
        if key == .via { event.via = name } else { event.id = name }
      } else {
        guard seenKeys == 0, let word = EventWords.lookup(line.slice(t), in: vocabulary.wordKeys),
          let group = syntax.group(of: word), event.words.isDisjoint(with: group)
        else { return nil }
        event.words.insert(word)
      }
    }
    guard syntax.missingGroup(in: event.words) == nil, syntax.requiredKeyBits & ~seenKeys == 0 else { return nil }
    lastTime = time
    lastRangeIndex = pendingRangeIndex
    return event
  }
}
