import Dispatch
import PageStateModel
import PageStateTrace

#if canImport(Glibc)
  import Glibc
#endif

extension Session {
  /// Statements per batch handed from the reader thread to the replays.
  static let batchSize = 16384
  /// Batches in flight between the reader and the replays (bounded memory).
  static let batchesInFlight = 4

  /// Reads a trace and replays it like `run`, with the reader on its own
  /// thread and the policies replayed side by side: parsing overlaps the
  /// replays, and `compare`'s policies use the other cores. Results are the
  /// same as `run`'s whatever the scheduling: each replay sees the same
  /// statements in the same order, and the first error in file order wins.
  ///
  /// `threads` caps the threads the replays use (nil: one per core). With
  /// 1, everything runs on the calling thread, batch by batch: for sweeps
  /// that run many processes at once, and to measure the work a run does
  /// apart from how it is spread over cores.
  public static func runPipelined(
    fileName: String, source: ByteSource, mode: Mode, overrides: [(key: String, value: String)] = [],
    recordsTimeline: Bool = false, threads: Int? = nil, findingLimit: Int = FindingLog.storedLimit, progress: ((Int) -> Void)? = nil
  ) throws(TraceError) -> (Session, [ReplayResult]) {
    var session = Session(fileName: fileName, mode: mode, overrides: overrides)
    session.recordsTimeline = recordsTimeline
    session.findingLimit = findingLimit
    let parseError: TraceError?
    if threads == 1 {
      parseError = try session.readInline(TraceReader(fileName: fileName, source: source), progress: progress)
    } else {
      parseError = try session.readOnThread(TraceReader(fileName: fileName, source: source), threads: threads, progress: progress)
    }
    if case .check = mode {} else if let first = session.errors.compactMap({ $0 }).min(by: { $0.location.line < $1.location.line }) {
      // Outside `check` the first model error (in file order) stops the run;
      // every model error comes before a parse error (nothing after it was read).
      throw first
    }
    if let parseError { throw parseError }
    let results = try session.finish()
    return (session, results)
  }

  /// The reader on a thread of its own, the replays fed by `ReplayWorkers`
  /// (or on this thread, for one replay). Returns the parse error, if any.
  mutating func readOnThread(_ reader: TraceReader, threads: Int?, progress: ((Int) -> Void)?) throws(TraceError) -> TraceError? {
    let channel = BatchChannel(capacity: Session.batchesInFlight)
    let fileName = reader.fileName
    nonisolated(unsafe) let reader = reader
    let batchSize = Session.batchSize
    startThread {
      var reader = reader
      var batch = StatementBatch(reservingCapacity: batchSize)
      do {
        while try reader.read(into: &batch, limit: batchSize) {
          channel.send(.statements(batch))
          batch = StatementBatch(reservingCapacity: batchSize)
        }
        if !batch.isEmpty { channel.send(.statements(batch)) }
        channel.send(.end)
      } catch let error as TraceError {
        if !batch.isEmpty { channel.send(.statements(batch)) }
        channel.send(.failed(error))
      } catch {
        channel.send(.failed(TraceError(SourceLocation(file: fileName, line: 0, column: 0), "\(error)")))
      }
    }
    defer { channel.drain() }
    var workers: ReplayWorkers?
    defer { if let workers { workers.finish(session: &self) } }
    var batches = 0
    while true {
      switch channel.receive() {
      case .statements(let batch):
        batches += 1
        if let progress, batches & 15 == 0, let line = batch.lastEventLine { progress(line) }
        guard let (first, firstOther) = try prepare(batch) else { continue }
        if replays.count == 1 {
          try feedOne(batch, fromEvent: first, fromOther: firstOther)
          continue
        }
        if workers == nil { workers = ReplayWorkers(session: &self, threads: threads) }
        if !workers!.send(batch, fromEvent: first, fromOther: firstOther) { return nil }
      case .end:
        return nil
      case .failed(let error):
        return error
      }
    }
  }

  /// Reads and replays on the calling thread, one batch at a time, each
  /// replay in turn. Returns the parse error, if any.
  mutating func readInline(_ reader: TraceReader, progress: ((Int) -> Void)?) throws(TraceError) -> TraceError? {
    var reader = reader
    var batch = StatementBatch(reservingCapacity: Session.batchSize)
    var batches = 0
    let stopsOnError: Bool
    if case .check = mode { stopsOnError = false } else { stopsOnError = true }
    while true {
      let more: Bool
      var parseError: TraceError?
      do {
        more = try reader.read(into: &batch, limit: Session.batchSize)
      } catch {
        parseError = error
        more = false
      }
      batches += 1
      if let progress, batches & 15 == 0, let line = batch.lastEventLine { progress(line) }
      if let (first, firstOther) = try prepare(batch) {
        if replays.count == 1 {
          try feedOne(batch, fromEvent: first, fromOther: firstOther)
        } else {
          // Like `ReplayWorkers`: every replay takes the batch; a model
          // error (outside `check`) ends the run after it.
          var stop = false
          for i in replays.indices where errors[i] == nil {
            do {
              try replays[i].feed(batch, fromEvent: first, fromOther: firstOther)
            } catch {
              errors[i] = error
              if stopsOnError { stop = true }
            }
          }
          if stop { return nil }
        }
      }
      if let parseError { return parseError }
      if !more { return nil }
    }
  }

  /// Handles the statements of a batch that are the session's: setup until
  /// the first event starts the replays, and expectations. Returns where the
  /// replays take the batch up, or nil if nothing is left for them.
  mutating func prepare(_ batch: StatementBatch) throws(TraceError) -> (first: Int, firstOther: Int)? {
    var first = 0
    var firstOther = 0
    while !started {
      if firstOther < batch.others.count && batch.positions[firstOther] <= first {
        try feed(batch.others[firstOther])
        firstOther += 1
      } else if first < batch.events.count {
        try feed(.event(batch.events[first]))
        first += 1
      } else {
        return nil
      }
    }
    guard first < batch.events.count || firstOther < batch.others.count else { return nil }
    // Expectations are the session's (the reader allows no policy statement
    // after the first event); the replays see the rest.
    for s in batch.others[firstOther...] {
      if case .expectation = s { try feed(s) }
    }
    return (first, firstOther)
  }

  /// One replay, on the calling thread while the reader parses ahead.
  mutating func feedOne(_ batch: StatementBatch, fromEvent first: Int, fromOther firstOther: Int) throws(TraceError) {
    guard errors[0] == nil else { return }
    do {
      try replays[0].feed(batch, fromEvent: first, fromOther: firstOther)
    } catch {
      errors[0] = error
      if case .check = mode { return }
      throw error
    }
  }
}

/// The replays of a `compare` or `check`, run by one thread per core: each
/// thread takes whichever replay is furthest behind and feeds it the next
/// batch (a replay is fed by one thread at a time, batches in order). No
/// barrier between batches, and no more runnable threads than cores, so a
/// slow policy never holds the others up and the cores stay busy.
struct ReplayWorkers {
  /// Batches in flight between the slowest replay and the reader.
  static let capacity = 8

  let broadcast: BatchBroadcast
  /// The replays and their errors, moved out of the session while the
  /// threads own them (a replay is touched by one thread at a time).
  let replays: UnsafeMutableBufferPointer<any ReplayDriver>
  let errors: UnsafeMutableBufferPointer<TraceError?>

  init(session: inout Session, threads limit: Int? = nil) {
    let count = session.replays.count
    let threads = max(1, min(count, limit ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    broadcast = BatchBroadcast(consumers: count, workers: threads, capacity: ReplayWorkers.capacity)
    replays = .allocate(capacity: count)
    _ = replays.initialize(from: session.replays)
    errors = .allocate(capacity: count)
    _ = errors.initialize(from: session.errors)
    session.replays = []
    let stopsOnError: Bool
    if case .check = session.mode { stopsOnError = false } else { stopsOnError = true }
    for _ in 0..<threads {
      nonisolated(unsafe) let (r, e) = (replays, errors)
      let broadcast = broadcast
      startThread {
        while let (i, item) = broadcast.claim() {
          if case .batch(let batch, let first, let firstOther) = item, e[i] == nil {
            do {
              try r[i].feed(batch, fromEvent: first, fromOther: firstOther)
            } catch let error as TraceError {
              e[i] = error
              // The other replays still take every batch sent so far, so an
              // earlier error of theirs is still found.
              if stopsOnError { broadcast.stop() }
            } catch {}
          }
          broadcast.done(i)
        }
        broadcast.workerFinished()
      }
    }
  }

  /// Hands a batch to every replay; false once a model error stopped the run.
  func send(_ batch: StatementBatch, fromEvent first: Int, fromOther firstOther: Int) -> Bool {
    broadcast.send(.batch(batch, first: first, firstOther: firstOther))
  }

  /// Ends the threads and gives the replays back to the session.
  func finish(session: inout Session) {
    _ = broadcast.send(.end)
    broadcast.waitForWorkers()
    session.replays = Array(replays)
    session.errors = Array(errors)
    _ = replays.deinitialize()
    replays.deallocate()
    _ = errors.deinitialize()
    errors.deallocate()
  }
}

/// One producer and several consumers that each take every item in order,
/// served by a few worker threads. The producer waits while the slowest
/// consumer is `capacity` items behind.
final class BatchBroadcast: @unchecked Sendable {
  enum Item {
    case batch(StatementBatch, first: Int, firstOther: Int)
    case end
  }

  private var items: [Item] = []
  /// The sequence number of `items[0]`.
  private var base = 0
  /// Per consumer, the sequence number of the next item it takes.
  private var next: [Int]
  /// Per consumer: a worker is feeding it / it has taken `.end`.
  private var running: [Bool]
  private var ended: [Bool]
  private var stopped = false
  private let workers: Int
  private var finishedWorkers = 0
  private let lock = NSConditionLike()
  private let capacity: Int

  init(consumers: Int, workers: Int, capacity: Int) {
    next = Array(repeating: 0, count: consumers)
    running = Array(repeating: false, count: consumers)
    ended = Array(repeating: false, count: consumers)
    self.workers = workers
    self.capacity = capacity
  }

  /// Queues an item for every consumer. A batch is refused (false) after
  /// `stop()`; `.end` is always queued.
  func send(_ item: Item) -> Bool {
    let accepted: Bool = lock.withLock { wait in
      while base + items.count - next.min()! >= capacity && !stopped { wait() }
      if stopped, case .batch = item { return false }
      items.append(item)
      return true
    }
    lock.signal()
    return accepted
  }

  /// The consumer furthest behind that no worker is feeding and that has an
  /// item waiting, with that item; nil once every consumer has taken `.end`.
  func claim() -> (consumer: Int, item: Item)? {
    lock.withLock { wait in
      while true {
        if !ended.contains(false) { return nil }
        var pick = -1
        for i in next.indices where !running[i] && !ended[i] && next[i] < base + items.count {
          if pick < 0 || next[i] < next[pick] { pick = i }
        }
        if pick < 0 {
          wait()
          continue
        }
        let item = items[next[pick] - base]
        next[pick] += 1
        running[pick] = true
        if case .end = item { ended[pick] = true }
        let low = next.min()!
        if low > base {
          items.removeFirst(low - base)
          base = low
        }
        return (pick, item)
      }
    }
  }

  /// A worker finished feeding `consumer` its item.
  func done(_ consumer: Int) {
    lock.withLock { _ in running[consumer] = false }
    lock.signal()
  }

  /// A model error ends the run: batches sent from now on are refused.
  func stop() {
    lock.withLock { _ in stopped = true }
    lock.signal()
  }

  func workerFinished() {
    lock.withLock { _ in finishedWorkers += 1 }
    lock.signal()
  }

  func waitForWorkers() {
    lock.withLock { wait in
      while finishedWorkers < workers { wait() }
    }
  }
}

/// Runs `body` on a new detached thread (pthread: no Foundation needed).
func startThread(_ body: @escaping @Sendable () -> Void) {
  final class Box: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let box = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread = pthread_t()
  let rc = pthread_create(&thread, nil, { raw in
    let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
    box.body()
    return nil
  }, box)
  precondition(rc == 0, "pthread_create failed: \(rc)")
  pthread_detach(thread)
}

/// A bounded single-producer, single-consumer queue of statement batches.
final class BatchChannel: @unchecked Sendable {
  enum Item {
    case statements(StatementBatch)
    case end
    case failed(TraceError)
  }

  private var items: [Item] = []
  private var closed = false
  private let lock = NSConditionLike()
  private let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
  }

  func send(_ item: Item) {
    lock.withLock { wait in
      while items.count >= capacity && !closed { wait() }
      if !closed { items.append(item) }
    }
    lock.signal()
  }

  func receive() -> Item {
    let item: Item = lock.withLock { wait in
      while items.isEmpty { wait() }
      return items.removeFirst()
    }
    lock.signal()
    return item
  }

  /// The consumer is done: unblock the producer and drop what is queued.
  func drain() {
    lock.withLock { _ in
      closed = true
      items.removeAll()
    }
    lock.signal()
  }
}

/// A mutex with one condition variable (pthread), enough for `BatchChannel`.
final class NSConditionLike: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var condition = pthread_cond_t()

  init() {
    pthread_mutex_init(&mutex, nil)
    pthread_cond_init(&condition, nil)
  }

  deinit {
    pthread_cond_destroy(&condition)
    pthread_mutex_destroy(&mutex)
  }

  /// Runs `body` holding the mutex; `body` may call its argument to wait.
  func withLock<T>(_ body: (() -> Void) -> T) -> T {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return body { pthread_cond_wait(&self.condition, &self.mutex) }
  }

  func signal() {
    pthread_mutex_lock(&mutex)
    pthread_cond_broadcast(&condition)
    pthread_mutex_unlock(&mutex)
  }
}
