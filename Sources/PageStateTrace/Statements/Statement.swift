/// `memory PAGESET [order=K] [backing=B] [state=S]`.
public struct MemoryDeclaration: Sendable, Hashable {
  public var pages: PageRange
  /// Folio order: folios of 2^order pages, naturally aligned.
  public var order: Int
  public var backing: Backing
  public var state: InitialState
  public var line: Int

  public init(pages: PageRange, order: Int, backing: Backing, state: InitialState, line: Int) {
    self.pages = pages
    self.order = order
    self.backing = backing
    self.state = state
    self.line = line
  }
}

/// A `key=value` pair with where each part starts, for errors raised later.
public struct LocatedOption: Sendable, Hashable {
  public var key: String
  public var value: String
  public var keyColumn: Int
  public var valueColumn: Int
}

/// `policy [PRESET] [knob=value ...]`: the file's default preset and knob values.
/// Validated by the model (`Policy`), which reports errors at these columns.
public struct PolicyDeclaration: Sendable, Hashable {
  public var preset: String?
  public var presetColumn: Int
  public var knobs: [LocatedOption]
  public var line: Int
}

/// An actor, declared with `actor NAME KIND` or created on first use.
public struct ActorDeclaration: Sendable, Hashable {
  /// Dense index, in order of first appearance; events refer to actors by it.
  public var index: Int32
  public var name: String
  public var kind: ActorKind
  /// False when the actor was created by its first event.
  public var isExplicit: Bool
  public var line: Int
}

/// An interned name (a DMA `id=` or a `via=` tag), announced before first use.
public struct Symbol: Sendable, Hashable {
  public var index: Int32
  public var name: String
}

/// An `expect` line: what `pagestate check` verifies.
public struct Expectation: Sendable, Hashable {
  public enum Claim: Sendable, Hashable {
    /// `expect clean`: no finding of severity error or hang.
    case clean
    /// `expect KIND ...` (at least one, or exactly `count`).
    case finding(FindingKind)
    /// `expect no KIND`.
    case noFinding(FindingKind)
    /// `expect stat NAME=N`: a statistic, or the count of a finding kind.
    case statistic(name: String, value: Double)
  }

  public var claim: Claim
  public var page: UInt64?
  public var actor: String?
  public var findingLine: Int?
  /// The preset this expectation is about, or nil for every policy run.
  public var policy: String?
  public var count: Int?
  public var line: Int
  /// The line exactly as written (for `check`'s report).
  public var text: String
}

/// One statement of a trace, as the reader yields them in file order.
public enum Statement: Sendable, Hashable {
  case header(version: Int, line: Int)
  case architecture(ArchitectureName, line: Int)
  case memory(MemoryDeclaration)
  case policy(PolicyDeclaration)
  case actor(ActorDeclaration)
  case symbol(Symbol)
  case event(Event)
  /// A `note` event with its text (kept out of `Event` so events stay plain bytes).
  case note(Event, text: String)
  case expectation(Expectation)

  /// The event of an `event` or a `note`.
  @inlinable
  public var event: Event? {
    switch self {
    case .event(let e), .note(let e, _): return e
    default: return nil
    }
  }
}
