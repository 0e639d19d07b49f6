import PageStateModel

extension Replay {
  /// The model invariants that hold after every event, whatever the policy
  /// (property tests check them): a folio's extra references equal what its
  /// holders hold, and on s390-pv no page is secure while its arch bit is clear.
  /// Empty when they hold.
  public func invariantViolations() -> [String] {
    var violations = model.memory.referenceViolations()
    if A.self == S390PV.self { violations += S390PV.archBitViolations(in: model) }
    return violations
  }
}
