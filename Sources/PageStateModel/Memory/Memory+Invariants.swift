import PageStateTrace

// Invariants of the model's state, for property tests (Tests/*/PropertyTests).
// Each returns a description of every violation, or an empty list.

extension Memory {
  /// Every folio's extra references equal what its holder records hold, no
  /// page outside a folio head carries references or holders, and the LRU
  /// total equals the LRU holders' counts.
  public func referenceViolations() -> [String] {
    var violations: [String] = []
    var lru: UInt64 = 0
    for i in entries.indices {
      var held: UInt64 = 0
      for h in holders(of: i) {
        if h.count == 0 { violations.append("page \(hex(page(at: i))): a holder record of \(h.kind.verb) with count 0") }
        if h.folio != i { violations.append("page \(hex(page(at: i))): a holder record of folio index \(h.folio)") }
        if h.kind.isReference { held += UInt64(h.count) }
        if h.kind == .lru { lru += UInt64(h.count) }
      }
      if UInt64(entries[i].extra) != held {
        violations.append("page \(hex(page(at: i))): extra \(entries[i].extra) but holders hold \(held)")
      }
    }
    if lru != lruReferences { violations.append("lru references \(lruReferences) but LRU holders hold \(lru)") }
    return violations
  }
}

extension S390PV {
  /// Pages that are secure while the arch bit covering them (the page's, or
  /// the folio's under `track=folio`) is clear: the hook would skip them.
  public static func archBitViolations(in model: Model) -> [String] {
    let m = model.memory
    var violations: [String] = []
    var i = 0
    while i < m.entries.count {
      let n = 1 << Int(m.entries[i].order)
      for j in i..<min(i + n, m.entries.count) where m.entries[j].bits & stateMask == PageState.secure.rawValue {
        let set = model.policy.track == .folio ? m.entries[i].flags.contains(.archBit) : m.entries[j].bits & archBit != 0
        if !set { violations.append("page \(hex(m.page(at: j))) is secure with its arch bit clear") }
      }
      i += n
    }
    return violations
  }
}
