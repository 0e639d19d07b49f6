import Testing

@testable import PageStateTrace

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Statements and events as the reader yields them (TraceReader.swift,
/// TraceReader+Setup.swift, TraceReader+Events.swift).
@Suite struct TraceReaderTests {

  // MARK: - The whole stream

  @Test func specExampleYieldsEveryStatementInOrder() throws {
    let text = """
      pagestate 1
      arch s390-pv
      memory 0x0..0x3 order=2 backing=anon        # one 16 KiB folio

      vcpu0: touch 0x0..0x3 write                  # boot: every page imported (secure)
      vcpu0: share 0x0                             # the virtio ring page
      qemu:  pin 0x0 longterm write                # vhost pins it for the device's life
      virtio: dma 0x0 write
      vcpu0: touch 0x1 write                       # a neighbour page

      expect hang actor=vcpu0 policy=folio
      expect clean policy=page
      expect stat collateral-exports=3 policy=folio

      """
    #expect(
      try summaries(text) == [
        "L1 header 1",
        "L2 arch s390-pv",
        "L3 memory 0x0+4 order=2 anon nonsecure",
        "L5 actor #0 vcpu0 guest implicit",
        "L5 t=0 a#0 touch 0x0+4 write",
        "L6 t=1000 a#0 share 0x0+1",
        "L7 actor #1 qemu host implicit",
        "L7 t=2000 a#1 pin 0x0+1 write longterm",
        "L8 actor #2 virtio device implicit",
        "L8 t=3000 a#2 dma 0x0+1 write",
        "L9 t=4000 a#0 touch 0x1+1 write",
        "L11 expect hang actor=vcpu0 policy=folio",
        "L12 expect clean policy=page",
        "L13 expect stat collateral-exports=3 policy=folio",
      ])
  }

  @Test func emptyInputsYieldNothing() throws {
    #expect(try parse("").isEmpty)
    #expect(try parse("\n\n\n").isEmpty)
    #expect(try parse("# only a comment").isEmpty)
    #expect(try parse("   \t  \n\t\n").isEmpty)
  }

  @Test func nextYieldsTheSameStreamAsReadAllAndThenNil() throws {
    let text = s390Setup + "a: get 0 via=t\nb: dma 1 id=d\n"
    var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: text))
    var one: [String] = []
    while let s = try reader.next() { one.append(summary(s)) }
    #expect(try reader.next() == nil)
    #expect(try reader.next() == nil)
    #expect(one == (try summaries(text)))
    #expect(one.count == 8)
    #expect(reader.actorNames == ["a", "b"])
    #expect(reader.architecture == .s390PV)
  }

  @Test func readerKnowsTheArchitectureAfterArch() throws {
    var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: "arch sev-snp\n"))
    #expect(reader.architecture == nil)
    _ = try reader.next()
    #expect(reader.architecture == .sevSNP)
  }

  // MARK: - Lexical rules (seen through whole statements)

  @Test func commentsAndBlankLinesAreIgnoredButCounted() throws {
    let text = """
      # leading comment

        # indented comment
      arch s390-pv   # trailing comment
      \t
      memory 0x0..0x3#comment glued to the operand
      a: get 0x1 # get it
      """
    #expect(
      try summaries(text) == [
        "L4 arch s390-pv",
        "L6 memory 0x0+4 order=0 anon nonsecure",
        "L7 actor #0 a host implicit",
        "L7 t=0 a#0 get 0x1+1",
      ])
  }

  @Test func tabsSeparateTokensLikeSpaces() throws {
    let text = "\tarch\ts390-pv\t\nmemory\t0x0..0x3 \torder=2\t\n\t@5us\ta:\tpin\t0x1\tlongterm \twrite\t\n"
    #expect(
      try summaries(text) == [
        "L1 arch s390-pv",
        "L2 memory 0x0+4 order=2 anon nonsecure",
        "L3 actor #0 a host implicit",
        "L3 t=5000! a#0 pin 0x1+1 write longterm",
      ])
    // Columns are byte columns: a tab counts as one.
    let e = try singleEvent("arch s390-pv\nmemory 0\n\ta:\tget\t0\n")
    #expect(e.column == 5)
    #expect(e.operandColumn == 9)
  }

  @Test func crlfLineEndingsAreTolerated() throws {
    let text = "pagestate 1\r\narch sev\r\nmemory 0x0..0x1 state=private\r\n\r\n# c\r\nh: convert 0x0 shared\r\nexpect clean\r\n"
    #expect(
      try summaries(text) == [
        "L1 header 1",
        "L2 arch sev",
        "L3 memory 0x0+2 order=0 anon private",
        "L6 actor #0 h host implicit",
        "L6 t=0 a#0 convert 0x0+1 shared",
        "L7 expect clean",
      ])
  }

  @Test func aCarriageReturnIsOnlyStrippedAtTheEndOfTheLine() throws {
    // A lone CR inside a line is not a separator.
    let error = parseError("arch s390-pv\nmemory 0\ra\n")
    #expect(error.map(position) == "2:8")
    #expect(error?.message.contains("expected a page set") == true)
    // A note keeps everything but the trailing CR.
    let all = try parse("arch s390-pv\nmemory 0\na: note x y\r\n")
    guard case .note(_, let text) = all.last else {
      Issue.record("expected a note, got \(String(describing: all.last))")
      return
    }
    #expect(text == "x y")
  }

  @Test func aByteOrderMarkIsSkippedOnTheFirstLine() throws {
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    let statements = try parse(bytes: bom + Array("pagestate 1\narch s390-pv\n".utf8))
    #expect(statements.map(summary) == ["L1 header 1", "L2 arch s390-pv"])
    // A BOM alone is an empty first line.
    #expect(try parse(bytes: bom).isEmpty)
    #expect(try parse(bytes: bom + Array("\narch sev\n".utf8)).map(summary) == ["L2 arch sev"])
    // Columns of the first line count from after the mark.
    do {
      _ = try parse(bytes: bom + Array("arch bogus\n".utf8))
      Issue.record("expected an error")
    } catch {
      #expect(position(error) == "1:6")
      #expect(error.message.contains("found 'bogus'"))
    }
  }

  @Test func aByteOrderMarkAnywhereElseIsAnError() throws {
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    #expect(throws: TraceError.self) { try parse(bytes: Array("arch sev\n".utf8) + bom + Array("memory 0\n".utf8)) }
    do {
      _ = try parse(bytes: bom + bom + Array("arch sev\n".utf8))
      Issue.record("expected an error")
    } catch {
      #expect(position(error) == "1:1")
      #expect(error.message.contains("expected a statement"))
    }
  }

  @Test func theLastLineNeedsNoNewline() throws {
    #expect(try summaries("arch s390-pv\nmemory 0") == ["L1 arch s390-pv", "L2 memory 0x0+1 order=0 anon nonsecure"])
    #expect(try summaries("arch s390-pv\nmemory 0\na: get 0 # c") == [
      "L1 arch s390-pv", "L2 memory 0x0+1 order=0 anon nonsecure", "L3 actor #0 a host implicit", "L3 t=0 a#0 get 0x0+1",
    ])
    #expect(try summaries("arch s390-pv\r\nmemory 0\r") == ["L1 arch s390-pv", "L2 memory 0x0+1 order=0 anon nonsecure"])
    // An error on such a line still has the right line number.
    #expect(parseError("arch s390-pv\nmemory 0\na: bogus 0").map(position) == "3:4")
  }

  @Test func aLineOfExactlyTheLimitIsAccepted() throws {
    let prefix = "a: note "
    let line = prefix + String(repeating: "x", count: TraceReader.Limits.lineLength - prefix.utf8.count)
    #expect(line.utf8.count == 65536)
    let e = try singleNote("arch s390-pv\nmemory 0\n" + line + "\n")
    #expect(e.text.utf8.count == 65536 - 8)
    // Also as the last line without a newline.
    let last = try singleNote("arch s390-pv\nmemory 0\n" + line)
    #expect(last.text.utf8.count == 65536 - 8)
  }

  @Test func aTooLongLastLineIsAnErrorAtItsLine() throws {
    let line = "a: note " + String(repeating: "x", count: 65536 - 7)
    let error = parseError("arch s390-pv\nmemory 0\n" + line)
    #expect(error.map(position) == "3:65537")
    #expect(error?.message == "line is longer than 65536 bytes")
  }

  @Test func aTooLongLineIsAnErrorAtItsLine() throws {
    let line = "a: note " + String(repeating: "x", count: 65536 - 7)
    let error = parseError("arch s390-pv\nmemory 0\n" + line + "\nexpect clean\n")
    #expect(error?.message == "line is longer than 65536 bytes")
    #expect(error.map(position) == "3:65537")
    // Comments count too: the limit bounds the buffer, not the statement.
    let comment = parseError("# " + String(repeating: "c", count: 70_000))
    #expect(comment.map(position) == "1:65537")
  }

  @Test func invalidUTF8InANoteIsCarriedAsReplacementCharacters() throws {
    let statements = try parse(bytes: Array("arch sev\nmemory 0\na: note caf".utf8) + [0xC3] + Array(" ok\n".utf8))
    let e = try #require(noteTexts(statements).first)
    #expect(e.text == "caf\u{FFFD} ok")
  }

  // MARK: - Header and architecture

  @Test(arguments: ["pagestate 1", "pagestate 0x1", "pagestate 01", "  pagestate   1   # v1"])
  func header(_ line: String) throws {
    #expect(try parse(line + "\n") == [.header(version: 1, line: 1)])
  }

  @Test func headerMayFollowCommentsAndBlankLines() throws {
    #expect(try parse("# about\n\npagestate 1\narch sev\n").map(summary) == ["L3 header 1", "L4 arch sev"])
  }

  @Test(arguments: [
    ("s390-pv", ArchitectureName.s390PV), ("sev", .sev), ("sev-snp", .sevSNP),
  ])
  func architecture(_ name: String, _ arch: ArchitectureName) throws {
    #expect(try parse("arch \(name)\n") == [.architecture(arch, line: 1)])
  }

  @Test func setupStatementsWithoutArchitectureAreFine() throws {
    // Only `memory` and events need `arch`.
    let text = "actor v guest\npolicy folio\nexpect clean\narch s390-pv\n"
    #expect(
      try summaries(text) == [
        "L1 actor #0 v guest", "L2 policy folio", "L3 expect clean", "L4 arch s390-pv",
      ])
  }

  // MARK: - memory

  @Test func memoryDefaultsDependOnTheArchitecture() throws {
    let s390 = memories(try parse("arch s390-pv\nmemory 0x10\n"))
    #expect(s390 == [MemoryDeclaration(pages: PageRange(first: 0x10, count: 1), order: 0, backing: .anon, state: .nonsecure, line: 2)])
    let sev = memories(try parse("arch sev\nmemory 0x10\n"))
    #expect(sev == [MemoryDeclaration(pages: PageRange(first: 0x10, count: 1), order: 0, backing: .anon, state: .shared, line: 2)])
    let snp = memories(try parse("arch sev-snp\nmemory 0x10\n"))
    #expect(snp.first?.state == .shared)
  }

  @Test func memoryOptionsInAnyOrder() throws {
    let text = """
      arch s390-pv
      memory 0x400+512 order=9 backing=file state=secure
      memory 0x0..0x3 state=exported order=2 backing=shmem
      memory 0x200 backing=anon state=pinned-shared
      memory 0x201 state=shared
      memory 0x202 state=nonsecure order=0x0
      """
    #expect(
      try summaries(text).dropFirst() == [
        "L2 memory 0x400+512 order=9 file secure",
        "L3 memory 0x0+4 order=2 shmem exported",
        "L4 memory 0x200+1 order=0 anon pinned-shared",
        "L5 memory 0x201+1 order=0 anon shared",
        "L6 memory 0x202+1 order=0 anon nonsecure",
      ])
  }

  @Test(arguments: [ArchitectureName.sev, .sevSNP])
  func gmemAndPrivateExistOnSEV(_ arch: ArchitectureName) throws {
    let m = memories(try parse("arch \(arch.rawValue)\nmemory 0x0+0x200 order=9 backing=gmem state=private\n"))
    #expect(m == [MemoryDeclaration(pages: PageRange(first: 0, count: 512), order: 9, backing: .gmem, state: .private, line: 2)])
  }

  @Test func largestOrderAndLargestDeclaration() throws {
    let m = memories(try parse("arch s390-pv\nmemory 0x0+0x40000 order=18\n"))
    #expect(m.first?.order == 18)
    #expect(m.first?.pages.count == 0x40000)
    // All declarations together may reach exactly the limit.
    let half = hex(TraceReader.Limits.declaredPages / 2)
    let total = memories(try parse("arch sev\nmemory 0x0+\(half)\nmemory \(half)+\(half)\n"))
    #expect(total.map(\.pages.count).reduce(0, +) == TraceReader.Limits.declaredPages)
    #expect(TraceReader.Limits.declaredPages >= 1 << 18)
  }

  @Test func theHighestPageNumberIsAccepted() throws {
    let m = memories(try parse("arch sev\nmemory 0xfffffffffffff\nmemory 0xffffffffffffe+1\n"))
    #expect(m.map(\.pages) == [PageRange(first: 0xF_FFFF_FFFF_FFFF, count: 1), PageRange(first: 0xF_FFFF_FFFF_FFFE, count: 1)])
  }

  @Test func memoryMayComeAfterEventsAndInAnyOrder() throws {
    let text = s390Setup + """
      a: get 0x0
      memory 0x1000..0x1003 order=2
      memory 0x800
      a: get 0x1002
      a: get 0x800
      """
    #expect(
      try summaries(text) == [
        "L1 arch s390-pv",
        "L2 memory 0x0+256 order=0 anon nonsecure",
        "L3 actor #0 a host implicit",
        "L3 t=0 a#0 get 0x0+1",
        "L4 memory 0x1000+4 order=2 anon nonsecure",
        "L5 memory 0x800+1 order=0 anon nonsecure",
        "L6 t=1000 a#0 get 0x1002+1",
        "L7 t=2000 a#0 get 0x800+1",
      ])
  }

  @Test func theMostMemoryStatementsAreAccepted() throws {
    // In descending order, the worst case of the sorted insertion (an imported
    // trace declares its folios in the order it meets them).
    let n = TraceReader.Limits.memoryBlocks
    let text = "arch sev\n" + (0..<n).reversed().map { "memory \(2 * $0 + 2)\n" }.joined()
    #expect(memories(try parse(text)).count == n)
    let error = parseError(text + "memory 0x0\n")
    #expect(error.map(position) == "\(n + 2):1")
    #expect(error?.message.contains("too many 'memory' statements (at most \(n))") == true)
  }

  @Test func hugeMemoryDeclarationsFailFast() throws {
    let clock = ContinuousClock()
    let start = clock.now
    // 2^60 pages: past the 52-bit page numbers.
    let a = parseError("arch s390-pv\nmemory 0x0+0x1000000000000000\n")
    #expect(a.map(position) == "2:8")
    #expect(a?.message.contains("run past the 52-bit page number limit") == true)
    // 2^52 pages: fit, but far above the declared-pages limit.
    let b = parseError("arch s390-pv\nmemory 0x0..0xfffffffffffff order=18\n")
    #expect(b.map(position) == "2:8")
    #expect(b?.message.contains("exceeds the limit of \(TraceReader.Limits.declaredPages) declared pages") == true)
    // The same, reached in two steps.
    let limit = hex(TraceReader.Limits.declaredPages)
    let c = parseError("arch s390-pv\nmemory 0x0+\(limit)\nmemory \(limit)\n")
    #expect(c.map(position) == "3:8")
    #expect(c?.message.contains("declaring 1 more pages exceeds") == true)
    // An event over 2^52 pages is checked block by block, not page by page.
    let d = parseError("arch s390-pv\nmemory 0x0+\(limit)\na: get 0x0..0xfffffffffffff\n")
    #expect(d.map(position) == "3:8")
    #expect(d?.message == "page \(limit) is not declared by any 'memory' statement")
    #expect(clock.now - start < .seconds(2))
  }

  // MARK: - policy

  @Test func policyWithPresetAndKnobs() throws {
    let statements = try parse("policy folio wait=forever large=split\n")
    let expected = PolicyDeclaration(
      preset: "folio", presetColumn: 8,
      knobs: [
        LocatedOption(key: "wait", value: "forever", keyColumn: 14, valueColumn: 19),
        LocatedOption(key: "large", value: "split", keyColumn: 27, valueColumn: 33),
      ], line: 1)
    #expect(statements == [.policy(expected)])
  }

  @Test func policyWithKnobsOnlyOrNothing() throws {
    let knobs = try parse("policy wait=forever\n")
    #expect(knobs == [.policy(PolicyDeclaration(preset: nil, presetColumn: 0, knobs: [LocatedOption(key: "wait", value: "forever", keyColumn: 8, valueColumn: 13)], line: 1))])
    let bare = try parse("policy\n")
    #expect(bare == [.policy(PolicyDeclaration(preset: nil, presetColumn: 0, knobs: [], line: 1))])
  }

  @Test func policyValuesAreCheckedLaterNotByTheReader() throws {
    // Preset names and knob values are the model's business (it reports at the columns).
    let statements = try parse("policy bogus frob=7\n")
    guard case .policy(let p) = statements.first else {
      Issue.record("expected a policy statement")
      return
    }
    #expect(p.preset == "bogus")
    #expect(p.knobs.map(\.key) == ["frob"])
    #expect(p.knobs.map(\.value) == ["7"])
  }

  @Test func policyAfterSetupButBeforeEvents() throws {
    let text = s390Setup + "actor v guest\npolicy split\nv: touch 0\n"
    #expect(try summaries(text)[3] == "L4 policy split")
  }

  // MARK: - actor declarations and implicit actors

  @Test(arguments: ActorKind.allCases)
  func actorDeclaration(_ kind: ActorKind) throws {
    let statements = try parse("actor a.b-c_9 \(kind.rawValue)\n")
    #expect(statements == [.actor(ActorDeclaration(index: 0, name: "a.b-c_9", kind: kind, isExplicit: true, line: 1))])
  }

  @Test func declaredActorsKeepTheirIndexAndKind() throws {
    let text = s390Setup + """
      actor v guest
      actor h host
      actor d device
      actor c cpu
      c: access 0 read
      d: dma 0
      v: touch 0
      h: get 0
      x: get 1
      """
    let all = try parse(text)
    #expect(actors(all).map(\.name) == ["v", "h", "d", "c", "x"])
    #expect(actors(all).map(\.index) == [0, 1, 2, 3, 4])
    #expect(actors(all).map(\.isExplicit) == [true, true, true, true, false])
    #expect(events(all).map(\.actor) == [3, 2, 0, 1, 4])
  }

  @Test(arguments: [
    // Guest verbs make guests, device verbs devices, everything else hosts.
    ("s390-pv", "touch 0", ActorKind.guest),
    ("s390-pv", "share 0", .guest),
    ("s390-pv", "unshare 0", .guest),
    ("sev-snp", "psc 0 private", .guest),
    ("sev-snp", "pvalidate 0 on", .guest),
    ("sev", "gpte 0 dec", .guest),
    ("sev", "mprotect 0", .guest),
    ("sev", "split-pmd 0", .guest),
    ("s390-pv", "dma 0", .device),
    ("s390-pv", "dma-start 0", .device),
    ("s390-pv", "dma-end", .device),
    ("s390-pv", "get 0", .host),
    ("s390-pv", "lru-drain", .host),
    ("s390-pv", "unmap 0", .host),
    ("s390-pv", "destroy 0", .host),
    ("s390-pv", "inject 0 fail=export", .host),
    ("s390-pv", "make-accessible 0", .host),
    ("sev", "convert 0 private", .host),
    ("s390-pv", "flush", .host),
    ("s390-pv", "access 0 read", .host),  // a cpu verb: the rest -> host
    ("s390-pv", "note hello", .host),
  ])
  func implicitActorKind(_ arch: String, _ rest: String, _ kind: ActorKind) throws {
    let all = try parse("arch \(arch)\nmemory 0x0..0xff\nx: \(rest)\n")
    #expect(actors(all) == [ActorDeclaration(index: 0, name: "x", kind: kind, isExplicit: false, line: 3)])
    // The declaration comes right before the event that introduced the actor.
    guard all.count == 4, case .actor = all[2], let e = all[3].event else {
      Issue.record("expected [arch, memory, actor, event], got \(all.count) statements")
      return
    }
    #expect(e.actor == 0)
  }

  @Test func aNoteDoesNotDecideTheActorsKind() throws {
      let all = try parse(s390Setup + "v: note boot\nv: touch 0\n")
      #expect(actors(all).last?.kind == .guest)
      #expect(Set(actors(all).map(\.index)) == [0])
  }

  @Test func hostActorsMayUseDeviceAndCPUVerbs() throws {
    let text = s390Setup + """
      actor h host
      h: get 0
      h: dma-start 0 write id=io
      h: dma-end id=io
      h: dma 1 read
      h: access 0 write kernel
      h: flush cpu=h
      """
    let all = events(try parse(text))
    #expect(all.map(\.verb) == [.get, .dmaStart, .dmaEnd, .dma, .access, .flush])
    #expect(Set(all.map(\.actor)) == [0])
  }

  @Test func implicitHostActorsMayUseDeviceAndCPUVerbsToo() throws {
    let all = try parse(s390Setup + "q: get 0\nq: dma 0 write\nq: access 0 read user\n")
    #expect(actors(all).map(\.kind) == [.host])
    #expect(events(all).map(\.verb) == [.get, .dma, .access])
  }

  @Test(arguments: [
    ("guest", "note x"), ("host", "note x"), ("device", "note x"), ("cpu", "note x"),
    ("cpu", "access 0 read"), ("cpu", "flush"), ("cpu", "flush cpu=x"), ("device", "dma 0"), ("device", "dma-end"),
  ])
  func verbsEachKindMayUse(_ kind: String, _ rest: String) throws {
    let all = try parse(s390Setup + "actor x \(kind)\nx: \(rest)\n")
    #expect(events(all).count == 1)
    #expect(actors(all).count == 1)
  }

  // MARK: - Events: actor syntax, verbs, operands

  @Test func actorColonMayStandApart() throws {
    let a = try singleEvent(s390Setup + "qemu : get 0x2\n")
    #expect(a.column == 8)
    #expect(a.operandColumn == 12)
    #expect(a.pages == PageRange(first: 2, count: 1))
    let b = try singleEvent(s390Setup + "@3us   qemu:   get 0x2\n")
    #expect(b.column == 16)
    #expect(b.time == 3000)
  }

  @Test func eventColumnsPointAtVerbAndOperand() throws {
    let e = try singleEvent(s390Setup + "  vcpu0:  touch   0x10..0x13 write\n")
    #expect(e.line == 3)
    #expect(e.column == 11)
    #expect(e.operandColumn == 19)
    // Without an operand, the operand column is the verb's.
    let d = try singleEvent(s390Setup + "x: lru-drain\n")
    #expect(d.column == 4)
    #expect(d.operandColumn == 4)
    #expect(d.pages.count == 0)
  }

  @Test(arguments: [
    ("get 0x5", PageRange(first: 5, count: 1)),
    ("get 0x5..0x9", PageRange(first: 5, count: 5)),
    ("get 0x5+3", PageRange(first: 5, count: 3)),
    ("get 0..0xff", PageRange(first: 0, count: 256)),
    ("get 0xFF", PageRange(first: 255, count: 1)),
    ("get 10+0x10", PageRange(first: 10, count: 16)),
    ("lock 7", PageRange(first: 7, count: 1)),
    ("lock 7..7", PageRange(first: 7, count: 1)),
    ("lock 7+1", PageRange(first: 7, count: 1)),
    ("split 0x80", PageRange(first: 128, count: 1)),
    ("unlock 0xff", PageRange(first: 255, count: 1)),
  ])
  func pageOperands(_ rest: String, _ pages: PageRange) throws {
    #expect(try singleEvent(s390Setup + "h: \(rest)\n").pages == pages)
  }

  @Test func pagesMaySpanAdjacentDeclarations() throws {
    let text = "arch s390-pv\nmemory 0x10..0x13\nmemory 0x0..0x3\nmemory 0x4..0xf order=2\nh: get 0x0..0x13\nh: get 0x3..0x4\nh: get 0x12\n"
    #expect(events(try parse(text)).map(\.pages.count) == [0x14, 2, 1])
  }

  @Test(arguments: [
    // verb line, expected words in spelling order
    ("pin 0 longterm write", ["write", "longterm"]),
    ("pin 0 write longterm", ["write", "longterm"]),
    ("pin 0", []),
    ("access 0 read", ["read"]),
    ("access 0 write user", ["write", "user"]),
    ("access 0 kernel read", ["read", "kernel"]),
    ("dma 0 read", ["read"]),
    ("dma-start 0 write id=x", ["write"]),
    ("touch 0 write", ["write"]),
  ])
  func bareWords(_ rest: String, _ words: [String]) throws {
    let e = try singleEvent(s390Setup + "actor h host\nactor v guest\n" + (rest.hasPrefix("touch") ? "v" : "h") + ": \(rest)\n")
    #expect(spelled(e.words) == words)
  }

  @Test(arguments: [
    ("psc 0 private", ["private"]), ("psc 0 shared size=2m", ["shared"]),
    ("pvalidate 0 on", ["on"]), ("pvalidate 0 off size=4k", ["off"]),
    ("gpte 0 enc", ["enc"]), ("gpte 0 dec", ["dec"]),
  ])
  func snpGuestWords(_ rest: String, _ words: [String]) throws {
    #expect(spelled(try singleEvent(snpSetup + "g: \(rest)\n").words) == words)
  }

  @Test func convertNeedsPrivateOrShared() throws {
    #expect(spelled(try singleEvent(sevSetup + "h: convert 0..3 private\n").words) == ["private"])
    #expect(spelled(try singleEvent(snpSetup + "h: convert 0 shared\n").words) == ["shared"])
  }

  @Test func eventOptions() throws {
    let inject = try singleEvent(s390Setup + "h: inject 0 fail=pin-shared count=3\n")
    #expect(inject.failure == .pinShared)
    #expect(inject.count == 3)
    #expect(try singleEvent(s390Setup + "h: inject 0 count=4294967296 fail=import\n").count == 1 << 32)
    let defaults = try singleEvent(s390Setup + "h: inject 0 fail=export\n")
    #expect(defaults.failure == .export)
    #expect(defaults.count == 1)
    #expect(try singleEvent(s390Setup + "h: make-accessible 0 scope=folio\n").scope == .folio)
    #expect(try singleEvent(s390Setup + "h: make-accessible 0 scope=page\n").scope == .page)
    #expect(try singleEvent(s390Setup + "h: make-accessible 0\n").scope == nil)
    #expect(try singleEvent(snpSetup + "g: psc 0 private size=2m\n").size == .size2M)
    #expect(try singleEvent(snpSetup + "g: pvalidate 0 on size=4k\n").size == .size4K)
    #expect(try singleEvent(snpSetup + "g: touch 0 write c=dec\n").cbit == .dec)
    #expect(try singleEvent(sevSetup + "g: touch 0 c=enc\n").cbit == .enc)
    let plain = try singleEvent(sevSetup + "g: touch 0\n")
    #expect(plain.cbit == nil)
    #expect(plain.id == -1)
    #expect(plain.via == -1)
    #expect(plain.cpu == -1)
    #expect(noteTexts(try parse(sevSetup + "g: touch 0\n")).isEmpty)
  }

  // MARK: - Interned ids and tags

  @Test func symbolsComeRightBeforeTheEventThatIntroducesThem() throws {
    let text = s390Setup + """
      h: get 0 via=splice
      h: get 1 via=splice
      d: dma-start 0 write id=ring
      d: dma-end id=ring
      h: get 2 via=ring
      d: dma 3 id=x.y-z_1
      """
    #expect(
      try summaries(text).dropFirst(2) == [
        "L3 actor #0 h host implicit",
        "symbol #0 splice",
        "L3 t=0 a#0 get 0x0+1 via=#0",
        "L4 t=1000 a#0 get 0x1+1 via=#0",
        "L5 actor #1 d device implicit",
        "symbol #1 ring",
        "L5 t=2000 a#1 dma-start 0x0+1 write id=#1",
        "L6 t=3000 a#1 dma-end id=#1",
        "L7 t=4000 a#0 get 0x2+1 via=#1",
        "symbol #2 x.y-z_1",
        "L8 t=5000 a#1 dma 0x3+1 id=#2",
      ])
  }

  @Test func symbolsAreNotActors() throws {
    // An id may share its spelling with an actor; they are separate tables.
    let all = try parse(s390Setup + "d: dma 0 id=d\n")
    #expect(actors(all).map(\.name) == ["d"])
    #expect(symbols(all) == [Symbol(index: 0, name: "d")])
    #expect(events(all).first?.id == 0)
  }

  // MARK: - Time

  @Test func defaultTimeIsPreviousPlusOneMicrosecond() throws {
    let text = s390Setup + """
      a: get 0
      a: get 0
      expect clean
      a: get 0
      @10us a: get 0
      a: get 0
      @11us a: get 0
      @11000 a: get 0
      a: note later
      """
    let all = events(try parse(text))
    #expect(all.map(\.time) == [0, 1000, 2000, 10_000, 11_000, 11_000, 11_000, 12_000])
    #expect(all.map(\.hasExplicitTime) == [false, false, false, true, false, true, true, false])
  }

  @Test(arguments: [
    ("@0", 0 as UInt64), ("@5", 5), ("@1500", 1500), ("@7ns", 7), ("@3us", 3000), ("@150ms", 150_000_000),
    ("@2s", 2_000_000_000), ("@0s", 0), ("@18446744073709551615", .max), ("@18446744073709551615ns", .max),
    ("@18446744073s", 18_446_744_073_000_000_000),
  ])
  func explicitTime(_ at: String, _ ns: UInt64) throws {
    let e = try singleEvent(s390Setup + "\(at) a: get 0\n")
    #expect(e.time == ns)
    #expect(e.hasExplicitTime)
  }

  @Test func aFirstEventWithoutTimeIsAtZero() throws {
    #expect(try singleEvent(s390Setup + "a: get 0\n").time == 0)
    #expect(try singleEvent(s390Setup + "a: get 0\n").hasExplicitTime == false)
  }

  @Test func equalTimesAreFine() throws {
    let all = events(try parse(s390Setup + "@1us a: get 0\n@1000 a: get 0\n@1us a: get 0\n"))
    #expect(all.map(\.time) == [1000, 1000, 1000])
  }

  @Test func anEarlierExplicitTimeThanAnImplicitOneIsAnError() throws {
    // The second event is at 1000 ns by default.
    let error = parseError(s390Setup + "a: get 0\na: get 0\n@999 a: get 0\n")
    #expect(error.map(position) == "5:1")
    #expect(error?.message == "time 999ns is earlier than the previous event's time 1us; times must not decrease")
  }

  @Test func bareHexadecimalNanoseconds() throws {
      let e = try singleEvent(s390Setup + "@0x10 a: get 0\n")
      #expect(e.time == 16)
  }

  @Test func theDefaultTimeMustNotOverflow() throws {
    let error = parseError(s390Setup + "@18446744073709551615 a: get 0\na: get 0\n")
    #expect(error.map(position) == "4:1")
    #expect(error?.message == "the implicit time (previous event + 1us) overflows 64-bit nanoseconds")
    // The largest time that still has room for one more microsecond is fine.
    let all = events(try parse(s390Setup + "@18446744073709550615 a: get 0\na: get 0\n"))
    #expect(all.map(\.time) == [.max - 1000, .max])
  }

  // MARK: - note and flush

  @Test(arguments: [
    ("note hello", "hello"),
    ("note  hello   world  ", "hello   world"),
    ("note a\tb", "a\tb"),
    ("note @5 x: get 0 via=y write", "@5 x: get 0 via=y write"),
    ("note   # only a comment", ""),
    ("note", ""),
    ("note text # and a comment", "text"),
    ("note a#b", "a"),
    ("note café ✓", "café ✓"),
  ])
  func noteText(_ rest: String, _ text: String) throws {
    let (e, noted) = try singleNote(s390Setup + "a: \(rest)\n")
    #expect(e.verb == .note)
    #expect(noted == text)
    #expect(e.pages.count == 0)
  }

  @Test func flushWithAndWithoutCPU() throws {
    let all = try parse(snpSetup + "actor c0 cpu\nc0: access 0 read\nh: flush cpu=c0\nh: flush\nh: flush cpu=h\n")
    let flushes = events(all).filter { $0.verb == .flush }
    #expect(flushes.map(\.cpu) == [0, -1, 1])
  }

  @Test func flushMayNameADeclaredActorThatHasNotActed() throws {
    let e = try singleEvent(s390Setup + "actor c7 cpu\nh: flush cpu=c7\n")
    #expect(e.cpu == 0)
    #expect(e.actor == 1)
  }

  // MARK: - Reading from files

  @Test func readsLargeFilesAcrossChunkBoundaries() throws {
    // More than three 1 MiB chunks, lines straddling every boundary, no final newline.
    var text = "arch s390-pv\nmemory 0x0..0xff\n"
    var n = 0
    while text.utf8.count < 3 * ByteSource.chunkSize + 1000 {
      text += "a\(n % 7): get \(hex(UInt64(n % 256))) via=t\(n % 13)\n"
      n += 1
    }
    text += "a0: note the end"
    let path = try temporaryFile(text)
    defer { unlink(path) }
    var reader = TraceReader(fileName: "big.trace", source: try ByteSource.open(path: path))
    var count = 0
    var lastLine = 0
    var lastTime: UInt64 = 0
    var actorCount = 0
    var symbolCount = 0
    while let s = try reader.next() {
      switch s {
      case .event(let e), .note(let e, _):
        count += 1
        lastLine = e.line
        lastTime = e.time
      case .actor: actorCount += 1
      case .symbol: symbolCount += 1
      default: break
      }
    }
    #expect(count == n + 1)
    #expect(lastLine == n + 3)
    #expect(lastTime == UInt64(n) * 1000)
    #expect(actorCount == 7)
    #expect(symbolCount == 13)
  }

  @Test func aTooLongLineInAFileIsAnError() throws {
    let text = s390Setup + "a: note " + String(repeating: "y", count: 200_000) + "\n"
    let path = try temporaryFile(text)
    defer { unlink(path) }
    var reader = TraceReader(fileName: "long.trace", source: try ByteSource.open(path: path))
    do {
      _ = try reader.readAll()
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "line is longer than 65536 bytes")
      #expect(error.location.file == "long.trace")
      #expect(error.location.column == 65537)
    }
  }

  @Test func openingAMissingFileOrADirectoryIsAnError() throws {
    do {
      _ = try ByteSource.open(path: "/nonexistent/dir/x.trace")
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "cannot open '/nonexistent/dir/x.trace': No such file or directory")
      #expect(error.location.file == "/nonexistent/dir/x.trace")
    }
    do {
      _ = try ByteSource.open(path: "/tmp")
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "'/tmp' is a directory, expected a trace file")
    }
  }

  @Test func readsFromADescriptor() throws {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    let text = Array("arch sev\nmemory 0\nh: convert 0 private\n".utf8)
    #expect(text.withUnsafeBytes { write(fds[1], $0.baseAddress!, $0.count) } == text.count)
    close(fds[1])
    var reader = TraceReader(fileName: "<stdin>", source: ByteSource(descriptor: fds[0], ownsDescriptor: true))
    #expect(try reader.readAll().map(summary) == [
      "L1 arch sev", "L2 memory 0x0+1 order=0 anon shared", "L3 actor #0 h host implicit", "L3 t=0 a#0 convert 0x0+1 private",
    ])
  }
}

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String) throws -> String {
  var template = Array("/tmp/pagestate-test-XXXXXX.trace".utf8CString)
  let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 6) }
  try #require(fd >= 0)
  defer { close(fd) }
  let bytes = Array(text.utf8)
  var written = 0
  while written < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
    try #require(n > 0)
    written += n
  }
  return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
