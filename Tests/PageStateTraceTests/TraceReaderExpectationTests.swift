import Testing

@testable import PageStateTrace

/// `expect` lines (TraceReader+Expectations.swift).
@Suite struct TraceReaderExpectationTests {
  typealias Claim = PageStateTrace.Expectation.Claim

  /// The only expectation of `line`.
  func expectation(_ line: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> PageStateTrace.Expectation {
    let all = expectations(try parse(line + "\n"))
    try #require(all.count == 1, sourceLocation: sourceLocation)
    return all[0]
  }

  @Test func clean() throws {
    let e = try expectation("expect clean")
    #expect(e.claim == .clean)
    #expect(e.policy == nil)
    #expect(e.page == nil)
    #expect(e.actor == nil)
    #expect(e.findingLine == nil)
    #expect(e.count == nil)
    #expect(e.line == 1)
    #expect(e.text == "expect clean")
  }

  @Test(arguments: TraceReader.presetNames)
  func cleanUnderAPreset(_ preset: String) throws {
    let e = try expectation("expect clean policy=\(preset)")
    #expect(e.claim == .clean)
    #expect(e.policy == preset)
  }

  @Test(arguments: FindingKind.allCases)
  func noKind(_ kind: FindingKind) throws {
    let e = try expectation("expect no \(kind.rawValue) policy=split")
    #expect(e.claim == .noFinding(kind))
    #expect(e.policy == "split")
  }

  @Test(arguments: FindingKind.allCases)
  func kindWithoutFilters(_ kind: FindingKind) throws {
    let e = try expectation("expect \(kind.rawValue)")
    #expect(e.claim == .finding(kind))
    #expect(e.count == nil)
    #expect(e.page == nil)
  }

  @Test func kindWithEveryFilter() throws {
    let e = try expectation("expect io-on-secure page=0x10 actor=virtio line=12 policy=refuse count=2")
    #expect(e.claim == .finding(.ioOnSecure))
    #expect(e.page == 0x10)
    #expect(e.actor == "virtio")
    #expect(e.findingLine == 12)
    #expect(e.policy == "refuse")
    #expect(e.count == 2)
  }

  @Test func filtersInAnyOrderAndNumbersInHex() throws {
    let e = try expectation("expect hang count=0 policy=folio line=0x1F actor=vcpu.0-a_b page=255")
    #expect(e.claim == .finding(.hang))
    #expect(e.count == 0)
    #expect(e.policy == "folio")
    #expect(e.findingLine == 31)
    #expect(e.actor == "vcpu.0-a_b")
    #expect(e.page == 255)
  }

  @Test func pageFilterTakesTheLargestPageNumber() throws {
    #expect(try expectation("expect hang page=0xfffffffffffff").page == 0xF_FFFF_FFFF_FFFF)
  }

  @Test(arguments: [
    ("expect stat exports=3", "exports", 3.0),
    ("expect stat collateral-exports=0x2", "collateral-exports", 2.0),
    ("expect stat events=0", "events", 0.0),
    ("expect stat tlb-flushes=12", "tlb-flushes", 12.0),
    // Time statistics take a duration (or bare nanoseconds).
    ("expect stat wait-time=150ms", "wait-time", 150_000_000.0),
    ("expect stat wait-time=3us", "wait-time", 3000.0),
    ("expect stat max-wait=2s", "max-wait", 2_000_000_000.0),
    ("expect stat max-wait=1500", "max-wait", 1500.0),
    ("expect stat max-wait=7ns", "max-wait", 7.0),
    // A finding kind counts as a statistic.
    ("expect stat hang=2", "hang", 2.0),
    ("expect stat io-on-secure=1", "io-on-secure", 1.0),
    // The estimated cost is a non-negative real.
    ("expect stat estimated-cost=1.5", "estimated-cost", 1.5),
    ("expect stat estimated-cost=42", "estimated-cost", 42.0),
  ])
  func statistic(_ line: String, _ name: String, _ value: Double) throws {
    let e = try expectation(line)
    #expect(e.claim == .statistic(name: name, value: value))
    #expect(e.policy == nil)
  }

  @Test(arguments: StatisticName.allCases)
  func everyStatisticIsAccepted(_ name: StatisticName) throws {
    let value = name.isDuration ? "5us" : "5"
    let e = try expectation("expect stat \(name.rawValue)=\(value) policy=page")
    #expect(e.claim == .statistic(name: name.rawValue, value: name.isDuration ? 5000 : 5))
    #expect(e.policy == "page")
  }

  @Test func textIsTheLineAsWrittenWithoutCommentOrIndent() throws {
    let e = try expectation("   expect  hang\tactor=a   # a comment")
    #expect(e.text == "expect  hang\tactor=a")
    let crlf = expectations(try parse("expect clean\r\n"))
    #expect(crlf.map(\.text) == ["expect clean"])
  }

  @Test func expectationsKeepTheirLinesAndMayComeAnywhere() throws {
    let text = "expect clean\n" + s390Setup + "expect no hang\na: get 0\nexpect stat events=1\n"
    let all = try parse(text)
    #expect(expectations(all).map(\.line) == [1, 4, 6])
    #expect(all.map(summary) == [
      "L1 expect clean", "L2 arch s390-pv", "L3 memory 0x0+256 order=0 anon nonsecure", "L4 expect no hang",
      "L5 actor #0 a host implicit", "L5 t=0 a#0 get 0x0+1", "L6 expect stat events=1",
    ])
  }

  @Test func theMostExpectLinesAreAccepted() throws {
    let limit = TraceReader.Limits.expectations
    let text = String(repeating: "expect clean\n", count: limit)
    var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: text))
    var count = 0
    while try reader.next() != nil { count += 1 }
    #expect(count == limit)
    let error = parseError(text + "expect clean\n")
    #expect(error.map(position) == "100001:1")
    #expect(error?.message == "too many 'expect' lines (at most 100000)")
  }
}
