/// A run of consecutive statements, as `TraceReader.read(into:limit:)` fills
/// it: the events in one flat array of plain values, and the few other
/// statements (implicit actors and names, notes, expectations, setup) beside
/// them with the position where they come in file order.
///
/// The hot path of a replay walks `events` without copying an enum per event;
/// `others[k]` comes just before `events[positions[k]]` (or after the last
/// event when `positions[k] == events.count`).
public struct StatementBatch: Sendable {
  public var events: [Event] = []
  public var others: [Statement] = []
  /// For each of `others`, the index in `events` it precedes.
  public var positions: [Int] = []

  public init() {}

  public init(reservingCapacity capacity: Int) {
    events.reserveCapacity(capacity)
  }

  public var isEmpty: Bool { events.isEmpty && others.isEmpty }

  /// Statements in the batch (events and others).
  public var count: Int { events.count + others.count }

  mutating func append(other s: Statement) {
    others.append(s)
    positions.append(events.count)
  }

  /// The line of the last event, if any (for a progress display).
  public var lastEventLine: Int? { events.last?.line }

  /// The statements in file order (notes as `.note`, events as `.event`).
  public var statements: [Statement] {
    var all: [Statement] = []
    all.reserveCapacity(count)
    var k = 0
    for (i, e) in events.enumerated() {
      while k < others.count && positions[k] <= i {
        all.append(others[k])
        k += 1
      }
      all.append(.event(e))
    }
    all.append(contentsOf: others[k...])
    return all
  }
}
