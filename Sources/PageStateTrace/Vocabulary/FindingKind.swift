/// How bad a finding is. `replay` exits 1 on any `error` or `hang`.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
  case warning, error, hang

  public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
  var rank: Int {
    switch self {
    case .warning: return 0
    case .error: return 1
    case .hang: return 2
    }
  }
}

/// Every kind of finding the model reports (`findings.md`). The raw value is
/// the name used in reports, JSON, `expect` lines and `pagestate explain`.
public enum FindingKind: String, CaseIterable, Sendable, Hashable {
  case ioOnSecure = "io-on-secure"
  case unprotectedIO = "unprotected-io"
  case hookWithoutMarker = "hook-without-marker"
  case archBitLost = "arch-bit-lost"
  case bugOn = "bug-on"
  case hostSigsegv = "host-sigsegv"
  case guestKilled = "guest-killed"
  case collateralShare = "collateral-share"
  case rmpFault = "rmp-fault"
  case ciphertextAccess = "ciphertext-access"
  case staleTLBAccess = "stale-tlb-access"
  case cbitMismatch = "cbit-mismatch"
  case unvalidatedAccess = "unvalidated-access"
  case pvalidateFailed = "pvalidate-failed"
  case validationNotRescinded = "validation-not-rescinded"
  case conversionFailed = "conversion-failed"
  case hang = "hang"
  case stall = "stall"

  /// The severity of the kind. `ciphertext-access` is a warning for a read and
  /// an error for a write: this is its read severity (see `Finding.severity`).
  public var defaultSeverity: Severity {
    switch self {
    case .unprotectedIO, .hookWithoutMarker, .ciphertextAccess, .validationNotRescinded,
      .conversionFailed, .stall:
      return .warning
    case .hang:
      return .hang
    default:
      return .error
    }
  }

  /// Dense index for per-kind counters.
  @inlinable
  public var index: Int {
    switch self {
    case .ioOnSecure: return 0
    case .unprotectedIO: return 1
    case .hookWithoutMarker: return 2
    case .archBitLost: return 3
    case .bugOn: return 4
    case .hostSigsegv: return 5
    case .guestKilled: return 6
    case .collateralShare: return 7
    case .rmpFault: return 8
    case .ciphertextAccess: return 9
    case .staleTLBAccess: return 10
    case .cbitMismatch: return 11
    case .unvalidatedAccess: return 12
    case .pvalidateFailed: return 13
    case .validationNotRescinded: return 14
    case .conversionFailed: return 15
    case .hang: return 16
    case .stall: return 17
    }
  }
}
