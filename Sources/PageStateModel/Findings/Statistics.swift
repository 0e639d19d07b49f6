import PageStateTrace

/// The statistics counted per policy (`findings.md`), in a flat array indexed
/// by `StatisticName`, plus UV calls by kind for the cost model.
public struct Statistics: Sendable, Hashable {
  public var values = [UInt64](repeating: 0, count: StatisticName.allCases.count)
  /// Calls by `CostModel.Kind`, failed ones included.
  public var calls = [UInt64](repeating: 0, count: CostModel.kinds.count)

  public init() {}

  @inline(__always)
  public subscript(_ name: StatisticName) -> UInt64 {
    get { values[Statistics.slot(name)] }
    set { values[Statistics.slot(name)] = newValue }
  }

  @inline(__always)
  public mutating func add(_ name: StatisticName, _ n: UInt64 = 1) {
    values[Statistics.slot(name)] &+= n
  }

  /// Counts a UV call, RMPUPDATE or TLB flush of a kind (and `uv-calls` for UV calls).
  @inline(__always)
  public mutating func call(_ kind: CostModel.Kind, _ n: UInt64 = 1) {
    calls[kind.rawValue] &+= n
    if kind.rawValue <= CostModel.Kind.noOp.rawValue { add(.uvCalls, n) }
  }

  /// The estimated cost under a cost model.
  public func estimatedCost(_ costs: CostModel) -> Double {
    var total = 0.0
    for (i, n) in calls.enumerated() { total += Double(n) * costs.values[i] }
    return total
  }

  @inline(__always)
  static func slot(_ name: StatisticName) -> Int { name.index }
}
