extension TraceReader {
  /// Parses an event line; a note's text is left in `noteText`.
  mutating func parseEvent(_ line: LineBytes) throws(TraceError) -> Event {
    var i = 0
    var time: UInt64 = 0
    if sawEvent {
      let (next, overflow) = lastTime.addingReportingOverflow(1_000)
      if overflow {
        throw fail(tokens[0], "the implicit time (previous event + 1us) overflows 64-bit nanoseconds")
      }
      time = next
    }
    var explicitTime = false
    if line[tokens[0].start] == 0x40 {
      let t = Token(start: tokens[0].start + 1, end: tokens[0].end)
      guard let value = line.duration(t, bareIsNanoseconds: true) else {
        throw fail(tokens[0], "expected a time after '@' (a duration like 1500us, or nanoseconds), found '\(line.text(tokens[0]))'")
      }
      if sawEvent && value < lastTime {
        throw fail(tokens[0], "time \(formatDuration(value)) is earlier than the previous event's time \(formatDuration(lastTime)); times must not decrease")
      }
      time = value
      explicitTime = true
      i = 1
    }
    guard architecture != nil else {
      throw fail(tokens[0], "an event needs the architecture first: add 'arch s390-pv' (or sev, sev-snp) before it")
    }
    guard i < tokens.count else {
      throw fail(endColumn(line), "expected 'ACTOR:' after the time")
    }
    // The actor: `name:` or `name :`.
    var actorToken = tokens[i]
    if line[actorToken.end - 1] == 0x3A {
      actorToken.end -= 1
      i += 1
    } else if i + 1 < tokens.count && line.equals(tokens[i + 1], ":") {
      i += 2
    } else {
      throw fail(actorToken, "expected 'ACTOR:' (an actor name followed by a colon), found '\(line.text(actorToken))'")
    }
    guard actorToken.length > 0 else {
      throw fail(actorToken, "expected an actor name before ':'")
    }
    // An interned name was checked when it was first seen.
    let known = actors.find(line.slice(actorToken))
    guard known != nil || line.isIdentifier(actorToken) else {
      throw fail(actorToken, "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found '\(line.text(actorToken))'")
    }
    guard i < tokens.count else {
      throw fail(endColumn(line), "expected a verb after '\(line.text(actorToken)):'")
    }
    let verbToken = tokens[i]
    guard let syntax = vocabulary.verbSyntax(line, verbToken) else {
      let word = line.text(verbToken)
      let names = VerbSyntax.table.filter { $0.architectures.contains(ArchitectureSet(architecture!)) }.map(\.name)
      throw fail(verbToken, "unknown verb '\(word)'\(didYouMean(word, names))")
    }
    let arch = architecture!
    guard syntax.architectures.contains(ArchitectureSet(arch)) else {
      throw fail(verbToken, "verb '\(syntax.name)' does not exist for arch \(arch.rawValue)")
    }
    i += 1

    // The actor: find it, or create it with the kind its verb implies.
    let actorIndex: Int32
    if let found = known {
      actorIndex = found
      let kind = actorKinds[Int(found)]
      if !actorKindDecided[Int(found)] && syntax.verb != .note {
        // The actor so far only wrote notes: its first real verb decides its kind.
        let decided = syntax.impliedKind
        actorKinds[Int(found)] = decided
        actorKindDecided[Int(found)] = true
        pending.append(.actor(ActorDeclaration(index: found, name: actors.names[Int(found)], kind: decided, isExplicit: false, line: lineNumber)))
      } else if !syntax.allows(kind) {
        throw fail(actorToken, "actor '\(line.text(actorToken))' is a \(kind.rawValue) actor (since line \(actorLines[Int(found)])) and cannot use the \(describe(syntax.requirement)) verb '\(syntax.name)'")
      }
    } else {
      let kind = syntax.impliedKind
      actorIndex = try newActor(line.slice(actorToken), kind: kind, at: actorToken)
      // A note never decides an actor's kind (trace-format.md): the kind is
      // provisional until the actor's first other verb, which re-announces it.
      actorKindDecided[Int(actorIndex)] = syntax.verb != .note
      pending.append(.actor(ActorDeclaration(index: actorIndex, name: actors.names[Int(actorIndex)], kind: kind, isExplicit: false, line: lineNumber)))
    }

    var event = Event(line: lineNumber, column: Int32(verbToken.column), time: time, actor: actorIndex, verb: syntax.verb, pages: PageRange(first: 0, count: 0))
    event.hasExplicitTime = explicitTime

    switch syntax.operand {
    case .none:
      break
    case .text:
      var s = tokens.count > i ? tokens[i].start : line.bytes.count
      var e = tokens.last.map(\.end) ?? s
      if e < s { e = s }
      if s > e { s = e }
      noteText = line.text(Token(start: s, end: e))
      i = tokens.count
    case .pages, .page:
      guard i < tokens.count else {
        throw fail(endColumn(line), "expected a \(syntax.operand == .page ? "page" : "page set (P, P..Q or P+N)") after '\(syntax.name)'")
      }
      let t = tokens[i]
      if line.equalsSign(in: t) != nil {
        throw fail(t, "expected a \(syntax.operand == .page ? "page" : "page set (P, P..Q or P+N)") before the options, found '\(line.text(t))'")
      }
      let pages = try pageSet(line, t)
      if syntax.operand == .page && pages.count != 1 {
        throw fail(t, "'\(syntax.name)' takes a single page, found the page set '\(line.text(t))'")
      }
      try checkDeclared(pages, t)
      event.pages = pages
      event.operandColumn = Int32(t.column)
      i += 1
    }

    try parseWordsAndOptions(line, from: i, syntax: syntax, into: &event)
    if syntax.verb == .touch && event.cbit != nil && arch == .s390PV {
      throw fail(tokens.last!, "option 'c' (the guest PTE C-bit) exists only for arch sev and sev-snp")
    }
    if syntax.verb == .touch && event.cbit == nil && arch == .s390PV { /* fine */ }
    sawEvent = true
    lastTime = time
    return event
  }

  func describe(_ requirement: VerbSyntax.Requirement) -> String {
    switch requirement {
    case .guest: return "guest"
    case .host: return "host"
    case .device: return "device"
    case .cpu: return "cpu"
    case .any: return "any"
    }
  }

  mutating func parseWordsAndOptions(_ line: LineBytes, from start: Int, syntax: VerbSyntax, into event: inout Event) throws(TraceError) {
    if start >= tokens.count && syntax.requiredGroupBits == 0 && syntax.requiredKeyBits == 0 { return }
    var seenKeys: UInt16 = 0
    var sawOption = false
    var i = start
    while i < tokens.count {
      let t = tokens[i]
      i += 1
      if let eq = line.equalsSign(in: t) {
        sawOption = true
        let keyToken = Token(start: t.start, end: eq)
        if keyToken.length == 0 { throw fail(t, "expected key=value, found '\(line.text(t))'") }
        guard let key = EventOptionKey.lookup(line.slice(keyToken)), syntax.keyBits & key.bit != 0 else {
          let keyText = line.text(keyToken)
          let allowed = syntax.keys.map(\.rawValue)
          let list = allowed.isEmpty ? "'\(syntax.name)' takes no options" : "'\(syntax.name)' takes \(allowed.map { "\($0)=" }.joined(separator: ", "))"
          throw fail(t, "unknown option '\(keyText)': \(list)\(didYouMean(keyText, allowed))")
        }
        let keyText = key.rawValue
        let bit = key.bit
        guard seenKeys & bit == 0 else {
          throw fail(t, "option '\(keyText)' is given twice")
        }
        seenKeys |= bit
        let v = Token(start: eq + 1, end: t.end)
        // Built only where a value is an enum's spelling or goes in a message.
        var value: String { line.text(v) }
        guard v.length > 0 else { throw fail(v.column, "expected a value after '\(keyText)='") }
        switch key {
        case .via, .id:
          guard line.isIdentifier(v) else {
            throw fail(v, "expected an identifier ([A-Za-z_][A-Za-z0-9_.-]*) after '\(keyText)=', found '\(value)'")
          }
          let index = try intern(line.slice(v), at: v)
          if key == .via { event.via = index } else { event.id = index }
        case .cpu:
          guard line.isIdentifier(v) else {
            throw fail(v, "expected an actor name after 'cpu=', found '\(value)'")
          }
          guard let a = actors.find(line.slice(v)) else {
            throw fail(v, "unknown actor '\(value)' in 'cpu='; a cpu is named by an actor that has accessed memory or was declared")
          }
          event.cpu = a
        case .scope:
          guard let s = HookScope(rawValue: value) else {
            throw fail(v, "expected a scope (page, folio), found '\(value)'")
          }
          event.scope = s
        case .fail:
          guard let f = InjectedFailure(rawValue: value) else {
            let names = InjectedFailure.allCases.map(\.rawValue)
            throw fail(v, "expected a UV call to fail (\(names.joined(separator: ", "))), found '\(value)'\(didYouMean(value, names))")
          }
          event.failure = f
        case .count:
          guard let n = line.number(v, limit: 1 << 32), n >= 1 else {
            throw fail(v, "expected a count from 1 to 4294967296, found '\(value)'")
          }
          event.count = n
        case .size:
          guard let s = GuestPageSize(rawValue: value) else {
            throw fail(v, "expected a page size (4k, 2m), found '\(value)'")
          }
          event.size = s
        case .c:
          guard let c = CBit(rawValue: value) else {
            throw fail(v, "expected a C-bit (enc, dec), found '\(value)'")
          }
          event.cbit = c
        }
        continue
      }
      // A bare word: looked up by its packed bytes; strings only for errors.
      guard let word = EventWords.lookup(line.slice(t), in: vocabulary.wordKeys), let group = syntax.group(of: word) else {
        let groups = syntax.wordGroups
        let text = line.text(t)
        let allWords = groups.flatMap { g in EventWords.spellings.filter { g.contains($0.0) }.map(\.1) }
        if allWords.isEmpty && syntax.keys.isEmpty {
          throw fail(t, "expected the end of the line after '\(syntax.name)'\(syntax.operand == .none ? "" : " and its operand"), found '\(text)'")
        }
        let options = syntax.keys.map { "\($0.rawValue)=" }
        throw fail(t, "unexpected '\(text)' for '\(syntax.name)'; expected \((allWords + options).joined(separator: ", "))\(didYouMean(text, allWords))")
      }
      if sawOption {
        throw fail(t, "'\(line.text(t))' must come before the key=value options")
      }
      if !event.words.intersection(group).isEmpty {
        let text = line.text(t)
        let other = EventWords.spellings.first { event.words.intersection(group).contains($0.0) }!.1
        throw fail(t, other == text ? "'\(text)' is given twice" : "'\(text)' conflicts with '\(other)'")
      }
      event.words.insert(word)
    }
    if syntax.requiredGroupBits == 0 && syntax.requiredKeyBits == 0 { return }
    if let group = syntax.missingGroup(in: event.words) {
      let names = EventWords.spellings.filter { group.contains($0.0) }.map(\.1)
      throw fail(endColumn(line), "'\(syntax.name)' needs one of \(names.joined(separator: " or ")), found the end of the line")
    }
    if syntax.requiredKeyBits & ~seenKeys != 0, let key = syntax.requiredKeys.first(where: { seenKeys & $0.bit == 0 }) {
      throw fail(endColumn(line), "'\(syntax.name)' needs the option '\(key.rawValue)='")
    }
  }

  mutating func intern(_ name: UnsafeBufferPointer<UInt8>, at t: Token) throws(TraceError) -> Int32 {
    if let s = symbols.find(name) { return s }
    if symbols.count >= Limits.names {
      throw fail(t, "too many distinct ids and tags (at most \(Limits.names))")
    }
    let index = symbols.insert(name)
    pending.append(.symbol(Symbol(index: index, name: symbols.names[Int(index)])))
    return index
  }
}

extension VerbSyntax {
  static let packedNames: [(UInt64, UInt64, Int)] = table.map { s in
    Array(s.name.utf8).withUnsafeBufferPointer { LineBytes.pack($0) }
  }

  /// The home slot of a packed name in `slots`.
  @inline(__always)
  static func slot(of key: (UInt64, UInt64, Int)) -> Int {
    let h = (key.0 &* 0x9E37_79B9_7F4A_7C15) ^ ((key.1 &+ UInt64(key.2)) &* 0xC2B2_AE3D_27D4_EB4F)
    return Int(truncatingIfNeeded: h >> 57)  // 128 slots
  }

  /// Open addressing over the packed names: slot -> index in `table`, or -1.
  static let slots: [Int8] = {
    var slots = [Int8](repeating: -1, count: 128)
    precondition(table.count < 100)
    for (i, key) in packedNames.enumerated() {
      var s = slot(of: key)
      while slots[s] >= 0 { s = (s + 1) & 127 }
      slots[s] = Int8(i)
    }
    return slots
  }()
}
