import PageStateModel
import PageStateTrace

/// An actor during a replay: its queue of events waiting behind a blocked one.
struct ActorState: Sendable {
  var name: String
  var kind: ActorKind
  /// Whether the actor waits; the fields of its blocked event below mean
  /// something only while it does.
  ///
  /// The blocked event is kept in plain fields and changed in place: as an
  /// optional struct holding a reference it was copied, and destroyed
  /// through the generic value witnesses, every time a wait began, was
  /// retried or ended (about a fifth of the engine's work on `mixed`).
  private(set) var isBlocked = false
  /// The event that waits.
  private(set) var blockedEvent = Event(line: 0, column: 0, time: 0, actor: 0, verb: .get, pages: PageRange(first: 0, count: 0))
  /// The page offset its retry starts from.
  private(set) var resumeAt: UInt64 = 0
  /// What it waits for (nil when not blocked).
  private(set) var wait: Wait?
  /// When the wait began.
  private(set) var since: UInt64 = 0
  /// Under `wait=bounded:D`, for conversions: when the actor gives up.
  private(set) var deadline: UInt64?
  /// Block order, for retrying waiters in the order they blocked.
  private(set) var sequence = 0
  /// The folio the blocked event waits on (empty when not blocked).
  private(set) var waitFolio = PageRange(first: 0, count: 0)

  /// The blocked event as one value, for the paths off the hot one (hangs,
  /// bounded waits, the explorer's fingerprint).
  var blocked: BlockedEvent? {
    guard isBlocked, let wait else { return nil }
    return BlockedEvent(event: blockedEvent, resumeAt: resumeAt, wait: wait, since: since, deadline: deadline, sequence: sequence)
  }

  /// The actor starts to wait.
  mutating func block(_ e: Event, resumeAt: UInt64, wait: Wait, since: UInt64, deadline: UInt64?, sequence: Int) {
    isBlocked = true
    blockedEvent = e
    self.resumeAt = resumeAt
    self.wait = wait
    self.since = since
    self.deadline = deadline
    self.sequence = sequence
    waitFolio = wait.folio
  }

  /// A retry of the blocked event blocked again, on `wait`, from `resumeAt`.
  mutating func waitAgain(_ wait: Wait, resumeAt: UInt64) {
    self.wait = wait
    self.resumeAt = resumeAt
    waitFolio = wait.folio
  }

  /// The wait ended.
  mutating func unblock() {
    isBlocked = false
    wait = nil
    deadline = nil
    waitFolio = PageRange(first: 0, count: 0)
  }

  /// Events queued behind the blocked one, in program order (`queue[queueHead...]`).
  var queue: [Event] = []
  var queueHead = 0
  /// Events past `Replay.queueLimit`, counted but not kept, and the first of them.
  var dropped = 0
  var firstDropped: Event?

  var hasQueue: Bool { queueHead < queue.count }

  mutating func popQueue() -> Event {
    let e = queue[queueHead]
    queueHead += 1
    if queueHead == queue.count {
      queue.removeAll(keepingCapacity: true)
      queueHead = 0
    }
    return e
  }

  mutating func dropQueue() {
    queue.removeAll()
    queueHead = 0
    dropped = 0
    firstDropped = nil
  }
}

/// A blocked event: what it waits for, since when, and where to resume.
struct BlockedEvent: Sendable {
  var event: Event
  var resumeAt: UInt64
  var wait: Wait
  var since: UInt64
  /// Under `wait=bounded:D`, for conversions: when the actor gives up.
  var deadline: UInt64?
  /// Block order, for retrying waiters in the order they blocked.
  var sequence: Int
}
