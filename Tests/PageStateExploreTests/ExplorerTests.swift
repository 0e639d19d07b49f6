import Foundation
import PageStateEngine
import PageStateExplore
import PageStateModel
import PageStateTrace
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func scenario(_ path: String) throws -> Scenario {
  let bytes = Array(try Data(contentsOf: root.appendingPathComponent(path)))
  return try Scenario(fileName: path, bytes: bytes)
}

func scenario(text: String) throws -> Scenario {
  try Scenario(fileName: "t.trace", bytes: Array(text.utf8))
}

func explore(_ s: Scenario, _ preset: String, reduction: Bool = true, maxStates: Int = 1_000_000) throws -> ExplorationResult {
  try Explorer<S390PV>(scenario: s, policy: Policy(preset: preset)!, maxStates: maxStates, reduction: reduction).run()
}

/// Replays a counterexample and returns its findings.
func replayCounterexample(_ text: String) throws -> ReplayResult {
  try Session.run(fileName: "cex.trace", source: ByteSource(string: text), mode: .replay(preset: nil)).1[0]
}

struct ExplorerTests {
  @Test("S4 wrong order: the file's order is clean, another interleaving does I/O on a secure page", arguments: Policy.presetNames)
  func wrongOrder(_ preset: String) throws {
    let s = try scenario("Fixtures/explore/S04-wrong-order-race.trace")
    let r = try explore(s, preset)
    let f = try #require(r.finding)
    #expect(f.kind == .ioOnSecure)
    #expect(r.path?.count == 4)  // make-accessible, touch, get, dma: the shortest
    let replayed = try replayCounterexample(try #require(r.counterexample))
    #expect(replayed.findings.count(.ioOnSecure) == 1)
    #expect(Check.run(fileName: "cex.trace", source: ByteSource(string: r.counterexample!)).passed)
  }

  @Test("S4 right order: no interleaving has a finding", arguments: Policy.presetNames)
  func rightOrder(_ preset: String) throws {
    let r = try explore(try scenario("Fixtures/explore/S04b-right-order.trace"), preset)
    #expect(r.finding == nil)
    #expect(!r.incomplete)
    #expect(r.states > 5)
  }

  @Test("S1 with the touch before the pin: explore finds the hang under folio, and the counterexample replays to it")
  func s1Hang() throws {
    let r = try explore(try scenario("Fixtures/explore/S01-touch-before-pin.trace"), "folio")
    let f = try #require(r.finding)
    #expect(f.kind == .hang)
    #expect(f.actor == "vcpu0")
    let replayed = try replayCounterexample(try #require(r.counterexample))
    #expect(replayed.findings.count(.hang) == 1)
  }

  @Test("sleep sets skip commuting moves and find the same thing")
  func reduction() throws {
    var text = "arch s390-pv\nmemory 0x0..0xf state=secure\n"
    for a in 0..<4 {
      for k in 0..<3 { text += "a\(a): get \(a * 4 + k)\na\(a): put \(a * 4 + k)\n" }
    }
    let s = try scenario(text: text)
    let with = try explore(s, "page", reduction: true)
    let without = try explore(s, "page", reduction: false)
    #expect(with.finding == nil && without.finding == nil)
    #expect(with.states == without.states)
    #expect(with.transitions < without.transitions)
    #expect(with.sleptTransitions > 0)
    // A race still found with the reduction on.
    let race = try scenario(text: text + "qemu: make-accessible 0x1\nqemu: get 0x1\nqemu: dma 0x1 read\nqemu: put 0x1\nvcpu0: touch 0x1\n")
    #expect(try explore(race, "page", reduction: true).finding?.kind == .ioOnSecure)
  }

  @Test("--max-states stops an incomplete search without a finding")
  func maxStates() throws {
    let r = try explore(try scenario("Fixtures/explore/S04b-right-order.trace"), "page", maxStates: 3)
    #expect(r.incomplete)
    #expect(r.finding == nil)
  }

  @Test("explore of an SEV-SNP scenario: a conversion racing a device's DMA")
  func snpRace() throws {
    let text = """
      arch sev-snp
      memory 0x0 backing=gmem
      qemu: pin 0x0 write
      qemu: dma 0x0 write
      qemu: unpin 0x0
      vcpu0: psc 0x0 private
      """
    let s = try scenario(text: text)
    // The in-place conversion series (gmem=in-place): one physical page, so
    // a conversion reaches the page the device writes.
    let inPlace = { var p = Policy(preset: "page")!; try! p.set("gmem", "in-place"); return p }()
    let off = try Explorer<SEVSNP>(scenario: s, policy: { var p = inPlace; try! p.set("refcount-check", "off"); return p }(), maxStates: 1000).run()
    #expect(off.finding?.kind == .ioOnSecure)
    // With the safe-refcount check the pinned page cannot convert: the only
    // race left is the conversion before the pin, so the counterexample starts with it.
    let on = try Explorer<SEVSNP>(scenario: s, policy: inPlace, maxStates: 1000).run()
    #expect(on.finding?.kind == .ioOnSecure)
    #expect(on.path?.first == 1)  // vcpu0 (actor 1) converts first
    #expect(off.path != nil)
    // Mainline (gmem=separate, the default): the device writes the VMM's
    // shared page, the conversion flips only the attribute: no order reaches
    // private memory.
    let mainline = try Explorer<SEVSNP>(scenario: s, policy: Policy(preset: "page")!, maxStates: 1000).run()
    #expect(mainline.finding?.kind != .ioOnSecure)
  }
}

struct CompactExplorerTests {
  @Test("the compact search prints what the copying search prints on every explore fixture and preset", arguments: Policy.presetNames)
  func fixtures(_ preset: String) throws {
    for name in ["S01-touch-before-pin", "S04-wrong-order-race", "S04b-right-order", "bench-five-actors"] {
      let s = try scenario("Fixtures/explore/\(name).trace")
      var copying = Explorer<S390PV>(scenario: s, policy: Policy(preset: preset)!, maxStates: 1_000_000)
      copying.copying = true
      let a = try copying.run()
      var compact = Explorer<S390PV>(scenario: s, policy: Policy(preset: preset)!, maxStates: 1_000_000)
      compact.threads = 2
      let b = try compact.run()
      #expect(a.copying && !b.copying)
      #expect(a.states == b.states && a.transitions == b.transitions && a.sleptTransitions == b.sleptTransitions, "\(name)")
      #expect(a.reexplored == b.reexplored && a.depth == b.depth, "\(name)")
      #expect(a.finding?.kind == b.finding?.kind && a.path == b.path && a.counterexample == b.counterexample, "\(name)")
    }
  }

  @Test("a search stopped by --max-states says how far it got: the levels searched and the states left")
  func incompleteSummary() throws {
    var e = Explorer<S390PV>(scenario: try scenario("Fixtures/explore/bench-five-actors.trace"), policy: Policy(preset: "page")!, maxStates: 500)
    e.threads = 2
    let r = try e.run()
    #expect(r.incomplete && r.stopReason == .maxStates)
    #expect(r.states == 500)
    #expect(r.levelsCompleted > 0 && r.levelsCompleted < r.depth + 1)
    #expect(r.queued > 0)
    #expect(r.peakBytes > 0)
  }

  @Test("a memory limit below what the search needs stops it, incomplete, and says so")
  func memoryLimit() throws {
    var e = Explorer<S390PV>(scenario: try scenario("Fixtures/explore/bench-five-actors.trace"), policy: Policy(preset: "page")!, maxStates: 1_000_000)
    e.memoryLimit = 200_000
    let r = try e.run()
    #expect(r.incomplete && r.stopReason == .memory)
    #expect(r.finding == nil)
    var unlimited = e
    unlimited.memoryLimit = nil
    #expect(try !unlimited.run().incomplete)
  }
}
