import PageStateModel
import PageStateTrace

/// One replay of a trace under one policy, for one architecture `A`.
///
/// Actors run their events in program order. An event that must wait blocks
/// its actor: later events of that actor queue behind it while the others go
/// on, and the blocked event is retried (from the page where it stopped)
/// after every event that changes the folio it waits on, waiters in the order
/// they blocked. Bounded waits give up on trace time. At the end each blocked
/// actor becomes a `hang` or a `stall` by its wait-for chain.
///
/// Fed one statement at a time: memory use does not grow with the trace.
public struct Replay<A: Architecture>: Sendable {
  public internal(set) var model: Model
  var actors: [ActorState] = []
  /// Blocked actors, in the order they blocked.
  var waiters: [Int32] = []
  var boundedWaiters = 0
  var sequence = 0
  var guestKilled = false
  var lastTime: UInt64 = 0
  /// Records states, waits, DMA windows and findings over time (`--timeline`,
  /// `--perfetto`); nil, the default, costs one branch per event.
  public internal(set) var recorder: TimelineRecorder?
  /// `recorder != nil`, kept apart: comparing the optional copies it.
  let isRecording: Bool
  /// Events whose page state `feed(_:fromEvent:fromOther:)` loads at once.
  static var warmAhead: Int { 64 }
  /// Where the warming loads go, so the compiler keeps them.
  var warmSink: UInt32 = 0
  /// Changes at the front of `model.memory.changes` that happened while
  /// nobody waited (see `settle`).
  var staleChanges = 0
  /// Spare storage for `settle`'s list of changed folios.
  var changedScratch: [PageRange] = []
  /// Spare storage for `settle`'s list of waiters to retry.
  var waiterScratch: [Int32] = []

  /// Events kept queued behind one actor's wait. Past it, later events of
  /// that actor are counted but not kept (memory must not grow with the
  /// trace): harmless if the actor never runs again (a hang, a stall), an
  /// input error if its wait ends and they would have to run.
  public static var queueLimit: Int { 1 << 16 }

  /// A replay under `policy`; `recordsTimeline` keeps a `TimelineRecorder`.
  /// `findingLimit`: the findings kept with their details (`--max-findings`).
  public init(policy: Policy, fileName: String, recordsTimeline: Bool = false, findingLimit: Int = FindingLog.storedLimit) {
    model = Model(policy: policy)
    model.findings.limit = findingLimit
    model.fileName = fileName
    recorder = recordsTimeline ? TimelineRecorder() : nil
    isRecording = recordsTimeline
  }

  /// Applies one statement. Throws the model's input errors (exit 2).
  public mutating func feed(_ statement: Statement) throws(TraceError) {
    switch statement {
    case .memory(let d):
      if let message = A.declarationError(d, policy: model.policy) {
        throw TraceError(SourceLocation(file: model.fileName, line: d.line, column: 1), message)
      }
      A.declare(d, in: &model)
    case .actor(let a) where Int(a.index) < actors.count:
      // A kind decided after the actor's first notes.
      actors[Int(a.index)].kind = a.kind
      model.actorKinds[Int(a.index)] = a.kind
    case .actor(let a):
      precondition(Int(a.index) == actors.count)
      actors.append(ActorState(name: a.name, kind: a.kind))
      model.actorNames.append(a.name)
      model.actorKinds.append(a.kind)
    case .symbol(let s):
      precondition(Int(s.index) == model.symbols.count)
      model.symbols.append(s.name)
    case .event(let e), .note(let e, _):
      try event(e)
    case .header, .architecture, .policy, .expectation:
      break
    }
  }

  /// Applies a batch from its `first` event and its `firstOther` other
  /// statement on, in file order: the hot path, one plain `Event` at a time.
  ///
  /// Sessions hold replays as `any ReplayDriver`, whose witnesses are the
  /// unspecialized generic code (a metadata lookup and a witness-table call
  /// per step); specializing the batch loop for each architecture makes the
  /// whole replay below it concrete.
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public mutating func feed(_ batch: StatementBatch, fromEvent first: Int = 0, fromOther firstOther: Int = 0) throws(TraceError) {
    var k = firstOther
    let others = batch.others.count
    // A plain loop: a closure here (withUnsafeBufferPointer) is not
    // specialized for `A` and looks up `Replay<A>`'s metadata per event.
    let count = batch.events.count
    var warmed = first
    var hint = 0
    for i in first..<count {
      if i == warmed {
        // Load the state of the next events' pages together (see `Memory.warm`).
        warmed = min(i + Self.warmAhead, count)
        var sink: UInt32 = 0
        for j in i..<warmed where batch.events[j].pages.count > 0 {
          sink &+= model.memory.warm(batch.events[j].pages.first, hint: &hint)
        }
        warmSink &+= sink
      }
      while k < others && batch.positions[k] <= i {
        try feed(batch.others[k])
        k += 1
      }
      try event(batch.events[i])
    }
    while k < others {
      try feed(batch.others[k])
      k += 1
    }
  }

  @inline(__always)
  mutating func event(_ e: Event) throws(TraceError) {
    if boundedWaiters > 0 { try expire(before: e.time) }
    model.time = e.time
    lastTime = e.time
    model.stats.add(.events)
    let a = Int(e.actor)
    if guestKilled && actors[a].kind == .guest { return }
    if actors[a].isBlocked {
      if e.verb == .writebackEnd && runsAsCompletion(e, actor: a) {
        // The I/O completion of a writeback already submitted: it does not
        // wait for the actor (`Replay+Completions`).
        try complete(e)
        try settle()
        return
      }
      if actors[a].queue.count - actors[a].queueHead >= Self.queueLimit {
        if actors[a].dropped == 0 { actors[a].firstDropped = e }
        actors[a].dropped += 1
      } else {
        actors[a].queue.append(e)
      }
      return
    }
    try execute(e, from: 0)
    if waiters.isEmpty {
      // Nobody to wake: the changes are stale from now on. Clearing them
      // after every event costs more than the rest of the event's engine
      // work, so they are only marked stale and cleared in bulk (the
      // timeline reads them after every event: a recording replay clears
      // them at once).
      if isRecording || model.memory.changes.count >= 1024 {
        model.memory.changes.removeAll(keepingCapacity: true)
      }
      staleChanges = model.memory.changes.count
    } else {
      try settle()
    }
  }

  func location(_ e: Event) -> SourceLocation {
    SourceLocation(file: model.fileName, line: e.line, column: Int(e.column))
  }

  /// Runs an event (new, or a retry from `offset`). Returns true if it completed.
  @discardableResult
  mutating func execute(_ e: Event, from offset: UInt64) throws(TraceError) -> Bool {
    let a = Int(e.actor)
    let outcome = A.apply(e, from: offset, model: &model)
    if isRecording {
      let completed: Bool
      if case .done = outcome { completed = true } else { completed = false }
      recorder!.applied(e, completed: completed, model: &model, stateName: A.stateName)
    }
    switch outcome {
    case .done:
      if actors[a].isBlocked {
        endWait(a, at: model.time)
      }
      return true
    case .blocked(let wait, let resumeAt):
      if actors[a].isBlocked && actors[a].blockedEvent.line == e.line {
        actors[a].waitAgain(wait, resumeAt: resumeAt)
      } else {
        model.stats.add(.waits)
        var deadline: UInt64?
        if wait.isConversion, case .bounded(let d) = model.policy.wait {
          deadline = model.time > UInt64.max - d ? UInt64.max : model.time + d
          boundedWaiters += 1
        }
        sequence += 1
        actors[a].block(e, resumeAt: resumeAt, wait: wait, since: model.time, deadline: deadline, sequence: sequence)
        waiters.append(Int32(a))
        if isRecording { recorder!.waitBegan(actor: e.actor, line: e.line, wait: wait, at: model.time) }
      }
      return false
    case .killGuest:
      if actors[a].isBlocked { endWait(a, at: model.time) }
      killGuest()
      return true
    case .failed(let message):
      throw TraceError(location(e), message)
    }
  }

  /// Ends a wait that was satisfied or given up at `time`.
  mutating func endWait(_ a: Int, at time: UInt64) {
    let waited = time &- actors[a].since
    model.stats.add(.waitTime, waited)
    if waited > model.stats[.maxWait] { model.stats[.maxWait] = waited }
    if actors[a].deadline != nil { boundedWaiters -= 1 }
    actors[a].unblock()
    // An actor is in `waiters` once, while it waits.
    if let i = waiters.firstIndex(of: Int32(a)) { waiters.remove(at: i) }
    if isRecording { recorder!.waitEnded(actor: Int32(a), at: time) }
  }

  /// guest-killed: every guest actor stops; its remaining events are dropped.
  mutating func killGuest() {
    guestKilled = true
    for a in actors.indices where actors[a].kind == .guest {
      if actors[a].isBlocked { endWait(a, at: model.time) }
      actors[a].dropQueue()
    }
  }

  /// Runs the events queued behind a wait that ended, until one blocks.
  mutating func runQueue(_ a: Int) throws(TraceError) {
    if actors[a].dropped > 0 && !(guestKilled && actors[a].kind == .guest) {
      let first = actors[a].firstDropped!
      throw TraceError(
        location(first),
        "the wait of \(actors[a].name) ended after \(Self.queueLimit + actors[a].dropped) of its events had queued behind it; the \(actors[a].dropped) past the first \(Self.queueLimit) (from this line on) were not kept, so they cannot run: end the wait sooner or split the trace")
    }
    while !actors[a].isBlocked && actors[a].hasQueue {
      if guestKilled && actors[a].kind == .guest {
        actors[a].dropQueue()
        return
      }
      let e = actors[a].popQueue()
      try execute(e, from: 0)
    }
    if actors[a].isBlocked && actors[a].hasQueue { try completeQueued(a) }
  }

  /// Retries waiters on folios that changed, until nothing changes.
  mutating func settle() throws(TraceError) {
    // The changes made while nobody waited (`staleChanges`, at the front)
    // wake nobody: the first pass skips them rather than removing them
    // (which moved the rest down, at every event with a waiter).
    var skip = staleChanges
    staleChanges = 0
    if model.memory.changes.count == skip {
      // Nothing new: the stale changes stay, to be cleared in bulk (at once
      // when recording, as in `event`).
      if isRecording || skip >= 1024 {
        model.memory.changes.removeAll(keepingCapacity: true)
      } else {
        staleChanges = skip
      }
      return
    }
    while model.memory.changes.count > skip {
      if waiters.isEmpty {
        model.memory.changes.removeAll(keepingCapacity: true)
        return
      }
      // Swapped, not copied: the model records further changes into the
      // (empty) spare buffer while the waiters retry.
      var changed = changedScratch
      changedScratch = []
      swap(&changed, &model.memory.changes)
      defer {
        changed.removeAllKeepingStorage()
        changedScratch = changed
      }
      let fresh = changed[skip...]
      skip = 0
      // Most changes wake nobody: look before copying the waiters.
      var wakes = false
      for w in waiters where actors[Int(w)].isBlocked {
        let folio = actors[Int(w)].waitFolio
        if fresh.contains(where: { $0.overlaps(folio) }) {
          wakes = true
          break
        }
      }
      if !wakes { continue }
      // The waiters of this pass, copied into spare storage rather than
      // shared: retries end waits, and removing from a shared `waiters`
      // would copy it each time. (A handful: appended one by one.)
      var pass = waiterScratch
      waiterScratch = []
      for w in waiters { pass.append(w) }
      defer {
        pass.removeAllKeepingStorage()
        waiterScratch = pass
      }
      for w in pass {
        let a = Int(w)
        guard actors[a].isBlocked else { continue }
        let folio = actors[a].waitFolio
        guard fresh.contains(where: { $0.overlaps(folio) }) else { continue }
        if try execute(actors[a].blockedEvent, from: actors[a].resumeAt) {
          // A successful retry is itself a change that lets the others retry.
          model.memory.changes.append(folio)
          try runQueue(a)
        }
      }
    }
  }

  /// Bounded waits whose deadline is before `time` give up (`conversion-failed`).
  mutating func expire(before time: UInt64) throws(TraceError) {
    while boundedWaiters > 0 {
      var pick: (actor: Int, deadline: UInt64, sequence: Int)?
      for w in waiters {
        let a = Int(w)
        guard actors[a].isBlocked, let d = actors[a].deadline, d < time else { continue }
        let sequence = actors[a].sequence
        if pick == nil || (d, sequence) < (pick!.deadline, pick!.sequence) {
          pick = (a, d, sequence)
        }
      }
      guard let (a, deadline, _) = pick else { return }
      let b = actors[a].blocked!
      if deadline > model.time { model.time = deadline }
      let bound = deadline - b.since
      model.report(
        .conversionFailed, at: b.event, page: b.wait.page, state: A.stateName(of: b.wait.page, in: &model),
        message: "\(b.wait.what) gave up after \(formatDuration(bound)) (wait=bounded:\(formatDuration(bound))) waiting for \(describe(b.wait.condition)) of folio \(hex(b.wait.folio.first)): -EBUSY, as shmem_wait_for_pins does")
      endWait(a, at: deadline)
      try runQueue(a)
      try settle()
    }
  }

  func describe(_ c: Wait.Condition) -> String {
    switch c {
    case .unlock: return "the lock"
    case .writebackEnd: return "the end of writeback"
    case .references: return "the references"
    }
  }

  /// Ends the replay: bounded waiters give up at their deadlines, the rest
  /// are classified as `hang` or `stall`.
  public mutating func finish() throws(TraceError) -> ReplayResult {
    if boundedWaiters > 0 { try expire(before: .max) }
    if model.time < lastTime { model.time = lastTime }
    classifyWaiters()
    if isRecording { recorder!.finish(model: &model) }
    var findings = model.findings
    findings.sort()
    return ReplayResult(
      policy: model.policy, findings: findings, stats: model.stats, estimatedCost: model.stats.estimatedCost(model.policy.costs), error: nil,
      timeline: recorder)
  }
}

extension Array {
  /// `removeAll(keepingCapacity: true)` for the few plain values `settle`
  /// keeps, one `popLast` each: `removeAll` goes through the generic
  /// `replaceSubrange`, about 85 instructions however few there are.
  @inline(__always)
  mutating func removeAllKeepingStorage() {
    if count > 8 {
      removeAll(keepingCapacity: true)
    } else {
      while popLast() != nil {}
    }
  }
}
