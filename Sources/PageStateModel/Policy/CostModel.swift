/// Relative costs of UV calls, RMP updates and TLB flushes (`cost.KIND` knobs).
/// The figures are estimates: export is about twice destroy, as the kernel's
/// destroy-page change noted.
public struct CostModel: Sendable, Hashable {
  /// The kinds, in the order of `values`.
  public static let kinds = ["import", "export", "pin-shared", "destroy", "no-op", "rmpupdate", "psmash", "tlb-flush"]
  public enum Kind: Int, Sendable { case `import`, export, pinShared, destroy, noOp, rmpupdate, psmash, tlbFlush }
  public var values: [Double] = [4, 4, 1, 2, 1, 4, 2, 1]

  public init() {}

  public subscript(_ kind: Kind) -> Double { values[kind.rawValue] }
}
