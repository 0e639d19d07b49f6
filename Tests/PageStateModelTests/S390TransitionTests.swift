import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// state x verb x policy -> state, on an order-0 folio (no collateral, no large-folio rule).
struct S390TransitionRow: CustomTestStringConvertible, Sendable {
  var initial: String
  var verb: String
  var preset: String
  var expected: String
  var testDescription: String { "\(initial) --\(verb)--> \(expected) [\(preset)]" }
}

let transitionTable: [S390TransitionRow] = {
  var rows: [S390TransitionRow] = []
  let table: [(String, String, String)] = [
    // initial, event (actor: verb), expected
    ("nonsecure", "vcpu0: touch 0x0", "secure"),
    ("exported", "vcpu0: touch 0x0", "secure"),
    ("secure", "vcpu0: touch 0x0", "secure"),
    ("shared", "vcpu0: touch 0x0", "shared"),
    ("pinned-shared", "vcpu0: touch 0x0", "pinned-shared"),
    ("nonsecure", "vcpu0: share 0x0", "shared"),
    ("exported", "vcpu0: share 0x0", "shared"),
    ("secure", "vcpu0: share 0x0", "shared"),
    ("shared", "vcpu0: share 0x0", "shared"),
    ("shared", "vcpu0: unshare 0x0", "secure"),
    ("pinned-shared", "vcpu0: unshare 0x0", "secure"),
    ("secure", "vcpu0: unshare 0x0", "secure"),
    ("secure", "qemu: pin 0x0", "exported"),
    ("shared", "qemu: pin 0x0", "pinned-shared"),
    ("nonsecure", "qemu: pin 0x0", "nonsecure"),
    ("secure", "qemu: get 0x0", "secure"),
    ("secure", "qemu: access 0x0 read", "exported"),
    ("shared", "qemu: access 0x0 write", "shared"),
    ("secure", "qemu: make-accessible 0x0", "exported"),
    ("shared", "qemu: make-accessible 0x0", "pinned-shared"),
    ("secure", "qemu: destroy 0x0", "nonsecure"),
    ("shared", "qemu: destroy 0x0", "nonsecure"),
    ("secure", "qemu: unmap 0x0", "exported"),
    ("shared", "qemu: unmap 0x0", "exported"),
    ("secure", "qemu: writeback-start 0x0", "exported"),
    ("shared", "qemu: writeback-start 0x0", "pinned-shared"),
  ]
  for preset in Policy.presetNames {
    for (initial, verb, expected) in table {
      rows.append(S390TransitionRow(initial: initial, verb: verb, preset: preset, expected: expected))
    }
  }
  return rows
}()

@Test("s390 page state transitions", arguments: transitionTable)
func transition(_ row: S390TransitionRow) throws {
  let (_, m) = try replay(row.verb, memory: "memory 0x0 state=\(row.initial)", preset: row.preset)
  #expect(state(m, 0) == row.expected)
}

@Test("the hook under folio tracking exports the whole folio and counts collateral")
func folioHookCollateral() throws {
  let body = "vcpu0: touch 0x0..0x3\nvcpu0: share 0x0\nqemu: pin 0x0 longterm"
  let (page, pm) = try replay(body, preset: "page")
  #expect(page.stats[.collateralExports] == 0)
  #expect((1...3).allSatisfy { state(pm, $0) == "secure" })
  let (folio, fm) = try replay(body, preset: "folio")
  #expect(folio.stats[.collateralExports] == 3)
  #expect(folio.stats[.exports] == 3)
  #expect(state(fm, 0) == "pinned-shared")
  #expect((1...3).allSatisfy { state(fm, $0) == "exported" })
}

@Test("two-pass folio hook exports pages it just pinned shared")
func twoPassHook() throws {
  let body = "vcpu0: touch 0x0..0x3\nvcpu0: share 0x0\nqemu: pin 0x1"
  let (each, em) = try replay(body, preset: "folio")
  #expect(state(em, 0) == "pinned-shared")
  #expect(each.stats[.collateralPins] == 1)
  let (two, tm) = try replay(body, preset: "folio", knobs: [("folio-hook", "two-pass")])
  #expect(state(tm, 0) == "exported")
  #expect(two.stats[.exports] == 4)
  #expect(two.stats[.collateralExports] == 3)
}

@Test("large=split splits at the first import, large=refuse kills the guest")
func largeFolioRules() throws {
  let body = "vcpu0: touch 0x0..0x3\nvcpu0: touch 0x0"
  let (split, sm) = try replay(body, preset: "split")
  #expect(split.stats[.splits] == 1)
  #expect(split.stats[.imports] == 4)
  #expect(sm.memory.entries[0].order == 0)
  let (refuse, _) = try replay(body, preset: "refuse")
  #expect(refuse.findings.count(.guestKilled) == 1)
  #expect(refuse.stats[.imports] == 0)
  #expect(refuse.stats[.events] == 2)
}

@Test("injected failures: pin-shared falls back to export; a failed export fails the hook")
func injections() throws {
  let (r1, m1) = try replay("qemu: inject 0x0 fail=pin-shared\nqemu: pin 0x0", memory: "memory 0x0 state=shared")
  #expect(state(m1, 0) == "exported")
  #expect(r1.stats[.uvCalls] == 2)
  let (r2, m2) = try replay("qemu: inject 0x0 fail=export\nqemu: writeback-start 0x0", memory: "memory 0x0 state=secure")
  #expect(state(m2, 0) == "secure")
  #expect(r2.findings.count(.bugOn) == 1)
  #expect(r2.stats[.hookFailures] == 1)
  let (r3, _) = try replay("qemu: inject 0x0 fail=import count=2\nvcpu0: touch 0x0", memory: "memory 0x0")
  #expect(r3.stats[.importRetries] == 2)
  #expect(r3.stats[.waits] == 0)
  #expect(r3.stats[.imports] == 1)
  let (r4, _) = try replay("qemu: inject 0x0 fail=export\nqemu: access 0x0 read kernel\nqemu: inject 0x0 fail=export\nqemu: access 0x0 read user", memory: "memory 0x0 state=secure")
  #expect(r4.findings.count(.bugOn) == 1)
  #expect(r4.findings.count(.hostSigsegv) == 1)
}

@Test("device I/O: secure page is io-on-secure; no marker is unprotected-io; an import under an open window is io-on-secure")
func deviceIO() throws {
  let (r1, _) = try replay("disk: dma 0x0 read", memory: "memory 0x0 state=secure")
  #expect(r1.findings.count(.ioOnSecure) == 1)
  let (r2, _) = try replay("disk: dma 0x0 read", memory: "memory 0x0 state=exported")
  #expect(r2.findings.count(.ioOnSecure) == 0)
  #expect(r2.findings.count(.unprotectedIO) == 1)
  let (r3, _) = try replay("qemu: get 0x0\ndisk: dma-start 0x0 write id=a\nvcpu0: touch 0x0", memory: "memory 0x0 state=exported")
  #expect(r3.findings.count(.ioOnSecure) == 0)
  let (r4, _) = try replay("disk: dma-start 0x0 write id=a\nvcpu0: touch 0x0\ndisk: dma-end id=a", memory: "memory 0x0 state=exported")
  #expect(r4.findings.count(.ioOnSecure) == 1)
  #expect(r4.findings.findings.first { $0.kind == .ioOnSecure }?.line == 4)
}

@Test("make-accessible without a marker warns hook-without-marker")
func hookWithoutMarker() throws {
  let (bad, _) = try replay("qemu: make-accessible 0x0", memory: "memory 0x0 state=secure")
  #expect(bad.findings.count(.hookWithoutMarker) == 1)
  let (good, _) = try replay("qemu: get 0x0\nqemu: make-accessible 0x0\nqemu: put 0x0", memory: "memory 0x0 state=secure")
  #expect(good.findings.count(.hookWithoutMarker) == 0)
}

@Test("spurious UV calls when a folio bit over-indicates its nonsecure pages")
func spurious() throws {
  let body = "vcpu0: touch 0x0\nqemu: pin 0x0"
  let (folio, _) = try replay(body, preset: "folio")
  // Pages 1-3 are nonsecure under a set folio bit: a failed pin-shared and a no-op export each.
  #expect(folio.stats[.spuriousUVCalls] == 6)
  #expect(folio.stats[.uvCalls] == 1 + 2 + 6)
  let (page, _) = try replay(body, preset: "page")
  #expect(page.stats[.spuriousUVCalls] == 0)
  let (destroyed, _) = try replay("vcpu0: touch 0x0\nqemu: destroy 0x0\nqemu: pin 0x0", memory: "memory 0x0")
  #expect(destroyed.stats[.destroys] == 1)
  #expect(destroyed.stats[.uvCalls] == 2)
}

@Test("model errors name the verb's line and column")
func modelErrors() throws {
  #expect(throws: TraceError.self) { try replay("qemu: put 0x0") }
  do {
    _ = try replay("qemu: get 0x0\nqemu: unlock 0x0")
    Issue.record("expected an error")
  } catch let e as TraceError {
    #expect(e.location.line == 4)
    #expect(e.location.column == 7)
    #expect(e.message.contains("does not hold the lock"))
  }
}
