import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

func run(_ body: String, memory: String = "memory 0x0..0x3 order=2", preset: String = "page", knobs: [(String, String)] = []) throws -> ReplayResult {
  let text = "arch s390-pv\n\(memory)\n\(body)\n"
  var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: text))
  var policy = Policy(preset: preset)!
  for (k, v) in knobs { try policy.set(k, v) }
  var r = Replay<S390PV>(policy: policy, fileName: "t.trace")
  while let s = try reader.next() { try r.feed(s) }
  return try r.finish()
}

@Test("a wait on a long-term pin is a hang that names the pin")
func longtermPinHang() throws {
  let r = try run("qemu: pin 0x0 longterm\nvcpu0: touch 0x0", memory: "memory 0x0 state=exported")
  #expect(r.findings.count(.hang) == 1)
  let f = try #require(r.findings.findings.first { $0.kind == .hang })
  #expect(f.actor == "vcpu0")
  #expect(f.line == 4)
  #expect(f.message.contains("pin 0x0 longterm by qemu at line 3"))
  #expect(r.stats[.waits] == 1)
}

@Test("a wait on a short-term reference at the end is a stall")
func shortTermStall() throws {
  let r = try run("qemu: get 0x0\nvcpu0: touch 0x0", memory: "memory 0x0 state=exported")
  #expect(r.findings.count(.stall) == 1)
  #expect(r.findings.count(.hang) == 0)
  #expect(!r.hasErrorOrHang)
}

@Test("a released reference lets the blocked import finish, and queued events run after it")
func retryAfterPut() throws {
  let r = try run("qemu: get 0x0\n@10us vcpu0: touch 0x0\n@20us vcpu0: share 0x0\n@50us qemu: put 0x0", memory: "memory 0x0 state=exported")
  #expect(r.findings.findings.isEmpty)
  #expect(r.stats[.waits] == 1)
  #expect(r.stats[.importRetries] == 1)
  #expect(r.stats[.waitTime] == 40_000)
  #expect(r.stats[.imports] == 1)
}

@Test("a cycle of lock waits is a deadlock naming every actor")
func deadlockCycle() throws {
  let body = """
    a: lock 0x0
    b: lock 0x1
    a: lock 0x1
    b: lock 0x0
    """
  let r = try run(body, memory: "memory 0x0..0x1")
  #expect(r.findings.count(.hang) == 2)
  for f in r.findings.findings {
    #expect(f.message.contains("deadlock"))
    #expect(f.message.contains("a") && f.message.contains("b"))
  }
}

@Test("an actor waiting on its own lock is a cycle of one")
func selfDeadlock() throws {
  let r = try run("a: lock 0x0\na: lock 0x0", memory: "memory 0x0")
  #expect(r.findings.count(.hang) == 1)
}

@Test("a waiter behind a hung holder hangs too")
func hangPropagates() throws {
  let body = """
    qemu: pin 0x0 longterm
    host: lock 0x1
    vcpu0: touch 0x0
    host: split 0x0
    """
  // host waits for the references of folio 0x0 (held by the long-term pin): hang.
  let r = try run(body, memory: "memory 0x0..0x3 order=2 state=exported")
  #expect(r.findings.findings.filter { $0.kind == .hang }.map(\.actor).sorted() == ["host", "vcpu0"])
}

@Test("a bounded wait gives up at its deadline with conversion-failed, never hang")
func boundedWait() throws {
  let r = try run("qemu: pin 0x0 longterm\n@1ms vcpu0: touch 0x0\n@1ms vcpu0: note after\n@500ms qemu: note later", memory: "memory 0x0 state=exported", preset: "folio", knobs: [("wait", "bounded:150ms")])
  #expect(r.findings.count(.hang) == 0)
  #expect(r.findings.count(.conversionFailed) == 1)
  let f = try #require(r.findings.findings.first)
  #expect(f.time == 151_000_000)
  #expect(r.stats[.waitTime] == 150_000_000)
}

@Test("an event exactly at the deadline can still satisfy a bounded wait")
func deadlineInclusive() throws {
  let r = try run("qemu: get 0x0\n@0 vcpu0: touch 0x0\n@150ms qemu: put 0x0", memory: "memory 0x0 state=exported", knobs: [("wait", "bounded:150ms")])
  #expect(r.findings.count(.conversionFailed) == 0)
  #expect(r.stats[.imports] == 1)
}

@Test("a bounded waiter still waiting at the end gives up at its deadline")
func boundedAtEnd() throws {
  let r = try run("qemu: pin 0x0 longterm\nvcpu0: touch 0x0", memory: "memory 0x0 state=exported", knobs: [("wait", "bounded:150ms")])
  #expect(r.findings.count(.conversionFailed) == 1)
  #expect(r.findings.count(.hang) == 0)
  #expect(r.findings.count(.stall) == 0)
}

@Test("a lock wait is not bounded by the wait knob")
func lockWaitUnbounded() throws {
  let r = try run("a: lock 0x0\n@1ms b: lock 0x0\n@1s a: note done", memory: "memory 0x0", knobs: [("wait", "bounded:150ms")])
  #expect(r.findings.count(.conversionFailed) == 0)
  #expect(r.findings.count(.stall) == 1)
}

@Test("guest-killed drops every guest event but host actors go on")
func guestKilled() throws {
  let r = try run("vcpu0: touch 0x0\nvcpu1: touch 0x1\nqemu: get 0x0\nqemu: put 0x0", preset: "refuse")
  #expect(r.findings.count(.guestKilled) == 1)
  #expect(r.stats[.events] == 4)
  #expect(r.stats[.imports] == 0)
}

@Test("waiters retry in the order they blocked")
func waiterOrder() throws {
  let body = "a: lock 0x0\nb: lock 0x0\nc: lock 0x0\na: unlock 0x0\nb: unlock 0x0\nc: unlock 0x0"
  let r = try run(body, memory: "memory 0x0")
  #expect(r.findings.findings.isEmpty)
  #expect(r.stats[.waits] == 2)
}

@Test("compare equals separate replays", arguments: Policy.presetNames)
func compareEqualsReplay(_ preset: String) throws {
  let text = "arch s390-pv\nmemory 0x0..0x3 order=2\nvcpu0: touch 0x0..0x3\nvcpu0: share 0x0\nqemu: pin 0x0 longterm\nvirtio: dma 0x0\nvcpu0: touch 0x1\n"
  let (_, all) = try Session.run(fileName: "t", source: ByteSource(string: text), mode: .compare(Policy.presetNames))
  let (_, one) = try Session.run(fileName: "t", source: ByteSource(string: text), mode: .replay(preset: preset))
  let match = try #require(all.first { $0.policy.preset == preset })
  #expect(match.stats == one[0].stats)
  #expect(match.findings == one[0].findings)
}

@Test("an actor whose first event is a note gets its kind from its first other verb")
func noteThenGuest() throws {
  let r = try run("vcpu0: note boot\nvcpu0: touch 0x0\nvcpu0: touch 0x1", preset: "refuse")
  #expect(r.findings.count(.guestKilled) == 1)
  #expect(r.stats[.imports] == 0)
  #expect(r.stats[.events] == 3)
}

@Test("the built-in demo scenarios hold their own expectations", arguments: [
  (DemoScenario.fileName, DemoScenario.trace), (DemoScenario.snpFileName, DemoScenario.snpTrace),
])
func demoScenariosCheck(_ name: String, _ trace: String) {
  let outcome = Check.run(fileName: name, source: ByteSource(string: trace))
  #expect(outcome.inputError == nil)
  #expect(outcome.failures == [])
  #expect(outcome.policies.count == 4)
}

@Test("a hung actor's queue stays bounded however long the trace; a wait that ends after an overflow is an input error")
func queueOverflow() throws {
  let n = Replay<S390PV>.queueLimit + 10
  let queued = String(repeating: "vcpu0: touch 0x1\n", count: n)
  let hung = try run("qemu: pin 0x0 longterm\nvcpu0: touch 0x0\n" + queued, memory: "memory 0x0..0x1 state=exported")
  #expect(hung.findings.count(.hang) == 1)
  #expect(hung.stats[.events] == UInt64(n + 2))
  #expect(throws: TraceError.self) {
    try run("qemu: get 0x0\nvcpu0: touch 0x0\n" + queued + "qemu: put 0x0", memory: "memory 0x0..0x1 state=exported")
  }
}

@Test("unpin drops a short-term pin before the long-term one")
func unpinPrefersShortTerm() throws {
  let r = try run("qemu: pin 0x0 longterm\nqemu: pin 0x0\nqemu: unpin 0x0\nvcpu0: touch 0x1", memory: "memory 0x0..0x3 order=2 state=exported", preset: "folio")
  #expect(r.findings.count(.hang) == 1)
}
