import PageStateTrace

/// Turns a kernel trace (tracefs text, `trace-cmd report`, `perf script`,
/// the documented bpftrace format) into a trace of the trace language,
/// streamed: each input line is read once, in order, and becomes zero or
/// more statements at once. Memory grows with the pages, folios and tasks
/// the trace touches, never with its length.
///
/// The mapping of every event to statements, with the kernel function it
/// stands for, is docs/import.md. Every statement carries `# from LINE`,
/// the input line it comes from, so a finding leads back to the kernel's
/// own line.
///
/// Its state is only ever touched by the thread running `run`, one access at
/// a time: the properties opt out of dynamic exclusivity checks, which cost
/// more than the parsing itself (`@exclusivity(unchecked)`).
public final class KernelTraceImporter {
  /// The input's longest line; a longer one is cut and counted.
  public static let lineLimit = 64 * 1024

  let fileName: String
  let options: ImportOptions
  let out: TraceOutput
  @exclusivity(unchecked) public internal(set) var summary: ImportSummary
  let fields = EventFields()

  // Input.
  /// The input format, as the scanner found it (for the output's header).
  @exclusivity(unchecked) var format: KernelTraceFormat?
  @exclusivity(unchecked) var lineNumber = 0
  @exclusivity(unchecked) var vmemmap: UInt64?
  @exclusivity(unchecked) var lastTime: UInt64 = 0
  @exclusivity(unchecked) var startedOutput = false

  // Actors.
  @exclusivity(unchecked) var actors: [ImportedActor] = []
  @exclusivity(unchecked) var actorOfTask = PageTable(capacity: 64)
  @exclusivity(unchecked) var actorNames: Set<String> = []
  @exclusivity(unchecked) var interruptActor: Int32 = -1
  @exclusivity(unchecked) var deviceActors: [String: Int32] = [:]
  @exclusivity(unchecked) var currentDevice: Int32 = -1

  // Pages and folios.
  @exclusivity(unchecked) var folios: [ImportedFolio] = []
  @exclusivity(unchecked) var folioOfPage = PageTable(capacity: 4096)
  /// Compound allocations of order > 0 seen (mm_page_alloc, the page cache), by head pfn.
  @exclusivity(unchecked) var allocatedOrder = PageTable(capacity: 1024)
  /// Backing seen for pages not yet declared: 1 anonymous, 2 page cache.
  @exclusivity(unchecked) var backingHint = PageTable(capacity: 1024)
  /// Folios holding LRU-batch references.
  @exclusivity(unchecked) var lruFolios: [Int32] = []
  /// Whether the trace has `gup_put_folio` events (then the unpin API events are only context).
  @exclusivity(unchecked) var sawGupPut = false
  /// The FOLL_* layout (`--kernel`, or learnt from the first flags value that tells).
  @exclusivity(unchecked) var layout: GUPFlags.Layout?

  /// An importer writing its trace through `output` (which it flushes at the end).
  public init(fileName: String, options: ImportOptions, output: TraceOutput) {
    self.fileName = fileName
    self.options = options
    self.out = output
    self.summary = ImportSummary(file: fileName)
    self.vmemmap = options.vmemmap
    self.layout = options.kernel.flatMap(GUPFlags.layout(release:))
  }

  /// Reads every line of `source`. Throws only for `--strict` (the first line
  /// not understood), a read error, or a trace beyond the language's limits;
  /// the statements of the lines before the error are written.
  ///
  /// Two stages: this thread reads, parses and classifies
  /// (`KernelTraceScanner`); a serial queue applies the batches it hands on,
  /// at most four in flight (bounded memory), in order. The output is the
  /// same as one thread's.
  @discardableResult
  public func run(_ source: ByteSource) throws(TraceError) -> ImportSummary {
    let scanner = KernelTraceScanner(fileName: fileName, options: options)
    let apply = ApplyStage(importer: self)
    var scanError: TraceError?
    do {
      if let failure = try source.forEachLine(limit: KernelTraceImporter.lineLimit, { (line) throws(TraceError) in
        scanner.lineNumber = line.number
        scanner.summary.lines = line.number
        if line.isTruncated {
          scanner.summary.truncated += 1
          if options.strict {
            throw scanner.error(column: KernelTraceImporter.lineLimit + 1, "line is longer than \(KernelTraceImporter.lineLimit) bytes")
          }
          return
        }
        try scanner.scan(line.bytes)
        if scanner.batch.isFull {
          guard apply.submit(scanner.take()) else { throw ApplyStage.stopped }
        }
      }) {
        scanError = TraceError(SourceLocation(file: fileName, line: scanner.lineNumber, column: 1), "cannot read '\(fileName)': \(failure)")
      }
    } catch {
      scanError = error
    }
    _ = apply.submit(scanner.take())
    // The apply stage's error comes from an earlier line than the scanner's.
    if let e = apply.finish() { throw e }
    if let scanError, scanError.message != ApplyStage.stopped.message { throw scanError }
    summary.merge(scanner.summary)
    try finish()
    summary.format = format
    out.flush()
    return summary
  }

  /// Applies one batch of the scanner's, in order.
  func process(_ batch: KernelTraceScanner.Batch) throws(TraceError) {
    if format == nil { format = batch.format }
    try batch.bytes.withUnsafeBufferPointer { (all) throws(TraceError) in
      for r in batch.records {
        lineNumber = r.number
        guard let kind = r.kind else {
          comment(batch.comments[r.offset])
          continue
        }
        let p = UnsafeBufferPointer(rebasing: all[r.offset..<(r.offset + r.length)])
        fields.reset(r.line.body)
        var time = r.line.time
        if time < lastTime {
          summary.clampedTimes += 1
          time = lastTime
        }
        lastTime = time
        try apply(kind, p, r.line, time: time)
      }
    }
  }

  func error(column: Int, _ message: String) -> TraceError {
    TraceError(SourceLocation(file: fileName, line: lineNumber, column: column), message)
  }

  /// Flushes what waits for a following event, closes the output.
  func finish() throws(TraceError) {
    for a in actors.indices { try flushPending(Int32(a), time: lastTime) }
    startOutput()
    for f in folios {
      for h in f.holds {
        switch h.kind {
        case .get: summary.heldAtEnd.gets += Int(h.count)
        case .pin: summary.heldAtEnd.pins += Int(h.count)
        case .longtermPin: summary.heldAtEnd.longtermPins += Int(h.count)
        case .lru: break
        }
      }
      if f.writeback { summary.heldAtEnd.writebacks += 1 }
    }
  }
}

/// A task (or the interrupt context, a device, a guest vCPU) as an actor.
struct ImportedActor {
  var name: String
  /// `name` in UTF-8, written on every event line.
  var nameBytes: [UInt8]
  var kind: ActorKind
  var role: String
  var declared = false
  var comm: [UInt8] = []
  var pid: Int64 = -1
  /// The FOLL_* flags of the GUP call in progress.
  var gupFlags: UInt64 = 0
  /// The first user address of the GUP call in progress, and how many pages
  /// it has grabbed so far: the address of the next grab.
  var gupStart: UInt64?
  var gupGrabbed: UInt64 = 0
  /// A grab that named only its folio, waiting for the page `follow_page_pte()` returns.
  var pendingGrab: (folio: Int32, refs: UInt64, flags: UInt64, line: Int)?
  /// Unpins of the unpin API, waiting for the `gup_put_folio()` inside them.
  var pendingUnpins: [(pfn: UInt64, count: UInt64, line: Int)] = []
  /// The last direct I/O's direction: true when the device reads memory (a write to disk).
  var dioDeviceReads = true
}

/// A folio the trace touched, as declared by a `memory` statement.
struct ImportedFolio {
  var head: UInt64
  var order: UInt8
  var anonymous: Bool
  var guest: Bool
  var guestActor: Int32 = -1
  var writeback = false
  var writebackActor: Int32 = -1
  var holds: [ImportedHold] = []
  /// Per page of a guest folio, whether the guest shared it (bit set).
  var shared: [UInt64] = []
  var pageCount: UInt64 { 1 << UInt64(order) }
  func contains(_ pfn: UInt64) -> Bool { pfn >= head && pfn < head + pageCount }
}

/// References the importer knows a folio holds, per actor and kind.
struct ImportedHold {
  enum Kind: UInt8 {
    case get, pin, longtermPin, lru
  }
  var actor: Int32
  var kind: Kind
  /// The pages the references were taken on, in order, as runs of
  /// references on one page (a page taken again and again, as KVM's faults
  /// take a FOLL_GET reference whose put_page() is inline, stays one entry).
  var runs: [(page: UInt64, count: UInt64)] = []
  var count: UInt64 = 0

  init(actor: Int32, kind: Kind) {
    self.actor = actor
    self.kind = kind
  }

  mutating func add(_ page: UInt64, count n: UInt64) {
    var q = page
    while q < page + n {
      if let last = runs.last, last.page == q {
        runs[runs.count - 1].count += 1
      } else {
        runs.append((q, 1))
      }
      q += 1
    }
    count += n
  }

  /// Takes the latest `n` references off, and returns their pages.
  mutating func removeLatest(_ n: UInt64) -> [UInt64] {
    var pages: [UInt64] = []
    var left = n
    while left > 0, let last = runs.last {
      let k = min(left, last.count)
      pages.append(contentsOf: repeatElement(last.page, count: Int(k)))
      if k == last.count { runs.removeLast() } else { runs[runs.count - 1].count -= k }
      left -= k
    }
    count -= n - left
    return pages
  }

  /// Every page, one per reference.
  var allPages: [UInt64] { runs.flatMap { repeatElement($0.page, count: Int($0.count)) } }
}
