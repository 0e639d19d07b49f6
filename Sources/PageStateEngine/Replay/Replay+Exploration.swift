import PageStateModel
import PageStateTrace

/// What the explorer needs of a replay: which actors can move, the findings
/// so far, and a fingerprint of the state that matters for the future.
extension Replay {
  /// Whether the actor is waiting (it cannot run its next event).
  public func isBlocked(_ actor: Int) -> Bool { actors[actor].isBlocked }

  /// Whether the guest was killed (its actors' events are dropped).
  public var isGuestKilled: Bool { guestKilled }

  /// The findings so far, in the order they were found.
  public var findingsSoFar: [Finding] { model.findings.findings }

  /// Feeds an event, with its time replaced: the explorer reorders events, so
  /// trace time is the position in the interleaving.
  @_specialize(exported: false, kind: full, where A == S390PV)
  @_specialize(exported: false, kind: full, where A == SEV)
  @_specialize(exported: false, kind: full, where A == SEVSNP)
  public mutating func step(_ event: Event, time: UInt64) throws(TraceError) {
    var e = event
    e.time = time
    try feed(.event(e))
  }

  /// Hashes what decides the future of the replay: page and folio state,
  /// references with their holders, locks, writeback, DMA windows, pending
  /// injections, TLB entries, split folios, and each actor's wait. Counters,
  /// findings and times are left out (two paths to the same state behave
  /// alike from there on).
  public func fingerprint(into h: inout Hasher) {
    let m = model.memory
    // The page entries without their holder-list link (a pool index, which
    // differs between equal states): holders are hashed below, by content.
    for e in m.entries {
      h.combine(e.bits)
      h.combine(e.order)
      h.combine(e.flags.rawValue)
      h.combine(e.extra)
    }
    for i in m.entries.indices where m.entries[i].extra > 0 || !m.entries[i].flags.intersection([.locked, .writeback]).isEmpty {
      for holder in m.holders(of: i) {
        h.combine(holder.actor)
        h.combine(holder.kind)
        h.combine(holder.count)
      }
    }
    h.combine(m.lruReferences)
    for w in model.dmaWindows {
      h.combine(w.actor)
      h.combine(w.id)
      h.combine(w.pages)
    }
    h.combine(model.injections.count)
    for (page, j) in model.injections.sorted(by: { $0.key < $1.key }) {
      h.combine(page)
      h.combine(j)
    }
    h.combine(model.tlb)
    h.combine(model.splitFolios.count)
    for (head, order) in model.splitFolios.sorted(by: { $0.key < $1.key }) {
      h.combine(head)
      h.combine(order)
    }
    h.combine(guestKilled)
    for a in actors {
      if let b = a.blocked {
        h.combine(b.event.line)
        h.combine(b.resumeAt)
      } else {
        h.combine(-1)
      }
    }
  }
}
