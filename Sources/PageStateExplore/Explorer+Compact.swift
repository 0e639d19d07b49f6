import Dispatch
import PageStateEngine
import PageStateModel
import PageStateTrace

#if canImport(Glibc)
  import Glibc
#endif

/// The compact search (issue 14): the same breadth-first search with sleep
/// sets as `runCopying`, visiting the same states in the same order, but a
/// state in the queue is a few dozen 64-bit words (`Replay.encode`), not a
/// replay: each transition restores its parent into a scratch replay, steps
/// it and writes the child out again, with no allocation on the way, and
/// the visited set is a flat table of fingerprints (`FingerprintSet`).
///
/// Each breadth-first level is cut into chunks of parents; the chunk's
/// parents are expanded on every core at once (each thread its own scratch
/// replay and output), then their children are merged into the visited set
/// and the next level on one thread, in parent order. The merge is the
/// sequential search's own loop, so the counts, the first finding and its
/// (shortest) path do not depend on the number of threads.
extension Explorer {
  /// A state in the queue: where its words are in the level's arena.
  struct CompactNode {
    /// First word: the actors' positions, then `hashed` words, then `rest`.
    var start: Int
    var hashed: Int32
    var rest: Int32
    var waitStart: Int32
    var waitCount: Int32
    var depth: Int32
    var trail: Int32
    var sleep: UInt64
  }

  /// One breadth-first level: its states' words in one flat arena.
  final class CompactLevel: @unchecked Sendable {
    var words: [UInt64] = []
    var waits: [SnapshotWait] = []
    var nodes: [CompactNode] = []

    var bytes: UInt64 {
      UInt64(words.capacity) * 8 + UInt64(waits.capacity) * UInt64(MemoryLayout<SnapshotWait>.stride)
        + UInt64(nodes.capacity) * UInt64(MemoryLayout<CompactNode>.stride)
    }
  }

  /// What expanding one parent produced, in the order the sequential search meets it.
  struct Expansion {
    enum Kind { case child, slept, terminal }
    var kind: Kind
    /// The parent's index in its level.
    var parent: Int32
    var actor: Int32
    var sleep: UInt64 = 0
    var key: UInt64 = 0
    /// The child's words in the worker's arena (positions, hashed, rest).
    var start = 0
    var hashed: Int32 = 0
    var rest: Int32 = 0
    var waitStart: Int32 = 0
    var waitCount: Int32 = 0
    /// A finding of severity error (index in the worker's `findings`), or -1.
    var finding: Int32 = -1
  }

  /// One thread's scratch replay and output for a chunk of parents.
  final class ExpansionWorker: @unchecked Sendable {
    var replay: Replay<A>
    var words: [UInt64] = []
    var waits: [SnapshotWait] = []
    var records: [Expansion] = []
    var findings: [Finding] = []
    var scratch = EncodingScratch()
    /// A state the words cannot hold was reached: the search falls back to copying.
    var unencodable = false
    var error: TraceError?

    init(replay: Replay<A>) { self.replay = replay }
    deinit { scratch.deallocate() }

    func reset() {
      words.removeAll(keepingCapacity: true)
      waits.removeAll(keepingCapacity: true)
      records.removeAll(keepingCapacity: true)
      findings.removeAll(keepingCapacity: true)
    }
  }

  /// Per actor and position, what `commute` needs of an event.
  struct MoveInfo {
    var first: UInt64
    var end: UInt64
    var global: Bool
    var conversion: Bool
  }

  /// The compact search; nil if it reached a state the compact words cannot
  /// hold (the caller then runs `runCopying`).
  func runCompact(initial: Replay<A>, started: Double) throws(TraceError) -> ExplorationResult? {
    let actors = scenario.threads.count
    var result = ExplorationResult(policy: policy.name)
    let info = scenario.threads.map { $0.map { e in MoveInfo(first: folioSpan(e).first, end: folioSpan(e).end, global: isGlobal(e), conversion: isConversion(e)) } }
    let orderDependent = policy.large == .refuse || policy.kernelLarge == .refuse || { if case .bounded = policy.wait { return true } else { return false } }()

    var level = CompactLevel()
    var hashed: [UInt64] = []
    var rest: [UInt64] = []
    guard initial.encode(hashed: &hashed, rest: &rest, waits: &level.waits) else { return nil }
    var key = WordHasher()
    for _ in 0..<actors { key.combine(0) }
    for w in hashed { key.combine(w) }
    level.words = Array(repeating: 0, count: actors) + hashed + rest
    level.nodes = [CompactNode(start: 0, hashed: Int32(hashed.count), rest: Int32(rest.count), waitStart: 0, waitCount: Int32(level.waits.count), depth: 0, trail: 0, sleep: 0)]
    var visited = FingerprintSet()
    _ = visited.insert(key.finalize(), sleep: 0)
    result.states = 1
    var trail: [(parent: Int32, actor: Int32)] = [(-1, -1)]

    let threads = max(1, self.threads)
    let workers = (0..<threads).map { _ in ExpansionWorker(replay: initial) }
    let chunk = 2048 * threads
    var peak: UInt64 = 0
    var lastProgress = started

    search: while !level.nodes.isEmpty {
      let next = CompactLevel()
      var first = 0
      result.levelsCompleted = Int(level.nodes[0].depth)
      while first < level.nodes.count {
        let end = min(first + chunk, level.nodes.count)
        // Expand the chunk: on every thread when it is big enough to pay for the hand-off.
        let used = end - first >= 64 * threads ? threads : 1
        let per = (end - first + used - 1) / used
        let lvl = level
        let from = first
        if used == 1 {
          expand(lvl, first..<end, workers[0], info, orderDependent, initial)
        } else {
          DispatchQueue.concurrentPerform(iterations: used) { w in
            let lo = from + w * per
            let hi = min(end, lo + per)
            if lo < hi { self.expand(lvl, lo..<hi, workers[w], info, orderDependent, initial) }
          }
        }
        for w in workers.prefix(used) {
          if let e = w.error { throw e }
          if w.unencodable { return nil }
        }
        // Merge, in parent order: the sequential search's own bookkeeping.
        for w in workers.prefix(used) {
          for r in w.records {
            let parent = level.nodes[Int(r.parent)]
            switch r.kind {
            case .slept:
              result.sleptTransitions += 1
            case .terminal:
              if collectsFindings {
                result.note(w.findings[Int(r.finding)].kind, depth: Int(parent.depth))
                continue
              }
              result.finding = w.findings[Int(r.finding)]
              result.path = path(trail, from: parent.trail)
              result.depth = Int(parent.depth)
              break search
            case .child:
              result.transitions += 1
              if r.finding >= 0 && collectsFindings {
                result.note(w.findings[Int(r.finding)].kind, depth: Int(parent.depth) + 1)
              } else if r.finding >= 0 {
                trail.append((parent.trail, r.actor))
                result.finding = w.findings[Int(r.finding)]
                result.path = path(trail, from: Int32(trail.count - 1))
                result.depth = Int(parent.depth) + 1
                break search
              }
              var sleep = r.sleep
              if let limit = memoryLimit,
                (visited.isFull ? visited.bytesAfterGrowth : visited.bytes) + level.bytes + next.bytes + UInt64(trail.capacity) * 8
                  + UInt64(actors + Int(r.hashed) + Int(r.rest)) * 8 > limit
              {
                result.incomplete = true
                result.stopReason = .memory
                break search
              }
              if let old = visited.insert(r.key, sleep: sleep) {
                guard old & ~sleep != 0 else { continue }
                // Reached with moves awake that slept before: explore those again.
                sleep = old & sleep
                visited.update(r.key, sleep: sleep)
                result.reexplored += 1
              } else {
                result.states += 1
                result.depth = max(result.depth, Int(parent.depth) + 1)
              }
              trail.append((parent.trail, r.actor))
              let start = next.words.count
              let n = actors + Int(r.hashed) + Int(r.rest)
              next.words.append(contentsOf: w.words[r.start..<(r.start + n)])
              let waitStart = next.waits.count
              next.waits.append(contentsOf: w.waits[Int(r.waitStart)..<Int(r.waitStart + r.waitCount)])
              next.nodes.append(
                CompactNode(
                  start: start, hashed: r.hashed, rest: r.rest, waitStart: Int32(waitStart), waitCount: r.waitCount,
                  depth: parent.depth + 1, trail: Int32(trail.count - 1), sleep: sleep))
              if result.states >= maxStates {
                result.incomplete = true
                result.stopReason = .maxStates
                break search
              }
            }
          }
        }
        first = end
        let now = Explorer.now()
        peak = max(peak, visited.bytes + level.bytes + next.bytes + UInt64(trail.capacity) * 8)
        result.peakBytes = peak
        if let maxSeconds, now - started >= maxSeconds {
          result.incomplete = true
          result.stopReason = .seconds
          break search
        }
        if let progress, now - lastProgress >= 0.2 {
          lastProgress = now
          progress(
            ExplorationProgress(
              states: result.states, seconds: now - started, depth: Int(level.nodes[0].depth) + 1,
              queue: level.nodes.count - end + next.nodes.count, bytes: peak))
        }
      }
      level = next
    }
    result.queued = level.nodes.count
    peak = max(peak, visited.bytes + level.bytes + UInt64(trail.capacity) * 8)
    result.peakBytes = peak
    result.visitedBytes = visited.bytes
    return result
  }

  /// What one thread changes while it expands parents: its scratch replay
  /// and its output. A plain value passed `inout`: as a class's properties
  /// or a closure's captures, each non-mutating call on the replay copied it.
  struct WorkerState {
    var replay: Replay<A>
    var pcs: [Int32]
    var words: [UInt64] = []
    var waits: [SnapshotWait] = []
    var records: [Expansion] = []
    var findings: [Finding] = []
    var scratch: EncodingScratch
  }

  /// Expands the parents `range` of `level` into `worker`'s output, as the
  /// sequential search would meet them: per parent, each actor's move in
  /// order (skipped when asleep), then the end of the interleaving if
  /// nobody can move.
  func expand(_ level: CompactLevel, _ range: Range<Int>, _ worker: ExpansionWorker, _ info: [[MoveInfo]], _ orderDependent: Bool, _ base: Replay<A>) {
    worker.reset()
    let actors = scenario.threads.count
    var s = WorkerState(replay: worker.replay, pcs: Array(repeating: 0, count: actors), scratch: worker.scratch)
    worker.replay = base
    swap(&s.words, &worker.words)
    swap(&s.waits, &worker.waits)
    swap(&s.records, &worker.records)
    swap(&s.findings, &worker.findings)
    let context = ExpansionContext(before: base.findingsSoFar.count, findings: base.model.findings, info: info, orderDependent: orderDependent)
    do {
      try level.words.withUnsafeBufferPointer { levelWords throws(TraceError) in
        try level.waits.withUnsafeBufferPointer { levelWaits throws(TraceError) in
          for p in range {
            if try !expandParent(p, level.nodes[p], levelWords, levelWaits, &s, context) {
              worker.unencodable = true
              return
            }
          }
        }
      }
    } catch {
      worker.error = error
    }
    worker.replay = s.replay
    swap(&s.words, &worker.words)
    swap(&s.waits, &worker.waits)
    swap(&s.records, &worker.records)
    swap(&s.findings, &worker.findings)
    worker.scratch = s.scratch
  }

  /// What every expansion of a search reads.
  struct ExpansionContext {
    /// Findings of the setup (a step's new findings come after them).
    var before: Int
    var findings: FindingLog
    var info: [[MoveInfo]]
    var orderDependent: Bool
  }

  /// Expands parent `p` (`node`) into `s`; false if a child's state cannot be encoded.
  @inline(__always)
  func expandParent(
    _ p: Int, _ node: CompactNode, _ levelWords: UnsafeBufferPointer<UInt64>, _ levelWaits: UnsafeBufferPointer<SnapshotWait>,
    _ s: inout WorkerState, _ context: ExpansionContext
  ) throws(TraceError) -> Bool {
    let actors = scenario.threads.count
    let before = context.before
    let baseFindings = context.findings
    let info = context.info
    let orderDependent = context.orderDependent
    for a in 0..<actors { s.pcs[a] = Int32(truncatingIfNeeded: levelWords[node.start + a]) }
    let h = UnsafeBufferPointer(rebasing: levelWords[(node.start + actors)..<(node.start + actors + Int(node.hashed))])
    let r = UnsafeBufferPointer(
      rebasing: levelWords[(node.start + actors + Int(node.hashed))..<(node.start + actors + Int(node.hashed) + Int(node.rest))])
    let wt = UnsafeBufferPointer(rebasing: levelWaits[Int(node.waitStart)..<Int(node.waitStart + node.waitCount)])
    let time = UInt64(node.depth) * 1_000
    s.replay.decode(hashed: h, rest: r, waits: wt, findings: baseFindings, time: time)
    var fresh = true
    // Which actors can move, from the parent's state.
    var enabled: UInt64 = 0
    var moved = false
    for a in 0..<actors where Int(s.pcs[a]) < scenario.threads[a].count {
      if s.replay.canMove(a, next: scenario.threads[a][Int(s.pcs[a])]) {
        moved = true
        if a < 64 { enabled |= 1 << UInt64(a) }
      }
    }
    var explored: UInt64 = 0
    for a in 0..<actors {
      guard Int(s.pcs[a]) < scenario.threads[a].count else { continue }
      if a < 64 {
        guard enabled & (1 << UInt64(a)) != 0 else { continue }
      } else if !s.replay.canMove(a, next: scenario.threads[a][Int(s.pcs[a])]) {
        continue
      }
      if reduction && a < 64 && node.sleep & (1 << UInt64(a)) != 0 {
        s.records.append(Expansion(kind: .slept, parent: Int32(p), actor: Int32(a)))
        continue
      }
      if !fresh { s.replay.decode(hashed: h, rest: r, waits: wt, findings: baseFindings, time: time) }
      fresh = false
      let event = scenario.threads[a][Int(s.pcs[a])]
      try s.replay.step(event, time: time + 1_000)
      var record = Expansion(kind: .child, parent: Int32(p), actor: Int32(a))
      if let found = s.replay.findingsSoFar.dropFirst(before).first(where: { $0.severity >= .error }) {
        record.finding = Int32(s.findings.count)
        s.findings.append(found)
        if !collectsFindings {
          s.records.append(record)
          explored |= a < 64 ? 1 << UInt64(a) : 0
          continue
        }
      }
      // Sleep set: moves explored before this one from the same
      // parent, and moves asleep in the parent, that commute with it.
      var sleep: UInt64 = 0
      if reduction {
        let candidates = (explored | node.sleep) & ~(a < 64 ? 1 << UInt64(a) : 0)
        var m = candidates
        while m != 0 {
          let b = m.trailingZeroBitCount
          m &= m - 1
          if commute(s.pcs, a, b, info, orderDependent) { sleep |= 1 << UInt64(b) }
        }
      }
      record.sleep = sleep
      if a < 64 { explored |= 1 << UInt64(a) }
      // The child's words: the positions, then the state, encoded into the
      // worker's raw scratch (no array, so no uniqueness check per store and
      // no copy of the replay for an overlapping access) and copied once.
      let bound = s.replay.encodedBound
      s.scratch.reserve(hashed: bound.hashed, rest: bound.rest)
      let waitStart = s.waits.count
      guard let written = s.replay.encode(hashed: s.scratch.hashed, rest: s.scratch.rest, waits: &s.waits) else { return false }
      record.start = s.words.count
      var hasher = WordHasher()
      for b in 0..<actors {
        let pc = UInt64(s.pcs[b]) + (b == a ? 1 : 0)
        s.words.append(pc)
        hasher.combine(pc)
      }
      for i in 0..<written.hashed { hasher.combine(s.scratch.hashed[i]) }
      s.words.append(contentsOf: UnsafeBufferPointer(start: s.scratch.hashed, count: written.hashed))
      s.words.append(contentsOf: UnsafeBufferPointer(start: s.scratch.rest, count: written.rest))
      record.key = hasher.finalize()
      record.hashed = Int32(written.hashed)
      record.rest = Int32(written.rest)
      record.waitStart = Int32(waitStart)
      record.waitCount = Int32(s.waits.count - waitStart)
      s.records.append(record)
    }
    if !moved {
      // No actor can move: the end of this interleaving, finished like
      // the end of a trace (a blocked actor becomes a hang or a stall).
      if !fresh { s.replay.decode(hashed: h, rest: r, waits: wt, findings: baseFindings, time: time) }
      var end = s.replay
      let final = try end.finish()
      if let found = final.findings.findings.first(where: { $0.severity >= .error }) {
        s.findings.append(found)
        s.records.append(Expansion(kind: .terminal, parent: Int32(p), actor: -1, finding: Int32(s.findings.count - 1)))
      }
    }
    return true
  }

  /// `commute` over the moves' precomputed spans.
  @inline(__always)
  func commute(_ pcs: [Int32], _ a: Int, _ b: Int, _ info: [[MoveInfo]], _ orderDependent: Bool) -> Bool {
    guard a != b, Int(pcs[a]) < info[a].count, Int(pcs[b]) < info[b].count else { return false }
    let x = info[a][Int(pcs[a])]
    let y = info[b][Int(pcs[b])]
    if x.global || y.global || orderDependent { return false }
    if scenario.hasLRU && (x.conversion || y.conversion) { return false }
    return x.first >= y.end || y.first >= x.end
  }

  static func now() -> Double {
    var clock = timespec()
    clock_gettime(CLOCK_MONOTONIC, &clock)
    return Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
  }
}

/// Raw buffers a worker encodes a child's state into (`Replay.encode`).
struct EncodingScratch {
  var hashed = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
  var rest = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
  var capacity = (hashed: 256, rest: 256)

  /// Makes room for `hashed` and `rest` words (doubling).
  @inline(__always)
  mutating func reserve(hashed h: Int, rest r: Int) {
    if h > capacity.hashed {
      hashed.deallocate()
      capacity.hashed = max(h, capacity.hashed * 2)
      hashed = .allocate(capacity: capacity.hashed)
    }
    if r > capacity.rest {
      rest.deallocate()
      capacity.rest = max(r, capacity.rest * 2)
      rest = .allocate(capacity: capacity.rest)
    }
  }

  func deallocate() {
    hashed.deallocate()
    rest.deallocate()
  }
}

extension Array where Element == UInt64 {
  /// Empties a scratch buffer of a few dozen words without the generic
  /// `replaceSubrange` of `removeAll(keepingCapacity:)` (its storage stays).
  @inline(__always)
  mutating func removeAllKeepingStorage() {
    while popLast() != nil {}
  }
}
