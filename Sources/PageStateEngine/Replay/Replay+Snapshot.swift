import PageStateModel
import PageStateTrace

/// A blocked actor's wait, kept aside by the explorer with a compact state
/// (its parts are a shared box: copying one is a retain).
public struct SnapshotWait: Sendable {
  let actor: Int32
  let blocked: BlockedEvent
}

/// The compact state of a replay for the explorer (issue 14): the state that
/// decides the future as a few dozen 64-bit words, written out after a step
/// and restored into a scratch replay before the next, instead of a copy of
/// the whole replay (a dozen arrays, each copied on write) per transition.
///
/// `hashed` holds what the explorer's fingerprint covers: page entries,
/// holder records, LRU references, whether the guest was killed, and each
/// actor's wait (its event's line and resume offset). `rest` holds what only
/// shapes the replay's order of retries and its reports (holder lines, block
/// order, the order of the waiters), and `waits` the blocked events
/// themselves. Counters, findings and times are not kept: a restored replay
/// starts them from the setup's, and its time is the caller's.
///
/// A state with something the words do not hold (DMA windows in flight,
/// injections, TLB entries, split SEV-SNP folios, a long indexed holder
/// list, events queued behind a wait, a timeline) is not encoded:
/// `encode` returns false and the explorer falls back to copying replays.
extension Replay {
  /// The most words `encode` writes: to `hashed`, and to `rest`.
  public var encodedBound: (hashed: Int, rest: Int) {
    let m = model.memory.encodedBound
    return (m.hashed + 1 + actors.count, m.rest + 2 + waiters.count)
  }

  /// Writes the compact state into buffers of at least `encodedBound` words
  /// and returns how many it wrote to each, appending blocked actors' waits
  /// to `waits`; nil if the state holds something the encoding does not.
  /// O(pages + holders + actors).
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public func encode(hashed: UnsafeMutablePointer<UInt64>, rest: UnsafeMutablePointer<UInt64>, waits: inout [SnapshotWait]) -> (hashed: Int, rest: Int)? {
    guard !isRecording, model.memory.isCompactable, model.dmaWindows.isEmpty, model.injections.isEmpty, model.tlb.isEmpty,
      model.splitFolios.isEmpty
    else { return nil }
    var h = 0
    var r = 0
    model.memory.encode(hashed: hashed, at: &h, rest: rest, at: &r)
    hashed[h] = guestKilled ? 1 : 0
    h += 1
    // The actors' fields in place: a copy of an `ActorState` (its name, its
    // queue, its blocked event) was a third of the encoding's cost.
    for a in actors.indices {
      if actors[a].hasQueue || actors[a].dropped > 0 { return nil }
      if actors[a].isBlocked, let b = actors[a].blocked {
        hashed[h] = UInt64(truncatingIfNeeded: b.event.line) << 32 | (b.resumeAt & 0xFFFF_FFFF)
        waits.append(SnapshotWait(actor: Int32(a), blocked: b))
      } else {
        hashed[h] = ~0
      }
      h += 1
    }
    rest[r] = UInt64(sequence)
    rest[r + 1] = UInt64(waiters.count)
    r += 2
    for w in waiters {
      rest[r] = UInt64(UInt32(bitPattern: w))
      r += 1
    }
    return (h, r)
  }

  /// `encode` into arrays (for tests and the first state).
  public func encode(hashed: inout [UInt64], rest: inout [UInt64], waits: inout [SnapshotWait]) -> Bool {
    let bound = encodedBound
    var hs = [UInt64](repeating: 0, count: bound.hashed)
    var rs = [UInt64](repeating: 0, count: bound.rest)
    let n = hs.withUnsafeMutableBufferPointer { hp in
      rs.withUnsafeMutableBufferPointer { rp in encode(hashed: hp.baseAddress!, rest: rp.baseAddress!, waits: &waits) }
    }
    guard let n else { return false }
    hashed.append(contentsOf: hs[..<n.hashed])
    rest.append(contentsOf: rs[..<n.rest])
    return true
  }

  /// Restores a state `encode` wrote (for a replay fed the same setup), with
  /// `findings` (those of the setup) and the time set to `time`.
  /// O(pages + holders + actors); no allocation once the arrays have grown.
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public mutating func decode(
    hashed: UnsafeBufferPointer<UInt64>, rest: UnsafeBufferPointer<UInt64>, waits: UnsafeBufferPointer<SnapshotWait>,
    findings: FindingLog, time: UInt64
  ) {
    var h = 0
    var r = 0
    model.memory.decode(hashed: hashed, at: &h, rest: rest, at: &r)
    guestKilled = hashed[h] != 0
    h += 1
    var w = 0
    boundedWaiters = 0
    for a in actors.indices {
      if hashed[h] == ~0 {
        if actors[a].isBlocked { actors[a].unblock() }
      } else {
        let b = waits[w].blocked
        w += 1
        actors[a].block(b.event, resumeAt: b.resumeAt, wait: b.wait, since: b.since, deadline: b.deadline, sequence: b.sequence)
        if b.deadline != nil { boundedWaiters += 1 }
      }
      h += 1
    }
    sequence = Int(rest[r])
    let count = Int(rest[r + 1])
    r += 2
    waiters.removeAllKeepingStorage()
    for _ in 0..<count {
      waiters.append(Int32(bitPattern: UInt32(truncatingIfNeeded: rest[r])))
      r += 1
    }
    staleChanges = 0
    // Findings only when a step added some (an assignment is a release and
    // a retain of its arrays). Counters are not restored: nothing but the
    // reports reads them, and the explorer reports none.
    if model.findings.findings.count != findings.findings.count || model.findings.dropped != findings.dropped {
      model.findings = findings
    }
    model.time = time
    lastTime = time
  }
}
