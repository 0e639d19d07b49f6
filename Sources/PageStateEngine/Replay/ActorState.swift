import PageStateModel
import PageStateTrace

/// An actor during a replay: its queue of events waiting behind a blocked one.
struct ActorState: Sendable {
  var name: String
  var kind: ActorKind
  var blocked: BlockedEvent? {
    didSet {
      isBlocked = blocked != nil
      waitFolio = blocked?.wait.folio ?? PageRange(first: 0, count: 0)
    }
  }
  /// `blocked != nil`, kept apart so the per-event check copies nothing.
  private(set) var isBlocked = false
  /// The folio the blocked event waits on (empty when not blocked), for
  /// `settle` to test without copying the blocked event.
  private(set) var waitFolio = PageRange(first: 0, count: 0)
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
