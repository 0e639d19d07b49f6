import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

// Properties of the replay on random traces (docs/fuzzing.md): determinism,
// `compare` equal to separate `replay`s, the pipelined session equal to the
// sequential one, and the model's invariants after every event under every
// preset. The traces come from `RandomTrace`, a small builder of valid s390-pv,
// sev and sev-snp events over a few folios and actors. Each test draws fresh
// seeds and names the seed of any failure; `PAGESTATE_PROPERTY_SEED=N` replays
// one, `PAGESTATE_PROPERTY_RUNS=N` draws N seeds per test instead of the default.

/// A small deterministic generator (SplitMix64), so a seed names a trace.
struct PropertyRNG: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
  mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

/// Random valid traces: every release matches an earlier acquisition of the
/// same actor, DMA ids are unique while in flight, `gmem` is never written
/// back, and there is no `inject` (so a secure page always has its arch bit).
struct RandomTrace {
  let arch: ArchitectureName
  var rng: PropertyRNG
  var lines: [String] = []
  var pages: [UInt64] = []
  var gmemPages: [UInt64] = []

  // What each actor holds, in acquisition order.
  var gets: [String: [UInt64]] = [:]
  var pins: [String: [UInt64]] = [:]
  var specs: [String: [UInt64]] = [:]
  var locks: [String: UInt64] = [:]
  var writebacks: [String: [UInt64]] = [:]
  var dmaIDs: [String: [String]] = [:]
  var nextID = 0
  /// The time of the last event, in microseconds.
  var time: UInt64 = 0

  static let hosts = ["qemu", "kvm"]
  static let devices = ["disk", "nic"]

  static func make(seed: UInt64, events: Int = 40) -> (arch: ArchitectureName, text: String) {
    var rng = PropertyRNG(seed: seed)
    let arch: ArchitectureName = rng.pick([.s390PV, .s390PV, .sevSNP, .sevSNP, .sev])
    var t = RandomTrace(arch: arch, rng: rng)
    t.header()
    for _ in 0..<events { t.event() }
    // Sometimes release what is held, so retries complete.
    if t.rng.chance(50) { t.releaseAll() }
    return (arch, t.lines.joined(separator: "\n") + "\n")
  }

  mutating func header() {
    lines.append("pagestate 1")
    lines.append("arch \(arch.rawValue)")
    // Two or three blocks: a large folio, small folios, and (SEV) guest_memfd.
    let order = rng.pick([1, 2, 3])
    let n = 1 << order
    var state = ""
    if arch == .s390PV && rng.chance(40) { state = " state=" + rng.pick(["secure", "shared", "exported"]) }
    if arch != .s390PV && rng.chance(30) { state = " state=private" }
    lines.append("memory 0x0+\(n * 2) order=\(order) backing=\(rng.pick(["anon", "file", "shmem"]))\(state)")
    pages += (0..<UInt64(n * 2)).map { $0 }
    lines.append("memory 0x40+3 backing=\(rng.pick(["anon", "file"]))")
    pages += [0x40, 0x41, 0x42]
    // sev-snp: mainline guest_memfd (gmem=separate) has order-0 folios only;
    // the in-place series (gmem=in-place) has huge ones.
    let inPlace = arch == .sevSNP && rng.chance(50)
    if arch != .s390PV && rng.chance(70) {
      lines.append("memory 0x80+4 order=\(arch == .sevSNP && !inPlace ? 0 : 2) backing=gmem")
      gmemPages = [0x80, 0x81, 0x82, 0x83]
      pages += gmemPages
    }
    var knobs: [String] = inPlace ? ["gmem=in-place"] : []
    if rng.chance(30) {
      knobs.append(arch == .s390PV
        ? rng.pick(["wait=bounded:150ms", "drain=off", "folio-hook=two-pass", "hook=folio", "kernel=6.10", "kernel=6.11", "kernel=6.15", "kernel=next"])
        : rng.pick(["flush=deferred", "refcount-check=off", "merge=off", "chg-mask=drop-enc", "wait=bounded:150ms"]))
    }
    if !knobs.isEmpty { lines.append("policy " + knobs.joined(separator: " ")) }
    lines.append("actor cpu0 cpu")
  }

  mutating func page() -> UInt64 { rng.pick(pages) }
  mutating func hex(_ p: UInt64) -> String { "0x" + String(p, radix: 16) }

  mutating func event() {
    // Implicit times advance 1us per event; an explicit one jumps ahead
    // (sometimes past a bounded wait's 150ms).
    if rng.chance(15) {
      time += rng.chance(20) ? 200_000 : UInt64(rng.below(50))
      lines.append("@\(time)us qemu: note tick")
    }
    time += 1
    switch rng.below(3) {
    case 0: guest()
    case 1: host()
    default: device()
    }
  }

  mutating func guest() {
    let actor = rng.pick(["vcpu0", "vcpu1"])
    let p = hex(page())
    if arch == .s390PV {
      switch rng.below(4) {
      case 0, 1: lines.append("\(actor): touch \(p)\(rng.chance(50) ? " write" : "")")
      case 2: lines.append("\(actor): share \(p)")
      default: lines.append("\(actor): unshare \(p)")
      }
      return
    }
    switch rng.below(arch == .sevSNP ? 6 : 5) {
    case 0: lines.append("\(actor): psc \(p) \(rng.pick(["private", "shared"]))")
    case 1: lines.append("\(actor): touch \(p)\(rng.chance(50) ? " write" : "")\(rng.chance(30) ? " c=" + rng.pick(["enc", "dec"]) : "")")
    case 2: lines.append("\(actor): gpte \(p) \(rng.pick(["enc", "dec"]))")
    case 3: lines.append("\(actor): mprotect \(p)")
    case 4: lines.append("\(actor): split-pmd \(p)")
    default: lines.append("\(actor): pvalidate \(p) \(rng.pick(["on", "off"]))")
    }
  }

  mutating func host() {
    let actor = rng.pick(Self.hosts)
    let p = page()
    let choice = rng.below(16)
    switch choice {
    case 0:
      lines.append("\(actor): get \(hex(p))\(rng.chance(30) ? " via=splice" : "")")
      gets[actor, default: []].append(p)
    case 1:
      if let q = gets[actor]?.popLast() { lines.append("\(actor): put \(hex(q))") } else { lines.append("\(actor): access \(hex(p)) read") }
    case 2:
      lines.append("\(actor): pin \(hex(p))\(rng.chance(20) ? " longterm" : "")\(rng.chance(50) ? " write" : "")")
      pins[actor, default: []].append(p)
    case 3:
      if !(pins[actor]?.isEmpty ?? true) { lines.append("\(actor): unpin \(hex(pins[actor]!.removeFirst()))") }
    case 4:
      lines.append("\(actor): spec-get \(hex(p))")
      specs[actor, default: []].append(p)
    case 5:
      if let q = specs[actor]?.popLast() { lines.append("\(actor): spec-put \(hex(q))") }
    case 6:
      lines.append("\(actor): lru-add \(hex(p))")
    case 7:
      lines.append("\(actor): lru-drain")
    case 8:
      if let q = locks[actor] {
        lines.append("\(actor): unlock \(hex(q))")
        locks[actor] = nil
      } else if rng.chance(60) {
        lines.append("\(actor): lock \(hex(p))")
        locks[actor] = p
      }
    case 9:
      if let q = writebacks[actor]?.popLast() {
        lines.append("\(actor): writeback-end \(hex(q))")
      } else if !gmemPages.contains(p) {
        lines.append("\(actor): writeback-start \(hex(p))")
        writebacks[actor, default: []].append(p)
      }
    case 10:
      lines.append("\(actor): access \(hex(p)) \(rng.pick(["read", "write"]))\(rng.chance(30) ? " kernel" : "")")
    case 11:
      if rng.chance(40) { lines.append("\(actor): split \(hex(p))") }
    case 12:
      lines.append("\(rng.pick(["cpu0", actor])): flush")
    default:
      if arch == .s390PV {
        switch rng.below(3) {
        case 0: lines.append("\(actor): make-accessible \(hex(p))\(rng.chance(30) ? " scope=" + rng.pick(["page", "folio"]) : "")")
        case 1: if rng.chance(20) { lines.append("\(actor): unmap \(hex(p))") }
        default:
          if rng.chance(10) { lines.append("\(actor): destroy \(hex(p))") }
        }
      } else {
        lines.append("\(actor): convert \(hex(p)) \(rng.pick(["private", "shared"]))")
      }
    }
  }

  mutating func device() {
    let actor = rng.pick(Self.devices)
    let p = hex(page())
    switch rng.below(3) {
    case 0:
      lines.append("\(actor): dma \(p) \(rng.pick(["read", "write"]))")
    case 1:
      nextID += 1
      lines.append("\(actor): dma-start \(p) \(rng.pick(["read", "write"])) id=r\(nextID)")
      dmaIDs[actor, default: []].append("r\(nextID)")
    default:
      if !(dmaIDs[actor]?.isEmpty ?? true) { lines.append("\(actor): dma-end id=\(dmaIDs[actor]!.removeFirst())") }
    }
  }

  mutating func releaseAll() {
    for (a, ps) in gets.sorted(by: { $0.key < $1.key }) { for p in ps { lines.append("\(a): put \(hex(p))") } }
    for (a, ps) in pins.sorted(by: { $0.key < $1.key }) { for p in ps { lines.append("\(a): unpin \(hex(p))") } }
    for (a, ps) in specs.sorted(by: { $0.key < $1.key }) { for p in ps { lines.append("\(a): spec-put \(hex(p))") } }
    for (a, p) in locks.sorted(by: { $0.key < $1.key }) { lines.append("\(a): unlock \(hex(p))") }
    for (a, ps) in writebacks.sorted(by: { $0.key < $1.key }) { for p in ps { lines.append("\(a): writeback-end \(hex(p))") } }
    for (a, ids) in dmaIDs.sorted(by: { $0.key < $1.key }) { for id in ids { lines.append("\(a): dma-end id=\(id)") } }
    lines.append("qemu: lru-drain")
  }
}

/// Random seeds for one test run (or the one of PAGESTATE_PROPERTY_SEED).
func propertySeeds(_ n: Int) -> [UInt64] {
  if let s = propertyEnvironmentSeed() { return [s] }
  let runs = getenv("PAGESTATE_PROPERTY_RUNS").flatMap { Int(String(cString: $0)) } ?? n
  var g = SystemRandomNumberGenerator()
  return (0..<runs).map { _ in g.next() }
}

func propertyEnvironmentSeed() -> UInt64? {
  guard let raw = getenv("PAGESTATE_PROPERTY_SEED") else { return nil }
  return UInt64(String(cString: raw))
}

/// The outcome of one run, comparable: results or the error.
struct RunOutcome: Equatable {
  var policies: [String] = []
  var findings: [FindingLog] = []
  var stats: [Statistics] = []
  var errors: [TraceError?] = []
  var error: TraceError?

  init(_ body: () throws(TraceError) -> [ReplayResult]) {
    do {
      let results = try body()
      policies = results.map(\.policy.name)
      findings = results.map(\.findings)
      stats = results.map(\.stats)
      errors = results.map(\.error)
    } catch {
      self.error = error
    }
  }
}

/// Replays `text` under `preset`, statement by statement, checking the model
/// invariants after each statement. Returns the violations (with their line).
func replayCheckingInvariants<A: Architecture>(_: A.Type, _ text: String, preset: String) throws -> (ReplayResult?, [String]) {
  var reader = TraceReader(fileName: "random.trace", source: ByteSource(string: text))
  let statements = try reader.readAll()
  // The trace's `policy` knobs, as a session applies them.
  var policy = Policy(preset: preset)!
  for case .policy(let d) in statements {
    for k in d.knobs { try policy.set(k.key, k.value) }
  }
  var replay = Replay<A>(policy: policy, fileName: "random.trace")
  var violations: [String] = []
  do {
    for s in statements {
      if case .expectation = s { continue }
      try replay.feed(s)
      if let e = s.event {
        for v in replay.invariantViolations() { violations.append("after line \(e.line): \(v)") }
      }
    }
    let r = try replay.finish()
    for v in replay.invariantViolations() { violations.append("at the end: \(v)") }
    return (r, violations)
  } catch {
    return (nil, violations)
  }
}

func replayCheckingInvariants(_ arch: ArchitectureName, _ text: String, preset: String) throws -> (ReplayResult?, [String]) {
  switch arch {
  case .s390PV: return try replayCheckingInvariants(S390PV.self, text, preset: preset)
  case .sev: return try replayCheckingInvariants(SEV.self, text, preset: preset)
  case .sevSNP: return try replayCheckingInvariants(SEVSNP.self, text, preset: preset)
  }
}

#if canImport(Glibc)
  import Glibc
#endif

struct PropertyTests {
  @Test("the random builder writes valid traces that mostly replay to the end")
  func builderIsValid() throws {
    var completed = 0
    let seeds = (1...60).map { UInt64($0) }
    for seed in seeds {
      let (_, text) = RandomTrace.make(seed: seed)
      var reader = TraceReader(fileName: "random.trace", source: ByteSource(string: text))
      #expect(throws: Never.self, "seed \(seed)") { _ = try reader.readAll() }
      let o = RunOutcome { () throws(TraceError) in
        try Session.run(fileName: "random.trace", source: ByteSource(string: text), mode: .compare(Policy.presetNames)).1
      }
      if let error = o.error {
        Issue.record("seed \(seed): a model error in a trace meant to be valid: \(error)\n\(text)")
      } else {
        completed += 1
      }
    }
    #expect(completed == seeds.count)
  }

  @Test("replay is deterministic: the same trace gives the same results twice")
  func deterministic() {
    for seed in propertySeeds(40) {
      let (_, text) = RandomTrace.make(seed: seed)
      for preset in Policy.presetNames {
        let run = { () throws(TraceError) in
          try Session.run(fileName: "random.trace", source: ByteSource(string: text), mode: .replay(preset: preset)).1
        }
        #expect(RunOutcome(run) == RunOutcome(run), "seed \(seed), \(preset)")
      }
    }
  }

  @Test("compare equals one replay per preset")
  func compareEqualsReplays() {
    for seed in propertySeeds(40) {
      let (_, text) = RandomTrace.make(seed: seed)
      let together = RunOutcome { () throws(TraceError) in
        try Session.run(fileName: "random.trace", source: ByteSource(string: text), mode: .compare(Policy.presetNames)).1
      }
      guard together.error == nil else {
        Issue.record("seed \(seed): \(together.error!)")
        continue
      }
      for (i, preset) in Policy.presetNames.enumerated() {
        let alone = RunOutcome { () throws(TraceError) in
          try Session.run(fileName: "random.trace", source: ByteSource(string: text), mode: .replay(preset: preset)).1
        }
        #expect(alone.error == nil, "seed \(seed), \(preset)")
        #expect(alone.findings == [together.findings[i]], "seed \(seed), \(preset)")
        #expect(alone.stats == [together.stats[i]], "seed \(seed), \(preset)")
      }
    }
  }

  @Test("the pipelined session equals the sequential one, for replay, compare and check, on one thread or several")
  func pipelinedEqualsSequential() {
    for seed in propertySeeds(25) {
      let (_, text) = RandomTrace.make(seed: seed, events: 60)
      for mode in [Session.Mode.replay(preset: nil), .compare(Policy.presetNames), .check] {
        let a = RunOutcome { () throws(TraceError) in try Session.run(fileName: "random.trace", source: ByteSource(string: text), mode: mode).1 }
        for threads in [nil, 1] {
          let b = RunOutcome { () throws(TraceError) in
            try Session.runPipelined(fileName: "random.trace", source: ByteSource(string: text), mode: mode, threads: threads).1
          }
          #expect(a == b, "seed \(seed), \(mode), threads \(String(describing: threads))")
        }
      }
    }
  }

  @Test("invariants after every event, under every preset: references match holders, secure pages keep their arch bit")
  func invariants() throws {
    for seed in propertySeeds(40) {
      let (arch, text) = RandomTrace.make(seed: seed, events: 50)
      for preset in Policy.presetNames {
        let (result, violations) = try replayCheckingInvariants(arch, text, preset: preset)
        #expect(violations.isEmpty, "seed \(seed), \(preset): \(violations.prefix(3))\n\(text)")
        if let r = result {
          // No `inject` in these traces: no page becomes secure with its bit clear.
          #expect(r.findings.count(.archBitLost) == 0, "seed \(seed), \(preset)\n\(text)")
        }
      }
    }
  }

  @Test(
    "destroy of one page under track=folio keeps the folio's arch bit while a neighbour is shared",
    arguments: [
      "arch s390-pv\nmemory 0x0+4 order=1 backing=file state=shared\nqemu: destroy 0x2\nvcpu0: unshare 0x3\n",
      "arch s390-pv\nmemory 0x0+16 order=3 backing=shmem\nvcpu0: share 0x2\nqemu: destroy 0x4\nvcpu0: unshare 0x2\n",
    ])
  func destroyKeepsSharedNeighboursBit(_ text: String) throws {
    // Found by `invariants`: `clearArchBit` (S390Step) cleared PG_arch_1 of the
    // folio when no page of it was left *secure*, but a shared page is guest
    // owned too; its `unshare` then made it secure with the bit clear.
    let (result, violations) = try replayCheckingInvariants(S390PV.self, text, preset: "folio")
    #expect(violations.isEmpty, "\(violations)")
    #expect(result?.findings.count(.archBitLost) == 0)
  }

  @Test("the invariants check catches a broken model state")
  func invariantsCatchCorruption() throws {
    var replay = Replay<S390PV>(policy: Policy(preset: "page")!, fileName: "t")
    var reader = TraceReader(fileName: "t", source: ByteSource(string: "arch s390-pv\nmemory 0x0+4 order=2\nqemu: get 0x1\n"))
    for s in try reader.readAll() {
      try replay.feed(s)
    }
    #expect(replay.invariantViolations().isEmpty)
    var memory = replay.model.memory
    memory.entries[0].extra += 1
    #expect(memory.referenceViolations() == ["page 0x0: extra 2 but holders hold 1"])
    var model = replay.model
    model.memory.entries[2].bits = 1  // secure, no arch bit
    #expect(S390PV.archBitViolations(in: model) == ["page 0x2 is secure with its arch bit clear"])
  }
}
