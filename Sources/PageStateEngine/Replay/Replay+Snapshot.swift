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
  /// Appends the compact state; false (and nothing usable appended) if the
  /// state holds something the encoding does not. O(pages + holders + actors).
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public func encode(hashed: inout [UInt64], rest: inout [UInt64], waits: inout [SnapshotWait]) -> Bool {
    guard !isRecording, model.memory.isCompactable, model.dmaWindows.isEmpty, model.injections.isEmpty, model.tlb.isEmpty,
      model.splitFolios.isEmpty
    else { return false }
    model.memory.encode(hashed: &hashed, rest: &rest)
    hashed.append(guestKilled ? 1 : 0)
    // The actors' fields in place: a copy of an `ActorState` (its name, its
    // queue, its blocked event) was a third of the encoding's cost.
    for a in actors.indices {
      if actors[a].hasQueue || actors[a].dropped > 0 { return false }
      if actors[a].isBlocked, let b = actors[a].blocked {
        hashed.append(UInt64(truncatingIfNeeded: b.event.line) << 32 | (b.resumeAt & 0xFFFF_FFFF))
        waits.append(SnapshotWait(actor: Int32(a), blocked: b))
      } else {
        hashed.append(~0)
      }
    }
    rest.append(UInt64(sequence))
    rest.append(UInt64(waiters.count))
    for w in waiters { rest.append(UInt64(UInt32(bitPattern: w))) }
    return true
  }

  /// Restores a state `encode` wrote (for a replay fed the same setup), with
  /// `findings` and `stats` (those of the setup) and the time set to `time`.
  /// O(pages + holders + actors); no allocation once the arrays have grown.
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public mutating func decode(
    hashed: UnsafeBufferPointer<UInt64>, rest: UnsafeBufferPointer<UInt64>, waits: UnsafeBufferPointer<SnapshotWait>,
    findings: FindingLog, stats: Statistics, time: UInt64
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
    model.findings = findings
    model.stats = stats
    model.time = time
    lastTime = time
  }
}
