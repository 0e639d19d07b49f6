/// Host TLB entries by page: which cpu actors hold a translation, and whether
/// a conversion revoked it while the flush was deferred (stale).
///
/// Sparse: a page has entries only after a host access and until a flush or
/// a conversion's zap, so a `Dictionary` keyed by page is the right shape.
public struct TLBTable: Sendable, Hashable {
  public struct Entry: Sendable, Hashable {
    public var cpu: Int32
    public var stale: Bool
  }
  public private(set) var entries: [UInt64: [Entry]] = [:]

  public init() {}

  public var isEmpty: Bool { entries.isEmpty }

  /// The entry `cpu` holds for `page`, if any.
  public func entry(_ page: UInt64, cpu: Int32) -> Entry? {
    entries[page]?.first { $0.cpu == cpu }
  }

  /// A host access through a live mapping leaves a translation.
  public mutating func add(_ page: UInt64, cpu: Int32) {
    if let list = entries[page], list.contains(where: { $0.cpu == cpu && !$0.stale }) { return }
    var list = entries[page] ?? []
    list.removeAll { $0.cpu == cpu }
    list.append(Entry(cpu: cpu, stale: false))
    entries[page] = list
  }

  /// A conversion zaps the mapping of `page`: entries go away now (returns
  /// whether any did) or, with a deferred flush, stay behind as stale.
  @discardableResult
  public mutating func zap(_ page: UInt64, deferred: Bool) -> Bool {
    guard var list = entries[page] else { return false }
    if deferred {
      for i in list.indices { list[i].stale = true }
      entries[page] = list
      return false
    }
    entries[page] = nil
    return true
  }

  /// A TLB flush of every cpu, or of one.
  public mutating func flush(cpu: Int32?) {
    guard let cpu else {
      entries.removeAll()
      return
    }
    for (page, list) in entries {
      let kept = list.filter { $0.cpu != cpu }
      entries[page] = kept.isEmpty ? nil : kept
    }
  }
}
