import PageStateTrace

/// The statistics counted per policy (`findings.md`), indexed by
/// `StatisticName`, plus UV calls by kind for the cost model.
///
/// The counters live inline (`InlineArray`), not in arrays: an event adds to
/// several, and each add to an array's element first checks that the array's
/// buffer is not shared (a runtime call).
public struct Statistics: Sendable, Hashable {
  // Sizes: `StatisticName.allCases.count` and `CostModel.kinds.count` (`init` checks).
  @usableFromInline var counters = InlineArray<28, UInt64>(repeating: 0)
  @usableFromInline var callCounters = InlineArray<8, UInt64>(repeating: 0)

  public init() {
    assert(counters.count == StatisticName.allCases.count && callCounters.count == CostModel.kinds.count)
  }

  /// The counters, in `StatisticName` order.
  public var values: [UInt64] {
    get { (0..<counters.count).map { counters[$0] } }
    set { for i in 0..<counters.count { counters[i] = newValue[i] } }
  }

  /// Calls by `CostModel.Kind`, failed ones included.
  public var calls: [UInt64] {
    get { (0..<callCounters.count).map { callCounters[$0] } }
    set { for i in 0..<callCounters.count { callCounters[i] = newValue[i] } }
  }

  // Inlinable: the engine (another module) adds to `events` per event.
  @inlinable @inline(__always)
  public subscript(_ name: StatisticName) -> UInt64 {
    get { counters[Statistics.slot(name)] }
    set { counters[Statistics.slot(name)] = newValue }
  }

  @inlinable @inline(__always)
  public mutating func add(_ name: StatisticName, _ n: UInt64 = 1) {
    counters[Statistics.slot(name)] &+= n
  }

  /// Counts a UV call, RMPUPDATE or TLB flush of a kind (and `uv-calls` for UV calls).
  @inline(__always)
  public mutating func call(_ kind: CostModel.Kind, _ n: UInt64 = 1) {
    callCounters[kind.rawValue] &+= n
    if kind.rawValue <= CostModel.Kind.noOp.rawValue { add(.uvCalls, n) }
  }

  /// The estimated cost under a cost model.
  public func estimatedCost(_ costs: CostModel) -> Double {
    var total = 0.0
    for i in 0..<callCounters.count { total += Double(callCounters[i]) * costs.values[i] }
    return total
  }

  @inline(__always)
  @inlinable
  static func slot(_ name: StatisticName) -> Int { name.index }

  public static func == (a: Statistics, b: Statistics) -> Bool {
    a.values == b.values && a.calls == b.calls
  }

  public func hash(into h: inout Hasher) {
    h.combine(values)
    h.combine(calls)
  }
}
