/// Which UV call an `inject` makes fail.
public enum InjectedFailure: String, CaseIterable, Sendable, Hashable {
  case export
  case pinShared = "pin-shared"
  /// A busy UV (UVC_CC_BUSY / UVC_CC_PARTIAL): the import is retried at once.
  case `import`
  /// A UV call that fails for good (any rc but busy): `make_folio_secure()`
  /// returns -EINVAL with PG_arch_1 already set, and KVM kills the guest.
  case importError = "import-error"
}

/// The scope of an accessibility-hook call (`make-accessible ... scope=`).
public enum HookScope: String, CaseIterable, Sendable, Hashable {
  case page, folio
}

/// A page size for SEV-SNP page state changes and PVALIDATE (`size=`).
public enum GuestPageSize: String, CaseIterable, Sendable, Hashable {
  case size4K = "4k"
  case size2M = "2m"
}

/// A guest page-table C-bit (`c=`).
public enum CBit: String, CaseIterable, Sendable, Hashable {
  case enc, dec
}

/// One event line: `[@TIME] ACTOR: VERB OPERANDS [key=value ...]`.
///
/// A plain value of fixed size (a `note`'s text travels beside it, in
/// `Statement.note`): streams of millions of events cost no allocation and
/// copy as plain bytes, with no reference counting.
public struct Event: Sendable, Hashable {
  // Declared widest first: 72 bytes instead of 88 with the padding the
  // natural order left between them (batches of events are written once by
  // the reader and read by every replay).

  /// The line in its file.
  public var line: Int
  /// Absolute trace time in nanoseconds.
  public var time: UInt64
  /// The pages; `count == 0` for verbs without a page operand.
  public var pages: PageRange
  /// `count=` of `inject` (default 1).
  public var count: UInt64
  /// The column of the verb (where model errors point).
  public var column: Int32
  /// The column of the page operand.
  public var operandColumn: Int32
  /// The actor's index in declaration order (see `ActorDeclaration.index`).
  public var actor: Int32
  /// Interned `id=` (DMA id), or -1.
  public var id: Int32
  /// Interned `via=` tag, or -1.
  public var via: Int32
  /// Actor index of `flush cpu=`, or -1.
  public var cpu: Int32
  public var words: EventWords
  public var verb: Verb
  /// Whether the time was written with `@` (for the writer).
  public var hasExplicitTime: Bool
  public var scope: HookScope?
  public var failure: InjectedFailure?
  public var size: GuestPageSize?
  public var cbit: CBit?

  public init(line: Int, column: Int32, time: UInt64, actor: Int32, verb: Verb, pages: PageRange) {
    self.line = line
    self.column = column
    self.operandColumn = column
    self.time = time
    self.hasExplicitTime = false
    self.actor = actor
    self.verb = verb
    self.pages = pages
    self.words = []
    self.scope = nil
    self.failure = nil
    self.count = 1
    self.size = nil
    self.cbit = nil
    self.id = -1
    self.via = -1
    self.cpu = -1
  }
}
