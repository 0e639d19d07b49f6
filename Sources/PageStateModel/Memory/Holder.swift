/// What a holder holds on a folio. Every kind but `lock` and `writeback` is an
/// extra reference (above the folio's baseline).
public enum HolderKind: UInt8, Sendable, Hashable, CaseIterable {
  /// A plain reference: FOLL_GET, try_get_page, a page-cache lookup, a pipe buffer.
  case get
  /// A FOLL_PIN pin.
  case pin
  /// A FOLL_PIN | FOLL_LONGTERM pin: held until its owner lets go.
  case pinLongterm
  /// A reference held in a per-CPU LRU batch until drained.
  case lru
  /// A speculative reference (RCU page-cache lookup, GUP-fast, PFN scanner).
  case speculative
  /// The fault handler's temporary reference.
  case fault
  /// The folio lock.
  case lock
  /// PG_writeback.
  case writeback

  public var isReference: Bool { self != .lock && self != .writeback }
  public var isPin: Bool { self == .pin || self == .pinLongterm }

  /// How a report names what the holder did (`pin longterm`).
  public var verb: String {
    switch self {
    case .get: return "get"
    case .pin: return "pin"
    case .pinLongterm: return "pin longterm"
    case .lru: return "lru-add"
    case .speculative: return "spec-get"
    case .fault: return "fault reference"
    case .lock: return "lock"
    case .writeback: return "writeback-start"
    }
  }
}

/// One holder record of a folio: an actor holding `count` markers of one kind,
/// first taken at `line`. Records of a folio form a singly linked list in a pool.
public struct Holder: Sendable, Hashable {
  /// Flat index of the folio's head page.
  public var folio: Int
  public var actor: Int32
  public var kind: HolderKind
  public var count: UInt32
  public var line: Int
  var next: Int32
  /// The record before this one in its folio's list (-1: the first).
  var previous: Int32 = -1
}

/// A set of holder kinds as bits: `Memory.release` and `held` take one on
/// the hot path (an array literal per call would be an allocation).
public struct HolderKinds: OptionSet, Sendable, Hashable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }
  public init(_ kind: HolderKind) { rawValue = 1 << kind.rawValue }
  public init(_ kinds: [HolderKind]) {
    rawValue = 0
    for k in kinds { rawValue |= 1 << k.rawValue }
  }

  public static let get = HolderKinds(.get)
  public static let speculative = HolderKinds(.speculative)
  public static let lru = HolderKinds(.lru)
  public static let lock = HolderKinds(.lock)
  public static let writeback = HolderKinds(.writeback)
  /// FOLL_PIN pins, short-term and long-term.
  public static let pins = HolderKinds(rawValue: HolderKinds(.pin).rawValue | HolderKinds(.pinLongterm).rawValue)

  @inline(__always)
  public func contains(_ kind: HolderKind) -> Bool { rawValue & (1 << kind.rawValue) != 0 }
}
