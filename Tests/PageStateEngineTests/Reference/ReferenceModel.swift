// A second, deliberately simple implementation of the spec (issue 13,
// part 4): plain dictionaries and arrays, no fast paths, and no code shared
// with PageStateModel or PageStateEngine. `DifferentialTests` replays random
// traces through it and through the product and compares every finding
// (kind, line) and every statistic. It covers the subset of the trace
// language that `DifferentialTrace` writes (docs/differential.md): where the
// two disagree, one of them is wrong, and the decision is written down there.

/// What the reference model found on one trace under one preset.
struct ReferenceResult: Equatable {
  var findings: [String]  // "kind@line", sorted
  var stats: [String: Double]
  /// `replay`'s exit status: 1 with a finding of severity error or hang.
  var exitStatus: Int
}

/// A holder of an extra reference (or of PG_writeback / the lock).
struct ReferenceHolder {
  var actor: String
  var kind: String  // get pin pin-longterm lru spec fault
  var line: Int
}

struct ReferencePage {
  var backing: String
  // s390-pv
  var state = "nonsecure"
  var bit = false
  // sev, sev-snp
  var isPrivate = false
  var rmp = "hv"  // hv assigned valid
  var enc = false
}

struct ReferenceFolio {
  var first: UInt64
  var order: Int
  var holders: [ReferenceHolder] = []
  var writeback: String? = nil
  var writebackLine = 0
  var lock: String? = nil
  var bit = false  // track=folio
  var pages: [UInt64] { (0..<(UInt64(1) << order)).map { first + $0 } }
}

/// What a blocked actor waits for.
struct ReferenceWait {
  var condition: String  // unlock writeback-end references
  var page: UInt64
  /// A conversion's wait (an import, the host side of an unshare, a SEV
  /// conversion): the one `wait=bounded:D` bounds.
  var conversion = false
}

struct ReferenceBlocked {
  var event: ReferenceEvent
  var resume: Int
  var wait: ReferenceWait
  var since: Double
  var deadline: Double?
}

enum ReferenceStep {
  case done
  case blocked(ReferenceWait, resume: Int)
  case kill
}

final class ReferenceModel {
  let trace: ReferenceTrace
  let arch: String
  let trackFolio: Bool
  let hookFolio: Bool
  let large: String
  let gmemInPlace: Bool
  /// `wait=bounded:D`, in nanoseconds.
  let bound: Double?
  let merge: Bool
  /// Folios split by a SEV conversion under `large=split`: head → order.
  var splitFrom: [UInt64: Int] = [:]

  var pages: [UInt64: ReferencePage] = [:]
  var headOf: [UInt64: UInt64] = [:]
  var folios: [UInt64: ReferenceFolio] = [:]
  var stats: [String: Double] = [:]
  var findings: [String] = []
  var windows: [String: [UInt64]] = [:]
  var tlb: [String: Set<UInt64>] = [:]

  var blocked: [String: ReferenceBlocked] = [:]
  var blockOrder: [String] = []
  var queued: [String: [ReferenceEvent]] = [:]
  var guestsKilled = false
  var now = 0.0
  /// Pages whose folio changed since the waiters were last retried.
  var dirty: Set<UInt64> = []
  /// The line of the event being applied (findings name it).
  var line = 0
  /// Whether this request (one application of a SEV event) drained already.
  var requestDrained = false

  init(_ trace: ReferenceTrace, preset: String) {
    self.trace = trace
    arch = trace.arch
    trackFolio = preset == "folio"
    hookFolio = preset == "folio"
    large = ["page": "allow", "folio": "allow", "split": "split", "refuse": "refuse"][preset]!
    gmemInPlace = trace.knobs["gmem"] == "in-place"
    bound = trace.knobs["wait"].flatMap { $0.hasPrefix("bounded:") ? ReferenceTrace.duration($0.dropFirst(8)) : nil }
    merge = trace.knobs["merge"] != "off"
    for m in trace.memory {
      let size = UInt64(1) << m.order
      var p = m.first
      while p < m.first + m.count {
        let head = p - p % size
        folios[head] = ReferenceFolio(first: head, order: m.order)
        for q in head..<(head + size) {
          var page = ReferencePage(backing: m.backing)
          if arch == "s390-pv" {
            page.state = m.state ?? "nonsecure"
            page.bit = page.state == "secure" || page.state == "shared"
            if page.bit { folios[head]!.bit = true }
          } else if m.state == "private" {
            page.isPrivate = true
            page.rmp = "valid"
            page.enc = true
          }
          pages[q] = page
          headOf[q] = head
        }
        p = head + size
      }
    }
  }

  // MARK: statistics and findings

  func add(_ name: String, _ n: Double = 1) { stats[name, default: 0] += n }

  static let costs: [String: Double] = [
    "import": 4, "export": 4, "destroy": 2, "pin-shared": 1, "no-op": 1, "rmpupdate": 4, "psmash": 2, "tlb-flush": 1,
  ]

  /// A UV call (s390) or an RMP/TLB operation (SEV), into `estimated-cost`.
  func call(_ kind: String, _ n: Double = 1) {
    add("estimated-cost", Self.costs[kind]! * n)
    if ["import", "export", "destroy", "pin-shared", "no-op"].contains(kind) { add("uv-calls", n) }
    if kind == "rmpupdate" { add("rmpupdates", n) }
    if kind == "psmash" { add("psmash", n) }
    if kind == "tlb-flush" { add("tlb-flushes", n) }
  }

  /// The kinds of severity error or hang (findings.md); `ciphertext-access`
  /// is an error only for a write.
  static let failing: Set<String> = [
    "io-on-secure", "arch-bit-lost", "bug-on", "host-sigsegv", "guest-killed", "collateral-share", "rmp-fault",
    "stale-tlb-access", "cbit-mismatch", "unvalidated-access", "pvalidate-failed", "hang",
  ]
  var exitStatus = 0

  func report(_ kind: String, error: Bool? = nil) {
    findings.append("\(kind)@\(line)")
    if error ?? Self.failing.contains(kind) { exitStatus = 1 }
  }

  // MARK: folios

  func folio(of p: UInt64) -> ReferenceFolio { folios[headOf[p]!]! }

  func update(_ p: UInt64, _ change: (inout ReferenceFolio) -> Void) {
    change(&folios[headOf[p]!]!)
  }

  /// What a waiter can wait on, per page: its folio's order, extra
  /// references, lock and writeback. A page whose signature differs after a
  /// step "changed" (a reference taken and dropped in one event did not).
  func signatures() -> [UInt64: String] {
    var out: [UInt64: String] = [:]
    for (p, head) in headOf {
      let f = folios[head]!
      out[p] = "\(head)/\(f.order)/\(f.holders.count)/\(f.lock ?? "-")/\(f.writeback ?? "-")"
    }
    return out
  }

  /// Applies a step and marks the pages whose folio changed.
  func step(_ body: () -> ReferenceStep) -> ReferenceStep {
    let before = signatures()
    let r = body()
    for (p, sig) in signatures() where before[p] != sig { dirty.insert(p) }
    return r
  }

  func extra(_ p: UInt64) -> Int { folio(of: p).holders.count }

  func hasMarker(_ p: UInt64) -> Bool {
    let f = folio(of: p)
    return !f.holders.isEmpty || f.writeback != nil || f.lock != nil
  }

  func holds(_ actor: String, _ p: UInt64) -> Bool {
    let f = folio(of: p)
    return f.holders.contains { $0.actor == actor } || f.writeback == actor || f.lock == actor
  }

  func take(_ actor: String, _ kind: String, _ p: UInt64) {
    update(p) { $0.holders.append(ReferenceHolder(actor: actor, kind: kind, line: line)) }
  }

  /// Drops the actor's oldest holder of one of `kinds` on the page's folio.
  func release(_ actor: String, _ kinds: Set<String>, _ p: UInt64) {
    update(p) { f in
      if let i = f.holders.firstIndex(where: { $0.actor == actor && kinds.contains($0.kind) }) {
        f.holders.remove(at: i)
      } else {
        preconditionFailure("reference trace: \(actor) releases what it does not hold at line \(line)")
      }
    }
  }

  /// `lru_add_drain_all()`: every LRU reference of every actor goes away.
  /// Whether one was dropped.
  @discardableResult
  func drainAll() -> Bool {
    var any = false
    for head in folios.keys.sorted() where folios[head]!.holders.contains(where: { $0.kind == "lru" }) {
      any = true
      update(head) { $0.holders.removeAll { $0.kind == "lru" } }
    }
    return any
  }

  func split(_ p: UInt64) {
    let f = folio(of: p)
    precondition(f.holders.isEmpty && f.writeback == nil && f.lock == nil)
    add("splits")
    for q in f.pages {
      folios[q] = ReferenceFolio(first: q, order: 0, bit: f.bit)
      headOf[q] = q
    }
  }

  /// `io-on-secure` for each DMA window still open on a page that just became
  /// protected: one per window (each is its own device I/O in flight).
  func reportOpenWindows(on p: UInt64) {
    for w in windows.values where w.contains(p) { report("io-on-secure") }
  }

  // MARK: the engine

  func kind(of actor: String) -> String { trace.actorKinds[actor] ?? "host" }

  func run() -> ReferenceResult {
    var last = 0.0
    for e in trace.events {
      expire(before: e.time)
      now = max(now, e.time)
      last = e.time
      line = e.line
      add("events")
      if guestsKilled && kind(of: e.actor) == "guest" { continue }
      if blocked[e.actor] != nil {
        if isCompletion(e) {
          _ = step { apply(e, from: 0) }
        } else {
          queued[e.actor, default: []].append(e)
        }
      } else {
        start(e, actor: e.actor)
      }
      settle()
    }
    expire(before: .infinity)
    // A wait still open at the end counts up to the last event's time, even
    // when a bounded waiter gave up later than that.
    now = last
    finish()
    for key in ["events", "estimated-cost"] where stats[key] == nil { stats[key] = 0 }
    return ReferenceResult(findings: findings.sorted(), stats: stats, exitStatus: exitStatus)
  }

  /// A `writeback-end` of a blocked actor is the I/O's completion: it runs at
  /// its place when every folio it names is under a writeback the actor
  /// started and no `writeback-start` of the actor on them is queued first.
  func isCompletion(_ e: ReferenceEvent) -> Bool {
    guard e.verb == "writeback-end" else { return false }
    for p in e.pages where folio(of: p).writeback != e.actor { return false }
    let heads = Set(e.pages.map { headOf[$0]! })
    for q in queued[e.actor] ?? [] where q.verb == "writeback-start" {
      if q.pages.contains(where: { heads.contains(headOf[$0]!) }) { return false }
    }
    return true
  }

  /// Runs an event of an actor that is not blocked, then its queued events
  /// while it stays unblocked.
  func start(_ e: ReferenceEvent, actor: String) {
    let saved = line
    line = e.line
    switch step({ apply(e, from: 0) }) {
    case .done: break
    case .kill: killGuests()
    case .blocked(let w, let resume):
      add("waits")
      let deadline = w.conversion ? bound.map { now + $0 } : nil
      blocked[actor] = ReferenceBlocked(event: e, resume: resume, wait: w, since: now, deadline: deadline)
      blockOrder.append(actor)
    }
    line = saved
  }

  func runQueued(_ actor: String) {
    while blocked[actor] == nil, var q = queued[actor], !q.isEmpty {
      let e = q.removeFirst()
      queued[actor] = q
      if guestsKilled && kind(of: actor) == "guest" { continue }
      start(e, actor: actor)
    }
  }

  func killGuests() {
    report("guest-killed")
    guestsKilled = true
    for a in blockOrder where kind(of: a) == "guest" {
      endWait(a)
      queued[a] = nil
    }
  }

  /// Bounded waiters whose deadline is before `time` give up, earliest first
  /// (then in the order they blocked): `conversion-failed` at their event,
  /// then their queued events run, at the deadline.
  func expire(before time: Double) {
    while true {
      var pick: String? = nil
      for a in blockOrder {
        guard let d = blocked[a]!.deadline, d < time else { continue }
        if pick == nil || d < blocked[pick!]!.deadline! { pick = a }
      }
      guard let a = pick else { return }
      let b = blocked[a]!
      now = max(now, b.deadline!)
      line = b.event.line
      report("conversion-failed")
      endWait(a)
      runQueued(a)
      settle()
    }
  }

  func endWait(_ actor: String) {
    guard let b = blocked[actor] else { return }
    let waited = max(0, now - b.since)
    add("wait-time", waited)
    if waited > stats["max-wait", default: 0] { stats["max-wait"] = waited }
    blocked[actor] = nil
    blockOrder.removeAll { $0 == actor }
  }

  /// Retries the waiters on folios that changed, in the order they blocked,
  /// until nothing changes.
  func settle() {
    while !dirty.isEmpty {
      let changed = dirty
      dirty = []
      for actor in blockOrder {
        guard let b = blocked[actor], changed.contains(b.wait.page) else { continue }
        line = b.event.line
        switch step({ apply(b.event, from: b.resume) }) {
        case .blocked(let w, let resume):
          blocked[actor]!.wait = w
          blocked[actor]!.resume = resume
        case .kill:
          killGuests()
        case .done:
          endWait(actor)
          // A successful retry is itself a change of its folio.
          for q in folio(of: b.wait.page).pages { dirty.insert(q) }
          runQueued(actor)
        }
      }
    }
  }

  /// The end of the trace: every blocked actor is a `hang` or a `stall`.
  func finish() {
    var holdersOf: [String: [String]] = [:]
    var longterm: Set<String> = []
    for a in blockOrder {
      let b = blocked[a]!
      let f = folio(of: b.wait.page)
      switch b.wait.condition {
      case "unlock": holdersOf[a] = f.lock.map { [$0] } ?? []
      case "references":
        holdersOf[a] = f.holders.map(\.actor)
        if f.holders.contains(where: { $0.kind == "pin-longterm" }) { longterm.insert(a) }
      default: holdersOf[a] = []  // writeback: the completion never waits
      }
    }
    var hung = longterm
    // Cycles: an actor that reaches itself through holders that are blocked.
    for a in blockOrder {
      var seen: Set<String> = []
      var stack = holdersOf[a] ?? []
      while let h = stack.popLast() {
        if h == a { hung.insert(a); break }
        if seen.insert(h).inserted, blocked[h] != nil { stack += holdersOf[h] ?? [] }
      }
    }
    var grew = true
    while grew {
      grew = false
      for a in blockOrder where !hung.contains(a) && (holdersOf[a] ?? []).contains(where: hung.contains) {
        hung.insert(a)
        grew = true
      }
    }
    for a in blockOrder {
      line = blocked[a]!.event.line
      report(hung.contains(a) ? "hang" : "stall")
    }
    for a in blockOrder { endWait(a) }
  }

  // MARK: events

  func apply(_ e: ReferenceEvent, from start: Int) -> ReferenceStep {
    switch e.verb {
    case "get":
      for p in e.pages { take(e.actor, "get", p) }
    case "put":
      for p in e.pages { release(e.actor, ["get"], p) }
    case "unpin":
      for p in e.pages { release(e.actor, ["pin", "pin-longterm"], p) }
    case "lru-add":
      for p in e.pages { take(e.actor, "lru", p) }
    case "lru-drain":
      drainAll()
    case "spec-get":
      for p in e.pages { take(e.actor, "spec", p) }
    case "spec-put":
      for p in e.pages { release(e.actor, ["spec"], p) }
    case "writeback-start":
      for i in start..<e.pages.count {
        let p = e.pages[i]
        let f = folio(of: p)
        if f.writeback == e.actor, e.pages[..<i].contains(where: { headOf[$0] == f.first }) { continue }
        if f.writeback != nil { return .blocked(ReferenceWait(condition: "writeback-end", page: p), resume: i) }
        update(p) {
          $0.writeback = e.actor
          $0.writebackLine = self.line
        }
        if arch == "s390-pv" { hook(p, folioScope: true, asked: Set(e.pages)) }
      }
    case "lock":
      let p = e.pages[0]
      if folio(of: p).lock != nil { return .blocked(ReferenceWait(condition: "unlock", page: p), resume: 0) }
      update(p) { $0.lock = e.actor }
    case "unlock":
      update(e.pages[0]) { $0.lock = nil }
    case "split":
      let p = e.pages[0]
      if folio(of: p).order > 0 {
        if let w = conversionBlock(p, conversion: false) { return .blocked(w, resume: 0) }
        split(p)
      }
    case "writeback-end":
      for p in e.pages { update(p) { $0.writeback = nil } }
    case "dma", "dma-start":
      dma(e)
    case "dma-end":
      windows[e.options["id"]!] = nil
    case "flush":
      tlb = [:]
      call("tlb-flush")
    default:
      return arch == "s390-pv" ? applyS390(e, from: start) : applySEV(e, from: start)
    }
    return .done
  }

  func dma(_ e: ReferenceEvent) {
    var warned: Set<UInt64> = []
    for p in e.pages {
      if isSecure(p) {
        report("io-on-secure")
      } else if !hasMarker(p), warned.insert(headOf[p]!).inserted {
        report("unprotected-io")
      }
    }
    if e.verb == "dma-start" { windows[e.options["id"]!] = e.pages }
  }

  /// Whether a device access to the page reaches guest-private memory.
  func isSecure(_ p: UInt64) -> Bool {
    if arch == "s390-pv" { return pages[p]!.state == "secure" }
    if arch == "sev-snp" && pages[p]!.backing == "gmem" && !gmemInPlace { return false }
    return pages[p]!.isPrivate
  }
}
