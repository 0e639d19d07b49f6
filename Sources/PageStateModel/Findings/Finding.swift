import PageStateTrace

/// One finding: what happened, where in the trace, to which page, and why in
/// kernel terms.
public struct Finding: Sendable, Hashable {
  public var kind: FindingKind
  public var severity: Severity
  /// The trace line of the event that produced it.
  public var line: Int
  /// Trace time in nanoseconds.
  public var time: UInt64
  public var actor: String
  /// The verb of the event, for the quoted context (`touch 0x1`).
  public var event: String
  public var page: UInt64
  /// The head page of the page's folio, and its order, at that moment.
  public var folio: UInt64
  public var folioOrder: Int
  /// The page's state at that moment (`secure`, `pinned-shared`, ...).
  public var state: String
  /// The one-line explanation, naming the kernel path.
  public var message: String
  /// For waits: the blocker chain, one link per line.
  public var chain: [String]

  public init(
    kind: FindingKind, severity: Severity? = nil, line: Int, time: UInt64, actor: String, event: String,
    page: UInt64, folio: UInt64, folioOrder: Int, state: String, message: String, chain: [String] = []
  ) {
    self.kind = kind
    self.severity = severity ?? kind.defaultSeverity
    self.line = line
    self.time = time
    self.actor = actor
    self.event = event
    self.page = page
    self.folio = folio
    self.folioOrder = folioOrder
    self.state = state
    self.message = message
    self.chain = chain
  }
}

/// Collects findings: every kind counted exactly, the findings themselves kept
/// up to a limit so a trace with millions of violations stays in bounded memory.
public struct FindingLog: Sendable, Hashable {
  /// Findings kept with their details (counts per kind stay exact): 10,000
  /// keeps a long trace's memory within a few MB of a short one's (P3).
  public static let storedLimit = 10_000
  /// Findings kept by this log (`--max-findings`; `Int.max`: all).
  public var limit = FindingLog.storedLimit
  public private(set) var findings: [Finding] = []
  public private(set) var counts = [Int](repeating: 0, count: FindingKind.allCases.count)
  public private(set) var dropped = 0
  public private(set) var worst: Severity?

  public init() {}

  public mutating func add(_ f: Finding) {
    counts[f.kind.index] += 1
    if worst == nil || f.severity > worst! { worst = f.severity }
    if findings.count < limit {
      findings.append(f)
    } else {
      dropped += 1
    }
  }

  /// Whether further findings are only counted (`limit` are kept).
  public var isFull: Bool { findings.count >= limit }

  /// Counts a finding that is not kept (`isFull`), as `add` would, without
  /// building it.
  public mutating func addDropped(_ kind: FindingKind, severity: Severity) {
    precondition(isFull)
    counts[kind.index] += 1
    if worst == nil || severity > worst! { worst = severity }
    dropped += 1
  }

  public func count(_ kind: FindingKind) -> Int { counts[kind.index] }

  /// Whether any finding is of severity error or hang (`replay` exits 1).
  public var hasErrorOrHang: Bool { worst.map { $0 >= .error } ?? false }

  /// Orders findings by trace line, then time (end-of-trace findings come last
  /// in time but name the line of their blocked event).
  public mutating func sort() {
    findings.sort { ($0.time, $0.line) < ($1.time, $1.line) }
  }
}

