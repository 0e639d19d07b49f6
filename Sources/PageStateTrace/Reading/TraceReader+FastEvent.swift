extension TraceReader {
  /// Parses common event lines, `NAME: VERB [0xPAGE[+N]] [WORD ...] [id=X]
  /// [via=X]` by a known actor and with names already seen, straight from
  /// the bytes in hand: the replay's hot path.
  ///
  /// Starts at `start`, the first byte of a line, and goes on line after
  /// line until `events` holds `limit` events, the bytes in hand run short
  /// (within 17 bytes of `end`), or a line is anything else: a time, a new
  /// actor or name, a comment, a page range, other options, a note, a CR,
  /// any error. Returns the start of the line it did not take, which the
  /// general parser then reads from its first byte; so both paths give the
  /// same statements and the same errors (`FastEventTests` checks this on
  /// every fixture, every workload and mutated lines). A line it does not
  /// take changes nothing in the reader.
  ///
  /// Delimiters are found eight bytes at a time and names are compared as
  /// two packed words (`LineBytes.pack`), with no per-line call to find
  /// the newline: about 550 instructions for a 26-byte line, the event's
  /// checks and its append included (docs/performance.md).
  mutating func fastEvents(
    _ base: UnsafePointer<UInt8>, from start: Int, to end: Int, into events: inout [Event], limit: Int
  ) -> Int {
    guard usesFastPath, sawEvent, let arch = architecture else { return start }
    let archBit = ArchitectureSet(arch)
    let vocabulary = self.vocabulary
    return vocabulary.hexDigits.withUnsafeBufferPointer { hex in
      var s = start
      while events.count < limit {
        let next = fastEvent(base, at: s, end: end, archBit, vocabulary, hex.baseAddress!, into: &events)
        if next < 0 { break }
        s = next
      }
      return s
    }
  }

  /// One line of `fastEvents`: appends the event and returns the start of
  /// the next line, or returns -1 (and changes nothing) if the line is not
  /// a common event line.
  @inline(__always)
  mutating func fastEvent(
    _ p: UnsafePointer<UInt8>, at s: Int, end: Int, _ archBit: ArchitectureSet, _ vocabulary: Vocabulary,
    _ hex: UnsafePointer<UInt8>, into events: inout [Event]
  ) -> Int {
    @inline(__always) func load(_ i: Int) -> UInt64 {
      UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
    }
    @inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    // A token ends on a blank or the newline; any other byte up to '#'
    // (a comment, a CR, a control byte, '!' or '"') is the general path's.
    @inline(__always) func endsToken(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A }
    // The 16 bytes at `i` (the caller checked they are in hand) and how
    // many come before the first delimiter, or before a colon too if
    // `colon`: 0-15, or nil if there is none among them.
    @inline(__always) func token(at i: Int, colon: Bool = false) -> (UInt64, UInt64, Int)? {
      let a = load(i)
      let b = load(i + 8)
      let stopA = LineBytes.delimiterBits(a) | (colon ? LineBytes.bits(of: 0x3A, in: a) : 0)
      if stopA != 0 { return (a, b, stopA.trailingZeroBitCount >> 3) }
      let stopB = LineBytes.delimiterBits(b) | (colon ? LineBytes.bits(of: 0x3A, in: b) : 0)
      guard stopB != 0 else { return nil }
      return (a, b, 8 + stopB.trailingZeroBitCount >> 3)
    }

    // `NAME:` and a blank, NAME (1-15 bytes) an actor whose kind is decided.
    guard s + 17 <= end, let (a, b, c) = token(at: s, colon: true),
      c > 0, p[s + c] == 0x3A, isBlank(p[s + c + 1])
    else { return -1 }

    // The verb (1-15 bytes).
    var v = s + c + 2
    while v < end && isBlank(p[v]) { v += 1 }
    guard v + 16 <= end, let (va, vb, length) = token(at: v), length > 0, endsToken(p[v + length]) else { return -1 }

    // The actor and the verb: from the line's first bytes when a line
    // started with the same ones (`vcpu0: touch`), else looked up and
    // checked, and remembered if they fit in 16 bytes.
    let actor: Int32
    let syntax: VerbSyntax
    let prefix = v + length - s
    let prefixA = prefix >= 8 ? a : LineBytes.low(a, bytes: prefix)
    let prefixB = prefix > 8 ? LineBytes.low(b, bytes: prefix - 8) : 0
    let slot = TraceReader.prefixSlot(prefixA, prefixB)
    if prefix <= 16, prefixes[slot].a == prefixA, prefixes[slot].b == prefixB, prefixes[slot].actor >= 0 {
      actor = prefixes[slot].actor
      syntax = vocabulary.verbTable[Int(prefixes[slot].verb)]
    } else {
      guard let found = actors.find(packed: LineBytes.key(a, b, length: c)), actorKindDecided[Int(found)],
        let verb = vocabulary.verbSyntax(packed: LineBytes.key(va, vb, length: length)),
        verb.verb != .note, verb.architectures.contains(archBit), verb.allows(actorKinds[Int(found)])
      else { return -1 }
      // What was checked stays true: an actor's kind, once decided, and
      // the architecture never change.
      if prefix <= 16 { prefixes[slot] = LinePrefix(a: prefixA, b: prefixB, actor: found, verb: verb.verb.rawValue) }
      actor = found
      syntax = verb
    }
    let (time, overflow) = lastTime.addingReportingOverflow(1_000)
    guard !overflow else { return -1 }
    var first: UInt64 = 0
    var count: UInt64 = 0
    var operandColumn = v - s + 1
    var words: EventWords = []
    var id: Int32 = -1
    var via: Int32 = -1
    var i = v + length
    var block = lastRangeIndex

    // The operand: `0xPAGE` with 1-13 hexadecimal digits, or `0xPAGE+N`
    // with 1-9 decimal digits, N >= 1, in one declared block.
    switch syntax.operand {
    case .none:
      break
    case .text:
      return -1
    case .page, .pages:
      while i < end && isBlank(p[i]) { i += 1 }
      let o = i
      guard o + 2 < end, p[o] == 0x30, p[o + 1] | 0x20 == 0x78 else { return -1 }
      guard o + 10 <= end else { return -1 }
      var (value, digits) = LineBytes.hexDigits(load(o + 2))
      var k = o + 2 + digits
      if digits == 8 {
        // Eight digits or more (pages from 2^28 on): a byte at a time.
        value = 0
        k = o + 2
        while k < end {
          let d = hex[Int(p[k])]
          if d > 15 { break }
          value = value &<< 4 | UInt64(d)
          k += 1
        }
      }
      guard k < end, k > o + 2, k - o - 2 <= 13 else { return -1 }
      count = 1
      if p[k] == 0x2B {
        let first = k + 1
        k = first
        count = 0
        while k < end, p[k] &- 0x30 < 10 {
          count = count &* 10 &+ UInt64(p[k] &- 0x30)
          k += 1
        }
        guard k < end, k > first, k - first <= 9, count >= 1 else { return -1 }
      }
      guard endsToken(p[k]), value < Limits.pageNumberLimit, syntax.operand == .pages || count == 1 else { return -1 }
      // The declared block holding the pages, as `checkDeclared` finds it
      // (the previous event's block first); a set over several blocks, or
      // undeclared pages, take the general path.
      if !(block < declared.count && value >= declared[block].first && value < declared[block].end) {
        var lo = 0
        var hi = declared.count
        while lo < hi {
          let mid = (lo + hi) / 2
          if declared[mid].end <= value { lo = mid + 1 } else { hi = mid }
        }
        guard lo < declared.count, declared[lo].contains(value) else { return -1 }
        block = lo
      }
      guard count <= declared[block].end - value else { return -1 }
      first = value
      operandColumn = o - s + 1
      i = k
    }

    // Bare words (up to 8 bytes), then `id=` / `via=` with interned names.
    var seenKeys: UInt16 = 0
    while true {
      while i < end && isBlank(p[i]) { i += 1 }
      guard i + 9 <= end else { return -1 }
      if p[i] == 0x0A { break }
      let w = load(i)
      let stop = LineBytes.delimiterBits(w) | LineBytes.bits(of: 0x3D, in: w)
      let length = stop != 0 ? stop.trailingZeroBitCount >> 3 : 8
      guard length > 0 else { return -1 }
      let key = LineBytes.low(w, bytes: length)
      if p[i + length] == 0x3D {
        let option: EventOptionKey
        if length == 2 && key == LineBytes.packedID {
          option = .id
        } else if length == 3 && key == LineBytes.packedVia {
          option = .via
        } else {
          return -1
        }
        guard syntax.keyBits & option.bit != 0, seenKeys & option.bit == 0 else { return -1 }
        // The name: up to the first delimiter (it may hold '='), 1-15 bytes.
        let n = i + length + 1
        guard n + 16 <= end, let (na, nb, nameLength) = token(at: n), nameLength > 0, endsToken(p[n + nameLength]),
          let name = symbols.find(packed: LineBytes.key(na, nb, length: nameLength))
        else { return -1 }
        seenKeys |= option.bit
        if option == .via { via = name } else { id = name }
        i = n + nameLength
      } else {
        guard endsToken(p[i + length]), seenKeys == 0, let word = vocabulary.word(packed: key),
          let group = syntax.group(of: word), words.isDisjoint(with: group)
        else { return -1 }
        words.insert(word)
        i += length
      }
    }
    guard syntax.missingGroup(in: words) == nil, syntax.requiredKeyBits & ~seenKeys == 0,
      i - s <= 4096  // longer lines (blanks) are the general path's, which checks the length limit
    else { return -1 }
    lineNumber += 1
    lastTime = time
    lastRangeIndex = block
    var event = Event(line: lineNumber, column: Int32(v - s + 1), time: time, actor: actor, verb: syntax.verb, pages: PageRange(first: first, count: count))
    event.operandColumn = Int32(operandColumn)
    event.words = words
    event.id = id
    event.via = via
    events.append(event)
    return i + 1
  }
}

/// The first bytes of an event line, through its verb, and the actor and
/// verb they name, already checked (`TraceReader.fastEvent`).
struct LinePrefix {
  var a: UInt64 = 0
  var b: UInt64 = 0
  /// The actor's index, or -1 for an empty slot.
  var actor: Int32 = -1
  /// The verb's `rawValue`.
  var verb: UInt8 = 0
}

extension TraceReader {
  /// Slots of `prefixes`, 2^8: with 64 the actors and verbs of `mixed`
  /// (about 40 pairs) collided often enough to cost 20 instructions a line.
  static let prefixSlots = 1 << 8

  /// The slot of a line prefix packed into two words (the top 8 bits of a
  /// multiplicative hash).
  @inline(__always)
  static func prefixSlot(_ a: UInt64, _ b: UInt64) -> Int {
    Int(truncatingIfNeeded: ((a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F)) >> (64 - 8))
  }
}
