import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// PG_writeback is ended by the I/O's completion (`folio_end_writeback()`
/// from the bio's end_io), not by the thread that submitted it: a
/// `writeback-end` runs at its place in the trace even when its actor is
/// blocked, and a writeback's holder is never a link of a wait-for chain
/// (docs/model-s390.md, "Waits").
struct WritebackCompletionTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var memory: String
    var body: String
    var hangs: [String]
    var stalls: [String]
    var imports: UInt64 = 0
    var waits: UInt64
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "a second writeback-start of the submitter, never ended: a stall, not a self-deadlock",
      memory: "memory 0x0 backing=file",
      body: "kworker: writeback-start 0x0\nkworker: writeback-start 0x0",
      hangs: [], stalls: ["kworker"], waits: 1),
    Case(
      name: "the submitter's own writeback-end completes the first writeback while it waits",
      memory: "memory 0x0 backing=file",
      body: "kworker: writeback-start 0x0\nkworker: writeback-start 0x0\nkworker: writeback-end 0x0\nkworker: writeback-end 0x0",
      hangs: [], stalls: [], waits: 1),
    Case(
      name: "another context ends the writeback (audit R22b)",
      memory: "memory 0x0 backing=file",
      body: "kworker: writeback-start 0x0\nkworker: writeback-start 0x0\nirq: writeback-end 0x0\nirq: note done",
      hangs: [], stalls: [], waits: 1),
    Case(
      name: "a submitter blocked on a lock still completes its writeback: the import waiting for it goes on",
      memory: "memory 0x0..0x1 backing=file",
      body: "k: writeback-start 0x0\nb: lock 0x1\nk: lock 0x1\nvcpu0: touch 0x0\nk: writeback-end 0x0",
      hangs: [], stalls: ["k"], imports: 1, waits: 2),
    Case(
      name: "a completion queued after its own queued submission keeps program order",
      memory: "memory 0x0..0x1 backing=file",
      body: "b: lock 0x1\nk: lock 0x1\nk: writeback-start 0x0\nk: writeback-end 0x0\nb: unlock 0x1\nk: unlock 0x1",
      hangs: [], stalls: [], waits: 1),
    Case(
      name: "a queued submission on a folio another actor writes back: the end waits for it, not for the other's I/O",
      memory: "memory 0x0..0x1 backing=file",
      body: "w: writeback-start 0x0\nb: lock 0x1\nk: lock 0x1\nk: writeback-start 0x0\nk: writeback-end 0x0\nb: unlock 0x1\nw: writeback-end 0x0\nk: unlock 0x1",
      hangs: [], stalls: [], waits: 2),
    Case(
      name: "an end after the actor's own blocked submission, while another actor's writeback holds the folio, ends its own",
      memory: "memory 0x0 backing=file",
      body: "w: writeback-start 0x0\nk: writeback-start 0x0\nk: writeback-end 0x0\nw: writeback-end 0x0",
      hangs: [], stalls: [], waits: 1),
    Case(
      name: "a completion queued behind a wait runs when the actor blocks again on the writeback it completes",
      memory: "memory 0x0..0x1 backing=file",
      body: "k: writeback-start 0x0\nb: lock 0x1\nk: lock 0x1\nk: writeback-start 0x0\nk: writeback-end 0x0\nb: unlock 0x1\nk: writeback-end 0x0\nk: unlock 0x1",
      hangs: [], stalls: [], waits: 2),
    Case(
      name: "a wait for a writeback whose submitter hangs is a stall: the completion does not depend on it",
      memory: "memory 0x0 backing=file\nmemory 0x4..0x7 order=2 state=exported",
      body: "k: writeback-start 0x0\nqemu: pin 0x4 longterm\nk: split 0x4\nvcpu0: touch 0x0",
      hangs: ["k"], stalls: ["vcpu0"], waits: 2),
    Case(
      name: "a lock held by a writer of a writeback the lock holder waits for: no cycle, two stalls",
      memory: "memory 0x0..0x1 backing=file",
      body: "a: writeback-start 0x0\nb: lock 0x1\na: lock 0x1\nb: writeback-start 0x0",
      hangs: [], stalls: ["a", "b"], waits: 2),
  ]

  @Test("writeback ends at I/O completion", arguments: cases)
  func completion(_ c: Case) throws {
    let r = try run(c.body, memory: c.memory)
    #expect(r.findings.findings.filter { $0.kind == .hang }.map(\.actor).sorted() == c.hangs)
    #expect(r.findings.findings.filter { $0.kind == .stall }.map(\.actor).sorted() == c.stalls)
    #expect(r.stats[.imports] == c.imports)
    #expect(r.stats[.waits] == c.waits)
    #expect(!r.findings.findings.contains { $0.message.hasPrefix("deadlock") })
  }

  @Test("the stall of a writer waiting for its own writeback says who ends it")
  func selfWaitMessage() throws {
    let r = try run("kworker: writeback-start 0x0\nkworker: writeback-start 0x0", memory: "memory 0x0 backing=file")
    let f = try #require(r.findings.findings.first { $0.kind == .stall })
    #expect(f.line == 4)
    #expect(f.message.contains("folio_end_writeback()"))
    #expect(f.message.contains("kworker waits for its own writeback"))
    #expect(!r.hasErrorOrHang)
  }

  @Test("a lock is still held by its actor: waiting for one's own lock stays a deadlock")
  func lockStaysSelfDeadlock() throws {
    let r = try run("a: writeback-start 0x0\na: lock 0x0\na: lock 0x0\na: writeback-end 0x0", memory: "memory 0x0 backing=file")
    #expect(r.findings.count(.hang) == 1)
    // The completion ran although `a` waits: nothing is left under writeback.
    #expect(!r.findings.findings.contains { $0.message.contains("writeback") })
  }
}
