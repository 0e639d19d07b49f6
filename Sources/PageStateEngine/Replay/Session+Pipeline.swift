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
  public static func runPipelined(
    fileName: String, source: ByteSource, mode: Mode, overrides: [(key: String, value: String)] = [],
    recordsTimeline: Bool = false, progress: ((Int) -> Void)? = nil
  ) throws(TraceError) -> (Session, [ReplayResult]) {
    let channel = BatchChannel(capacity: batchesInFlight)
    nonisolated(unsafe) let reader = TraceReader(fileName: fileName, source: source)
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
    var session = Session(fileName: fileName, mode: mode, overrides: overrides)
    session.recordsTimeline = recordsTimeline
    defer { channel.drain() }
    var batches = 0
    while true {
      switch channel.receive() {
      case .statements(let batch):
        try session.feed(batch: batch)
        batches += 1
        if let progress, batches & 15 == 0, let line = batch.lastEventLine { progress(line) }
      case .end:
        let results = try session.finish()
        return (session, results)
      case .failed(let error):
        throw error
      }
    }
  }

  /// Feeds a batch: setup statements go through `feed`; from the first event
  /// on, every replay runs through the rest of the batch, the replays in parallel.
  mutating func feed(batch: StatementBatch) throws(TraceError) {
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
        return
      }
    }
    guard first < batch.events.count || firstOther < batch.others.count else { return }
    // Expectations are the session's (the reader allows no policy statement
    // after the first event); the replays see the rest.
    for s in batch.others[firstOther...] {
      if case .expectation = s { try feed(s) }
    }
    let count = replays.count
    if count == 1 {
      if errors[0] == nil {
        do {
          try replays[0].feed(batch, fromEvent: first, fromOther: firstOther)
        } catch {
          errors[0] = error
        }
      }
    } else {
      // Moved out of `self` so each replay's storage stays uniquely referenced
      // (a shared copy would make the first write copy its whole memory).
      nonisolated(unsafe) var replays = self.replays
      nonisolated(unsafe) var errors = self.errors
      self.replays = []
      replays.withUnsafeMutableBufferPointer { r in
        errors.withUnsafeMutableBufferPointer { e in
          nonisolated(unsafe) let r = r
          nonisolated(unsafe) let e = e
          let (first, firstOther) = (first, firstOther)
          DispatchQueue.concurrentPerform(iterations: count) { i in
            guard e[i] == nil else { return }
            do {
              try r[i].feed(batch, fromEvent: first, fromOther: firstOther)
            } catch let error as TraceError {
              e[i] = error
            } catch {
              return
            }
          }
        }
      }
      self.replays = replays
      self.errors = errors
    }
    if case .check = mode { return }
    // Outside `check` the first model error (in file order) stops the run.
    if let first = errors.compactMap({ $0 }).min(by: { $0.location.line < $1.location.line }) {
      throw first
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
