import Testing

@testable import PageStateTrace

/// The byte-level lexer (Token.swift) and the operands built on it: numbers,
/// durations, identifiers and page sets.
@Suite struct LexerTests {

  // MARK: - Tokens

  func tokens(_ text: String) -> [String] {
    withLine(text) { line, tokens in tokens.map { line.text($0) } }
  }

  func columns(_ text: String) -> [Int] {
    withLine(text) { _, tokens in tokens.map(\.column) }
  }

  @Test(arguments: [
    ("", [String]()),
    ("   ", []),
    ("\t \t", []),
    ("# all comment", []),
    ("a", ["a"]),
    ("a b", ["a", "b"]),
    ("  a   b  ", ["a", "b"]),
    ("a\tb\t\tc", ["a", "b", "c"]),
    ("a: get 0x0..0x3 via=t # comment", ["a:", "get", "0x0..0x3", "via=t"]),
    ("a#b c", ["a"]),
    ("a #b c", ["a"]),
    ("#", []),
    ("x:\u{0D}", ["x:\u{0D}"]),  // a CR is stripped by the reader, not the tokenizer
    ("café ✓", ["café", "✓"]),
  ])
  func tokenize(_ text: String, _ expected: [String]) {
    #expect(tokens(text) == expected)
  }

  @Test func tokenColumnsAreOneBasedByteOffsets() {
    #expect(columns("a: get 0x1") == [1, 4, 8])
    #expect(columns("\ta\t b") == [2, 5])
    #expect(columns("é x") == [1, 4])  // é is two bytes
    withLine("  get") { _, t in
      #expect(t.map(\.start) == [2])
      #expect(t.map(\.end) == [5])
      #expect(t.map(\.length) == [3])
    }
  }

  @Test func tokenizeReusesItsOutput() {
    let bytes = Array("x y z".utf8)
    bytes.withUnsafeBufferPointer { p in
      var tokens = TokenList(capacity: 1)
      tokens.append(Token(start: 9, end: 10))
      LineBytes(bytes: p).tokenize(into: &tokens)
      #expect(tokens.count == 3)
      #expect(tokens.first?.start == 0)
      #expect(tokens.map(\.end) == [1, 3, 5])
    }
  }

  @Test func tokenListGrowsPastItsCapacity() {
    let text = (0..<1000).map { "t\($0)" }.joined(separator: " ")
    let bytes = Array(text.utf8)
    bytes.withUnsafeBufferPointer { p in
      var tokens = TokenList(capacity: 2)
      LineBytes(bytes: p).tokenize(into: &tokens)
      #expect(tokens.count == 1000)
      #expect(LineBytes(bytes: p).text(tokens[999]) == "t999")
      #expect(LineBytes(bytes: p).text(tokens[0]) == "t0")
    }
  }

  @Test func equalsAndEqualsSign() {
    withLine("memory via=x =y z= a==b") { line, t in
      #expect(line.equals(t[0], "memory"))
      #expect(!line.equals(t[0], "memor"))
      #expect(!line.equals(t[0], "memoryx"))
      #expect(!line.equals(t[0], "Memory"))
      #expect(line.equals(t[0], Array("memory".utf8)))
      #expect(!line.equals(t[0], Array("mem".utf8)))
      #expect(line.equalsSign(in: t[0]) == nil)
      #expect(line.equalsSign(in: t[1]) == t[1].start + 3)
      #expect(line.equalsSign(in: t[2]) == t[2].start)
      #expect(line.equalsSign(in: t[3]) == t[3].start + 1)
      #expect(line.equalsSign(in: t[4]) == t[4].start + 1)  // the first one
    }
  }

  // MARK: - Identifiers

  @Test(arguments: ["a", "A", "_", "vcpu0", "qemu.io-1_x", "_9", "Z.-_", "a-", "a."])
  func identifiers(_ word: String) {
    withLine(word) { line, t in #expect(line.isIdentifier(t[0])) }
  }

  @Test(arguments: ["9", "9a", "-a", ".a", "a:", "a/b", "a+b", "a=b", "é", "aé", "a@b", "@a"])
  func notIdentifiers(_ word: String) {
    withLine(word) { line, t in #expect(!line.isIdentifier(t[0])) }
  }

  @Test func identifierRulesApplyToActorsIdsAndTags() throws {
    let all = try parse(s390Setup + "_a.b-9: get 0 via=T_1.x-y\nZ: dma 0 id=_\n")
    #expect(actors(all).map(\.name) == ["_a.b-9", "Z"])
    #expect(symbols(all).map(\.name) == ["T_1.x-y", "_"])
  }

  // MARK: - Numbers

  @Test(arguments: [
    ("0", 0 as UInt64), ("7", 7), ("42", 42), ("007", 7), ("0x2a", 42), ("0X2A", 42), ("0x2A", 42), ("0Xff", 255),
    ("0xDeadBeef", 0xDEAD_BEEF), ("0x0", 0), ("0x00000000000000001", 1),
    ("18446744073709551615", .max), ("0xffffffffffffffff", .max), ("0xFFFFFFFFFFFFFFFF", .max),
  ])
  func numbers(_ text: String, _ value: UInt64) {
    withLine(text) { line, t in #expect(line.number(t[0]) == value) }
  }

  @Test(arguments: [
    "x", "-1", "+1", "1.0", "1e3", "0x", "0X", "0xg", "0x-1", "1a", "a1", "0b101", "0o7", "1_000", "x2a", "0x2a.",
    "18446744073709551616", "0x10000000000000000", "99999999999999999999999",
  ])
  func notNumbers(_ text: String) {
    withLine(text) { line, t in #expect(line.number(t[0]) == nil) }
  }

  @Test func numberLimitsAreInclusive() {
    withLine("1048576 1048577 0x100000 0x100001") { line, t in
      #expect(line.number(t[0], limit: 1 << 20) == 1 << 20)
      #expect(line.number(t[1], limit: 1 << 20) == nil)
      #expect(line.number(t[2], limit: 1 << 20) == 1 << 20)
      #expect(line.number(t[3], limit: 1 << 20) == nil)
    }
  }

  @Test func numberOfARange() {
    withLine("12..0x34") { line, t in
      #expect(line.number(from: 0, to: 2) == 12)
      #expect(line.number(from: 4, to: 8) == 0x34)
      #expect(line.number(from: 2, to: 2) == nil)  // empty
      #expect(line.number(from: 0, to: 3) == nil)  // "12."
      #expect(t.count == 1)
    }
  }

  // MARK: - Durations

  @Test(arguments: [
    ("0ns", 0 as UInt64), ("1ns", 1), ("7ns", 7), ("3us", 3_000), ("1500us", 1_500_000), ("150ms", 150_000_000),
    ("1s", 1_000_000_000), ("2s", 2_000_000_000), ("0s", 0), ("007ms", 7_000_000),
    ("18446744073709551615ns", .max), ("18446744073s", 18_446_744_073_000_000_000),
    ("18446744073709us", 18_446_744_073_709_000),
  ])
  func durations(_ text: String, _ ns: UInt64) {
    withLine(text) { line, t in
      #expect(line.duration(t[0], bareIsNanoseconds: false) == ns)
      #expect(line.duration(t[0], bareIsNanoseconds: true) == ns)
    }
  }

  @Test(arguments: [
    "", "s", "ms", "5", "5m", "5sec", "5xs", "5MS", "5Us", "5NS", "5S", "1.5ms", "-5ms", "5 ms", "0x5ms", "5mss", "5µs",
    "18446744073709551616ns", "18446744074s", "18446744073710ms",
  ])
  func notDurations(_ text: String) {
    // `withLine` splits "5 ms"; a token of the whole text is built by hand.
    let bytes = Array(text.utf8)
    bytes.withUnsafeBufferPointer { p in
      let line = LineBytes(bytes: p)
      #expect(line.duration(Token(start: 0, end: bytes.count), bareIsNanoseconds: false) == nil)
    }
  }

  @Test(arguments: [("0", 0 as UInt64), ("5", 5), ("1500", 1500), ("18446744073709551615", .max)])
  func bareNanoseconds(_ text: String, _ ns: UInt64) {
    withLine(text) { line, t in
      #expect(line.duration(t[0], bareIsNanoseconds: true) == ns)
      #expect(line.duration(t[0], bareIsNanoseconds: false) == nil)
    }
  }

  @Test func bareHexadecimalNanoseconds() {
    withLine("0x10") { line, t in
      #expect(line.duration(t[0], bareIsNanoseconds: true) == 16)
      #expect(line.duration(t[0], bareIsNanoseconds: false) == nil)
    }
  }

  @Test(arguments: [
    ("@150ms", 150_000_000 as UInt64), ("@2s", 2_000_000_000), ("@3us", 3_000), ("@10ns", 10), ("@10", 10),
  ])
  func durationsAsEventTimes(_ at: String, _ ns: UInt64) throws {
    #expect(try singleEvent(s390Setup + "\(at) a: get 0\n").time == ns)
  }

  @Test(arguments: [
    ("wait-time=150ms", 150_000_000.0), ("wait-time=2s", 2e9), ("max-wait=3us", 3000.0), ("max-wait=10ns", 10.0),
    ("max-wait=10", 10.0),
  ])
  func durationsAsStatistics(_ stat: String, _ ns: Double) throws {
    let e = expectations(try parse("expect stat \(stat)\n"))
    #expect(e.map(\.claim) == [.statistic(name: String(stat.prefix { $0 != "=" }), value: ns)])
  }

  // MARK: - Page sets

  @Test(arguments: [
    ("0", PageRange(first: 0, count: 1)),
    ("0x10", PageRange(first: 16, count: 1)),
    ("0X10", PageRange(first: 16, count: 1)),
    ("16", PageRange(first: 16, count: 1)),
    ("0x10..0x13", PageRange(first: 16, count: 4)),
    ("0x10..0x10", PageRange(first: 16, count: 1)),
    ("16..0x13", PageRange(first: 16, count: 4)),
    ("0xA..0Xf", PageRange(first: 10, count: 6)),
    ("0x10+4", PageRange(first: 16, count: 4)),
    ("0x10+0x4", PageRange(first: 16, count: 4)),
    ("0x10+1", PageRange(first: 16, count: 1)),
    ("0+\(hex(TraceReader.Limits.declaredPages))", PageRange(first: 0, count: TraceReader.Limits.declaredPages)),
    ("0xfffffffffffff", PageRange(first: (1 << 52) - 1, count: 1)),
    ("0xfffffffffffff+1", PageRange(first: (1 << 52) - 1, count: 1)),
    ("0xffffffffffff0..0xfffffffffffff", PageRange(first: (1 << 52) - 16, count: 16)),
  ])
  func pageSets(_ text: String, _ pages: PageRange) throws {
    #expect(memories(try parse("arch sev\nmemory \(text)\n")).map(\.pages) == [pages])
  }

  @Test(arguments: [
    // text, column, message
    ("5..3", 8, "a page range P..Q needs P <= Q, found 0x5..0x3"),
    ("5+0", 10, "a page count P+N needs N >= 1, found 0"),
    ("0x10000000000000", 8, "page 0x10000000000000 does not fit in 52 bits"),
    ("1..0x10000000000000", 11, "page 0x10000000000000 does not fit in 52 bits"),
    ("0xfffffffffffff+2", 8, "pages 0xfffffffffffff+0x2 run past the 52-bit page number limit"),
    ("2+0xfffffffffffff", 8, "pages 0x2+0xfffffffffffff run past the 52-bit page number limit"),
    ("0+0x1000000000000000", 8, "run past the 52-bit page number limit"),
    ("5.3", 8, "expected a page set (P, P..Q or P+N), found '5.3'"),
    ("5..", 8, "expected a page set (P, P..Q or P+N), found '5..'"),
    ("5+", 8, "expected a page set (P, P..Q or P+N), found '5+'"),
    ("x", 8, "expected a page set (P, P..Q or P+N), found 'x'"),
  ])
  func pageSetErrors(_ text: String, _ column: Int, _ message: String) throws {
    let error = parseError("arch sev\nmemory \(text)\n")
    #expect(error?.location.line == 2)
    #expect(error?.location.column == column)
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
  }

  @Test func pageRangeHelpers() {
    let r = PageRange(first: 0x10, count: 4)
    #expect(r.end == 0x14)
    #expect(r.last == 0x13)
    #expect(r.contains(0x10) && r.contains(0x13))
    #expect(!r.contains(0xf) && !r.contains(0x14))
    #expect(r.overlaps(PageRange(first: 0x13, count: 1)))
    #expect(r.overlaps(PageRange(first: 0x0, count: 0x11)))
    #expect(!r.overlaps(PageRange(first: 0x14, count: 5)))
    #expect(!r.overlaps(PageRange(first: 0x0, count: 0x10)))
    #expect(r.description == "0x10..0x13")
    #expect(PageRange(first: 0xAB, count: 1).description == "0xab")
    #expect(hex(0) == "0x0")
    #expect(hex(0xDEAD) == "0xdead")
  }

  // MARK: - Word-at-a-time helpers of the fast path

  /// The leading hexadecimal digits of `bytes` and their value, a byte at a time.
  static func referenceHex(_ bytes: [UInt8]) -> (UInt64, Int) {
    var value: UInt64 = 0
    var n = 0
    for c in bytes {
      let d: UInt8
      switch c {
      case 0x30...0x39: d = c - 0x30
      case 0x41...0x46: d = c - 0x41 + 10
      case 0x61...0x66: d = c - 0x61 + 10
      default: return (value, n)
      }
      value = value << 4 | UInt64(d)
      n += 1
    }
    return (value, n)
  }

  static func word(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { LineBytes.pack($0).0 }
  }

  @Test(arguments: [
    "1 write\n", "abcdef0+", "ABCDEF+9", "fffffff ", "0000000\n", "9+512 wr", "g", "", "1a2b3c4d", "12345678",
    "7\u{19}", "\u{10}\u{11}\u{19}", "a\u{80}b", "é1", "1é", "FfGg", "@`/:", "0x12", "3#", "5\r\n",
  ])
  func hexDigitsMatchTheByteLoop(_ text: String) {
    let bytes = Array((Array(text.utf8) + Array(repeating: 0x20, count: 8)).prefix(8))
    let (value, count) = LineBytes.hexDigits(Self.word(bytes))
    let (expectedValue, expectedCount) = Self.referenceHex(bytes)
    #expect(count == expectedCount)
    if count < 8 { #expect(value == expectedValue) }
  }

  @Test func hexDigitsOfEveryByteAtEveryPosition() {
    // Each byte value at each of the eight positions, after a run of digits.
    for position in 0..<8 {
      for c in 0...255 {
        var bytes = Array("9aF05bC1".utf8)
        bytes[position] = UInt8(c)
        let (value, count) = LineBytes.hexDigits(Self.word(bytes))
        let (expectedValue, expectedCount) = Self.referenceHex(bytes)
        #expect(count == expectedCount, "byte \(c) at \(position)")
        if count < 8 { #expect(value == expectedValue, "byte \(c) at \(position)") }
      }
    }
  }

  @Test func delimiterAndByteBitsFindTheFirstMatch() {
    for position in 0..<8 {
      for c in 0...255 {
        var bytes = Array("vcpu0:to".utf8)
        bytes[position] = UInt8(c)
        let w = Self.word(bytes)
        let firstDelimiter = bytes.firstIndex { $0 < 0x24 } ?? 8
        let firstColon = bytes.firstIndex(of: 0x3A) ?? 8
        let d = LineBytes.delimiterBits(w)
        #expect((d == 0 ? 8 : d.trailingZeroBitCount >> 3) == firstDelimiter, "byte \(c) at \(position)")
        let k = LineBytes.bits(of: 0x3A, in: w)
        #expect((k == 0 ? 8 : k.trailingZeroBitCount >> 3) == firstColon, "byte \(c) at \(position)")
      }
    }
    #expect(LineBytes.low(0x1122_3344_5566_7788, bytes: 3) == 0x66_7788)
    #expect(LineBytes.low(0x1122_3344_5566_7788, bytes: 8) == 0x1122_3344_5566_7788)
    #expect(LineBytes.low(0x1122_3344_5566_7788, bytes: 0) == 0)
    #expect(LineBytes.packedID == Self.word(Array("id".utf8)))
    #expect(LineBytes.packedVia == Self.word(Array("via".utf8)))
  }
}
