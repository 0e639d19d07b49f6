import PageStateTrace

/// The rules of one confidential-computing architecture: what each verb does
/// to pages and folios, which waits it needs, which findings it raises.
///
/// The engine owns actors, program order, time, waits and the end-of-trace
/// analysis for every architecture; an architecture only answers "what does
/// this event do to this memory under this policy".
public protocol Architecture: Sendable {
  /// The architecture's name in traces.
  static var name: ArchitectureName { get }

  /// Adds a `memory` block with its initial state (page bits, folio flags).
  static func declare(_ declaration: MemoryDeclaration, in model: inout Model)

  /// Why `declaration` describes memory the kernel cannot have under
  /// `policy` (an input error at its line), or nil.
  static func declarationError(_ declaration: MemoryDeclaration, policy: Policy) -> String?

  /// The state of a page as reports name it (`secure`, `pinned-shared`,
  /// `shared+pinned`, ...).
  static func stateName(of page: UInt64, in model: inout Model) -> String

  /// Applies `event` from page offset `offset` on (a retry resumes where the
  /// event blocked). Findings go to `model.findings`.
  static func apply(_ event: Event, from offset: UInt64, model: inout Model) -> Outcome
}

extension Architecture {
  public static func declarationError(_ declaration: MemoryDeclaration, policy: Policy) -> String? { nil }
}

/// What an event did.
public enum Outcome: Sendable, Hashable {
  /// The event completed.
  case done
  /// The event must wait; retry it from page offset `resumeAt` when the folio changes.
  case blocked(Wait, resumeAt: UInt64)
  /// The VMM kills the guest (`guest-killed` was reported).
  case killGuest
  /// The event cannot be applied: an input error at the event's verb.
  case failed(String)
}

/// What a blocked actor waits for.
///
/// The parts live in one shared, immutable box: an `Outcome` holding a wait
/// is then two words, like one holding a message, so the outcome of every
/// event (nearly always `.done`) travels in registers. With the parts inline
/// it was 112 bytes, copied through memory at each return on the way from a
/// verb to the engine. Only a blocking event allocates the box.
public struct Wait: Sendable, Hashable {
  public enum Condition: String, Sendable, Hashable {
    case unlock
    case writebackEnd = "writeback-end"
    case references
  }

  struct Parts: Sendable {
    var condition: Condition
    var page: UInt64
    var folio: PageRange
    var isConversion: Bool
    var action: Action
    var text: String?
  }

  final class Box: Sendable {
    let parts: Parts
    init(_ parts: Parts) { self.parts = parts }
  }

  var box: Box

  /// Changes one part (a new box: others may share this one).
  private mutating func update(_ change: (inout Parts) -> Void) {
    var p = box.parts
    change(&p)
    box = Box(p)
  }

  public var condition: Condition {
    get { box.parts.condition }
    set { update { $0.condition = newValue } }
  }
  /// A page of the folio waited on (the folio may change order meanwhile).
  public var page: UInt64 {
    get { box.parts.page }
    set { update { $0.page = newValue } }
  }
  /// The head of the folio at the time of blocking, and its size.
  public var folio: PageRange {
    get { box.parts.folio }
    set { update { $0.folio = newValue } }
  }
  /// Whether the wait is a conversion's (bounded by the `wait` knob).
  public var isConversion: Bool {
    get { box.parts.isConversion }
    set { update { $0.isConversion = newValue } }
  }
  /// What waits, kept as parts: most waits end without anyone reading it.
  var action: Action { box.parts.action }

  /// What waits, in kernel terms: `import of 0x1`.
  public var what: String {
    get { box.parts.text ?? box.parts.action.description }
    set { update { $0.text = newValue } }
  }

  public init(condition: Condition, page: UInt64, folio: PageRange, isConversion: Bool, what: String) {
    box = Box(Parts(condition: condition, page: page, folio: folio, isConversion: isConversion, action: .named(""), text: what))
  }

  init(condition: Condition, page: UInt64, folio: PageRange, isConversion: Bool, action: Action) {
    box = Box(Parts(condition: condition, page: page, folio: folio, isConversion: isConversion, action: action, text: nil))
  }

  // By the text of `what`, as when it was stored as a String.
  public static func == (a: Wait, b: Wait) -> Bool {
    a.condition == b.condition && a.page == b.page && a.folio == b.folio && a.isConversion == b.isConversion
      && a.what == b.what
  }

  public func hash(into h: inout Hasher) {
    h.combine(condition)
    h.combine(page)
    h.combine(folio)
    h.combine(isConversion)
    h.combine(what)
  }
}

/// An open DMA window (`dma-start` .. `dma-end`).
public struct DMAWindow: Sendable, Hashable {
  public var actor: Int32
  public var id: Int32
  public var pages: PageRange
  public var line: Int
  public var write: Bool
}

/// Pending fault injections on one page (`inject`).
public struct Injection: Sendable, Hashable {
  public var export: UInt64 = 0
  public var pinShared: UInt64 = 0
  public var `import`: UInt64 = 0
  public var importError: UInt64 = 0
}

/// The state a replay changes: memory, statistics, findings, DMA windows,
/// injections. A value: the explorer copies and hashes it.
public struct Model: Sendable {
  public var policy: Policy
  public var memory = Memory()
  public var stats = Statistics()
  public var findings = FindingLog()
  /// The DMA windows in flight (`dma-start` without its `dma-end`).
  public private(set) var dmaWindows: [DMAWindow] = []
  /// With more than `Model.indexedWindows` windows in flight, their
  /// positions by actor and id (a device with 100 k windows open must not
  /// cost a scan per event); nil below, where a scan is cheaper.
  var windowIndex: [UInt64: Int]?
  static let indexedWindows = 16
  public var injections: [UInt64: Injection] = [:]
  /// Host TLB entries (SEV: a deferred flush leaves them stale).
  public var tlb = TLBTable()
  /// Folios split from a large folio, by head page, with their original order
  /// (SEV-SNP `large=split` merges them back when uniform).
  public var splitFolios: [UInt64: UInt8] = [:]
  /// Actor names and kinds by index.
  public var actorNames: [String] = []
  public var actorKinds: [ActorKind] = []
  public var symbols: [String] = []
  /// Current trace time.
  public var time: UInt64 = 0
  public var fileName = ""

  public init(policy: Policy) {
    self.policy = policy
  }

  @inline(__always)
  static func windowKey(_ actor: Int32, _ id: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: actor)) << 32 | UInt64(UInt32(bitPattern: id))
  }

  /// The position in `dmaWindows` of `actor`'s window `id`, or nil.
  public func window(actor: Int32, id: Int32) -> Int? {
    if let index = windowIndex { return index[Model.windowKey(actor, id)] }
    return dmaWindows.lastIndex { $0.actor == actor && $0.id == id }
  }

  /// Opens a DMA window (the caller checked it is not in flight).
  public mutating func openWindow(_ w: DMAWindow) {
    dmaWindows.append(w)
    if windowIndex != nil {
      windowIndex![Model.windowKey(w.actor, w.id)] = dmaWindows.count - 1
    } else if dmaWindows.count > Model.indexedWindows {
      var index: [UInt64: Int] = [:]
      for (i, v) in dmaWindows.enumerated() { index[Model.windowKey(v.actor, v.id)] = i }
      windowIndex = index
    }
  }

  /// Closes the window at `position`. Without the index the others keep
  /// their order; with it, the last window takes the closed one's place.
  public mutating func closeWindow(at position: Int) {
    guard windowIndex != nil else {
      dmaWindows.remove(at: position)
      return
    }
    let closed = dmaWindows[position]
    windowIndex![Model.windowKey(closed.actor, closed.id)] = nil
    let last = dmaWindows.count - 1
    if position != last {
      dmaWindows[position] = dmaWindows[last]
      windowIndex![Model.windowKey(dmaWindows[position].actor, dmaWindows[position].id)] = position
    }
    dmaWindows.removeLast()
    if dmaWindows.count <= Model.indexedWindows / 2 { windowIndex = nil }
  }

  /// Reports a finding about `page` at `event`.
  public mutating func report(
    _ kind: FindingKind, severity: Severity? = nil, at event: Event, page: UInt64, state: String, message: String
  ) {
    let f = memory.folio(of: page)
    findings.add(
      Finding(
        kind: kind, severity: severity, line: event.line, time: time, actor: actorNames[Int(event.actor)],
        event: "\(event.verb.name) \(event.pages.count > 0 ? event.pages.description : "")".trimmingTrailingSpace,
        page: page, folio: f.head, folioOrder: Int(memory.entries[f.index].order), state: state, message: message))
  }

  /// Reports a finding whose state and message `describe` builds, only if
  /// the log still keeps findings: past `FindingLog.storedLimit` one is only
  /// counted, and its text (thousands of instructions) would be thrown away.
  mutating func report(
    _ kind: FindingKind, severity: Severity? = nil, at event: Event, page: UInt64,
    _ describe: (inout Model) -> (state: String, message: String)
  ) {
    if findings.isFull {
      findings.addDropped(kind, severity: severity ?? kind.defaultSeverity)
      return
    }
    let d = describe(&self)
    report(kind, severity: severity, at: event, page: page, state: d.state, message: d.message)
  }

  /// `qemu`, or `actor #3` if unknown.
  public func actorName(_ index: Int32) -> String {
    Int(index) < actorNames.count ? actorNames[Int(index)] : "actor #\(index)"
  }

  /// How a holder record reads in a chain: `pin 0x0 longterm by qemu at line 7`.
  public func describe(_ h: Holder, page: UInt64) -> String {
    let what: String
    switch h.kind {
    case .pinLongterm: what = "pin \(hex(page)) longterm"
    case .lock: what = "lock of \(hex(page))"
    case .writeback: what = "writeback of \(hex(page))"
    default: what = "\(h.kind.verb) \(hex(page))\(h.count > 1 ? " (x\(h.count))" : "")"
    }
    return "\(what) by \(actorName(h.actor)) at line \(h.line)"
  }
}

extension String {
  var trimmingTrailingSpace: String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
