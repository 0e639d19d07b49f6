import PageStateEngine
import PageStateModel
import PageStateTrace

#if canImport(Glibc)
  import Glibc
#endif

/// Breadth-first search over the interleavings of a scenario's threads
/// under the engine's own rules: an actor runs its events in program order,
/// a blocked actor cannot move, a wait is re-evaluated when its folio
/// changes. It stops at the first finding of severity error or hang; a hang
/// is a state where no actor can move and some actor is blocked on something
/// that cannot be released (the replay's own end-of-trace analysis).
///
/// Visited states are kept as 64-bit fingerprints (hash compaction, as
/// spin's `-DHC`): a collision could hide a state, never invent a finding.
public struct Explorer<A: Architecture>: Sendable {
  public let scenario: Scenario
  public let policy: Policy
  public var maxStates: Int
  /// Sleep-set partial-order reduction: skip a move that commutes with one
  /// already explored from the parent.
  public var reduction: Bool
  /// Threads that expand states (the compact search; 1: the calling thread only).
  public var threads = 1
  /// Stop, incomplete, after this many seconds.
  public var maxSeconds: Double?
  /// Stop, incomplete, before the visited set and the queue would hold more
  /// bytes than this (the compact search; the copying one is cut by the
  /// caller, from `Scenario.bytesPerState`).
  public var memoryLimit: UInt64?
  /// Copy whole replays per transition, as before issue 14 (to measure
  /// against, and for states the compact words cannot hold).
  public var copying = false
  /// Go on past findings and note, for each kind of finding of severity
  /// error or hang, the fewest events that reach one (`findingDepths`),
  /// instead of stopping at the first (the compact search only; for tests
  /// of the reductions).
  public var collectsFindings = false
  /// Called on the searching thread about five times a second.
  public var progress: (@Sendable (ExplorationProgress) -> Void)?

  public init(scenario: Scenario, policy: Policy, maxStates: Int, reduction: Bool = true) {
    self.scenario = scenario
    self.policy = policy
    self.maxStates = maxStates
    self.reduction = reduction
  }

  struct Node {
    var replay: Replay<A>
    var pcs: [Int32]
    var depth: Int32
    /// Index in `trail` of how this node was reached.
    var trail: Int32
    /// Actors whose next move is known to commute with the move that led here
    /// and was explored from the parent already (sleep set).
    var sleep: UInt64
  }

  /// Runs the search: the compact one, unless `copying` is set or a state
  /// the compact words cannot hold comes up (then the copying one, from the start).
  ///
  /// Specialized for each architecture: unspecialized, every access to the
  /// generic replay looks up its metadata.
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public func run() throws(TraceError) -> ExplorationResult {
    let started = Explorer.now()
    var initial = Replay<A>(policy: policy, fileName: scenario.fileName)
    for s in scenario.setup { try initial.feed(s) }
    var result: ExplorationResult
    if !copying, let compact = try runCompact(initial: initial, started: started) {
      result = compact
    } else {
      result = try runCopying(initial: initial, started: started)
    }
    result.seconds = Explorer.now() - started
    if let path = result.path {
      result.counterexample = counterexample(path, finding: result.finding!)
    }
    return result
  }

  /// The search of issues 6 and 16: each state in the queue is a whole
  /// replay, copied per transition and hashed with `Hasher`.
  func runCopying(initial: Replay<A>, started: Double) throws(TraceError) -> ExplorationResult {
    let actors = scenario.threads.count
    var result = ExplorationResult(policy: policy.name)
    // trail[i] = (parent trail index, actor moved)
    var trail: [(parent: Int32, actor: Int32)] = [(-1, -1)]
    // Fingerprint -> the sleep set the state was explored with: a state
    // reached again with fewer sleeping moves is explored again with the
    // intersection, which keeps sleep sets sound under state hashing.
    var visited: [Int: UInt64] = [:]
    var frontier = [Node(replay: initial, pcs: Array(repeating: 0, count: actors), depth: 0, trail: 0, sleep: 0)]
    visited[fingerprint(frontier[0])] = 0
    result.states = 1

    search: while !frontier.isEmpty {
      var next: [Node] = []
      for node in frontier {
        var explored: [Int] = []
        var moved = false
        for a in 0..<actors {
          // A blocked actor cannot move, except for an I/O completion
          // (`writeback-end` of a writeback in flight), which is not its step.
          guard Int(node.pcs[a]) < scenario.threads[a].count,
            node.replay.canMove(a, next: scenario.threads[a][Int(node.pcs[a])])
          else { continue }
          moved = true
          if reduction && a < 64 && node.sleep & (1 << UInt64(a)) != 0 {
            result.sleptTransitions += 1
            continue
          }
          let event = scenario.threads[a][Int(node.pcs[a])]
          var child = node
          child.pcs[a] += 1
          child.depth += 1
          let before = child.replay.findingsSoFar.count
          try child.replay.step(event, time: UInt64(child.depth) * 1_000)
          result.transitions += 1
          trail.append((node.trail, Int32(a)))
          child.trail = Int32(trail.count - 1)
          let found = child.replay.findingsSoFar.dropFirst(before).first { $0.severity >= .error }
          if let found {
            result.finding = found
            result.path = path(trail, from: child.trail)
            result.depth = Int(child.depth)
            break search
          }
          // Sleep set: moves explored before this one from the same parent
          // that commute with it stay asleep in the child.
          var sleep: UInt64 = 0
          if reduction {
            for b in explored where commute(node, a, b) { sleep |= 1 << UInt64(b) }
            for b in 0..<min(actors, 64) where node.sleep & (1 << UInt64(b)) != 0 && commute(node, a, b) {
              sleep |= 1 << UInt64(b)
            }
          }
          child.sleep = sleep
          explored.append(a)
          let key = fingerprint(child)
          if let old = visited[key] {
            if old & ~sleep != 0 {
              // Reached with moves awake that slept before: explore those again.
              child.sleep = old & sleep
              visited[key] = child.sleep
              result.reexplored += 1
              next.append(child)
            }
          } else {
            visited[key] = sleep
            result.states += 1
            result.depth = max(result.depth, Int(child.depth))
            next.append(child)
            if result.states >= maxStates {
              result.incomplete = true
              result.stopReason = .maxStates
              break search
            }
          }
        }
        if !moved {
          // No actor can move: end of this interleaving. Blocked actors are
          // classified as at the end of a trace (hang or stall).
          // (No error was found on the way here, or the search had stopped.)
          var end = node.replay
          let final = try end.finish()
          if let found = final.findings.findings.first(where: { $0.severity >= .error }) {
            result.finding = found
            result.path = path(trail, from: node.trail)
            result.depth = Int(node.depth)
            break search
          }
        }
      }
      if let maxSeconds, Explorer.now() - started >= maxSeconds, !next.isEmpty {
        result.incomplete = true
        result.stopReason = .seconds
        frontier = next
        break search
      }
      frontier = next
      if !frontier.isEmpty { result.levelsCompleted = Int(frontier[0].depth) }
    }
    result.queued = frontier.count
    result.copying = true
    return result
  }

  func fingerprint(_ n: Node) -> Int {
    var h = Hasher()
    n.replay.fingerprint(into: &h)
    n.pcs.withUnsafeBytes { h.combine(bytes: $0) }
    return h.finalize()
  }

  /// Two enabled moves commute if they belong to different actors, touch
  /// disjoint folios, and neither is global (an LRU drain or a TLB flush
  /// touches every folio; a guest event may kill every guest actor).
  func commute(_ node: Node, _ a: Int, _ b: Int) -> Bool {
    guard a != b, Int(node.pcs[a]) < scenario.threads[a].count, Int(node.pcs[b]) < scenario.threads[b].count else { return false }
    let x = scenario.threads[a][Int(node.pcs[a])]
    let y = scenario.threads[b][Int(node.pcs[b])]
    if isGlobal(x) || isGlobal(y) { return false }
    if policy.large == .refuse || policy.kernelLarge == .refuse { return false }  // a refused import kills every guest actor
    if case .bounded = policy.wait { return false }  // deadlines depend on the order
    if scenario.hasLRU && (isConversion(x) || isConversion(y)) { return false }  // lru_add_drain_all()
    let fx = folioSpan(x)
    let fy = folioSpan(y)
    return fx.first >= fy.end || fy.first >= fx.end
  }

  func isGlobal(_ e: Event) -> Bool {
    switch e.verb {
    case .lruDrain, .flush, .dmaEnd, .splitPMD: return true
    default: return e.pages.count == 0
    }
  }

  /// Verbs that may convert a page, and so drain every LRU batch.
  func isConversion(_ e: Event) -> Bool {
    switch e.verb {
    case .touch, .share, .unshare, .psc, .convert, .split: return true
    default: return false
    }
  }

  /// The pages an event can affect: its pages widened to the folios they
  /// were declared in (splits only make folios smaller; a merge restores the
  /// declared size), and to 2 MiB regions for SEV (RMP entries, PMD splits).
  func folioSpan(_ e: Event) -> PageRange {
    var unit = scenario.folioPages(around: e.pages)
    if A.name != .s390PV { unit = max(unit, 512) }
    let first = e.pages.first & ~(unit - 1)
    let end = (e.pages.end + unit - 1) & ~(unit - 1)
    return PageRange(first: first, count: end - first)
  }

  func path(_ trail: [(parent: Int32, actor: Int32)], from index: Int32) -> [Int] {
    var actors: [Int] = []
    var i = index
    while i > 0 {
      actors.append(Int(trail[Int(i)].actor))
      i = trail[Int(i)].parent
    }
    return actors.reversed()
  }

  /// The interleaving as a trace: the setup lines, the events in the order
  /// explored (without their `@TIME`), and an `expect` line for the finding.
  func counterexample(_ path: [Int], finding: Finding) -> String {
    var out = "pagestate 1\n# counterexample found by pagestate explore \(scenario.fileName) --policy \(policy.name)\n"
    out += "# \(finding.kind.rawValue): \(finding.message)\n"
    var setupLines = Set<Int>()
    for s in scenario.setup {
      switch s {
      case .architecture(_, let line): setupLines.insert(line)
      case .memory(let d): setupLines.insert(d.line)
      case .actor(let a) where a.isExplicit: setupLines.insert(a.line)
      default: break
      }
    }
    for line in setupLines.sorted() { out += scenario.text(of: line) + "\n" }
    let knobs = policy.changes.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    out += "policy \(policy.preset)\(knobs.isEmpty ? "" : " " + knobs)\n"
    var pcs = Array(repeating: 0, count: scenario.threads.count)
    // Replayed again along the path, so that each event says, like a spin
    // trail, the line it comes from and the state it leaves.
    var replay = Replay<A>(policy: policy, fileName: scenario.fileName)
    for s in scenario.setup { try? replay.feed(s) }
    for (step, a) in path.enumerated() {
      let e = scenario.threads[a][pcs[a]]
      pcs[a] += 1
      var text = scenario.text(of: e.line)
      if text.hasPrefix("@"), let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) {
        text = String(text[space...]).trimmingLeadingBlanks
      }
      try? replay.step(e, time: UInt64(step + 1) * 1_000)
      out += text + "  # line \(e.line)" + after(e, in: replay) + "\n"
    }
    out += "\nexpect \(finding.kind.rawValue) actor=\(finding.actor) policy=\(policy.preset)\n"
    return out
  }
}

extension Explorer {
  /// `; then 0x1 exported, folio 0x0 extra 1 writeback` for the event's first page,
  /// or `; waits` when its actor is blocked after it.
  func after(_ e: Event, in replay: Replay<A>) -> String {
    var s = ""
    var model = replay.model
    if e.pages.count > 0, model.memory.isDeclared(e.pages.first) {
      let page = e.pages.first
      let state = A.stateName(of: page, in: &model)
      let f = model.memory.folio(of: page)
      let entry = model.memory.entries[f.index]
      s += "; then \(hex(page)) \(state), folio \(hex(f.head)) extra \(entry.extra)"
      if entry.flags.contains(.writeback) { s += " writeback" }
      if entry.flags.contains(.locked) { s += " locked" }
    }
    if replay.isBlocked(Int(e.actor)) { s += "; \(scenario.actorNames.indices.contains(Int(e.actor)) ? scenario.actorNames[Int(e.actor)] : "the actor") waits" }
    return s
  }
}

extension String {
  var trimmingLeadingBlanks: String {
    String(drop { $0 == " " || $0 == "\t" })
  }
}

/// What an exploration found.
public struct ExplorationResult: Sendable {
  public var policy: String
  public var states = 0
  public var transitions = 0
  /// Moves skipped by the sleep sets.
  public var sleptTransitions = 0
  /// States explored again because they were reached with fewer sleeping moves.
  public var reexplored = 0
  public var depth = 0
  public var seconds = 0.0
  /// The search stopped at `--max-states`, `--max-seconds` or the memory limit without a finding.
  public var incomplete = false
  /// Why an incomplete search stopped.
  public var stopReason: StopReason?
  public enum StopReason: String, Sendable { case maxStates = "max-states", seconds = "max-seconds", memory }
  /// Breadth-first levels searched completely: every state reachable in
  /// fewer events was expanded (all of them when the search is complete).
  public var levelsCompleted = 0
  /// States reached but not yet expanded when the search stopped.
  public var queued = 0
  /// The most bytes the visited set, the queue and the trail held (the compact search).
  public var peakBytes: UInt64 = 0
  /// Bytes of the visited set at the end (the compact search).
  public var visitedBytes: UInt64 = 0
  /// With `Explorer.collectsFindings`: each kind found, with the fewest
  /// events of an interleaving that reaches it.
  public var findingDepths: [FindingKind: Int] = [:]
  /// Whether the copying search ran (asked for, or a state the compact words cannot hold).
  public var copying = false
  public var finding: Finding?
  /// The actors moved, in order, from the initial state to the finding.
  public var path: [Int]?
  /// The counterexample in the trace language.
  public var counterexample: String?

  public init(policy: String) {
    self.policy = policy
  }

  mutating func note(_ kind: FindingKind, depth: Int) {
    findingDepths[kind] = min(findingDepths[kind] ?? .max, depth)
  }
}
