/// The statistics counted per policy (`findings.md`), in report order.
/// `expect stat NAME=N` names one of these or a finding kind.
public enum StatisticName: String, CaseIterable, Sendable, Hashable {
  case events
  case imports
  case importRetries = "import-retries"
  case exports
  case collateralExports = "collateral-exports"
  case pinShared = "pin-shared"
  case collateralPins = "collateral-pins"
  case destroys
  case uvCalls = "uv-calls"
  case spuriousUVCalls = "spurious-uv-calls"
  case secureAccessFaults = "secure-access-faults"
  case lruDrains = "lru-drains"
  case hookFailures = "hook-failures"
  case splits
  case merges
  case conversions
  case implicitConversions = "implicit-conversions"
  case conversionRetries = "conversion-retries"
  case collateralConversions = "collateral-conversions"
  case rmpupdates
  case psmash
  case hostSigbus = "host-sigbus"
  case pvalidateSizeMismatch = "pvalidate-size-mismatch"
  case tlbFlushes = "tlb-flushes"
  case waits
  case waitTime = "wait-time"
  case maxWait = "max-wait"
  case estimatedCost = "estimated-cost"

  /// Whether the value is a duration in nanoseconds (`expect stat` takes `150ms`).
  public var isDuration: Bool { self == .waitTime || self == .maxWait }

  /// Dense index for the counter array (a switch, not a lookup: it is on the hot path).
  @inlinable
  public var index: Int {
    switch self {
    case .events: return 0
    case .imports: return 1
    case .importRetries: return 2
    case .exports: return 3
    case .collateralExports: return 4
    case .pinShared: return 5
    case .collateralPins: return 6
    case .destroys: return 7
    case .uvCalls: return 8
    case .spuriousUVCalls: return 9
    case .secureAccessFaults: return 10
    case .lruDrains: return 11
    case .hookFailures: return 12
    case .splits: return 13
    case .merges: return 14
    case .conversions: return 15
    case .implicitConversions: return 16
    case .conversionRetries: return 17
    case .collateralConversions: return 18
    case .rmpupdates: return 19
    case .psmash: return 20
    case .hostSigbus: return 21
    case .pvalidateSizeMismatch: return 22
    case .tlbFlushes: return 23
    case .waits: return 24
    case .waitTime: return 25
    case .maxWait: return 26
    case .estimatedCost: return 27
    }
  }
}
