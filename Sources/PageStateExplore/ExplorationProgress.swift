/// Where a running search is, for a progress line (`Explorer.progress`).
public struct ExplorationProgress: Sendable {
  /// Distinct states found so far.
  public var states: Int
  public var seconds: Double
  /// The breadth-first level being expanded (events from the initial state).
  public var depth: Int
  /// States reached and not yet expanded.
  public var queue: Int
  /// Bytes held by the visited set, the queue and the trail.
  public var bytes: UInt64

  public init(states: Int, seconds: Double, depth: Int, queue: Int, bytes: UInt64) {
    self.states = states
    self.seconds = seconds
    self.depth = depth
    self.queue = queue
    self.bytes = bytes
  }

  /// `states 1234567 (812 k/s), depth 31, queue 40211, 96 MiB`
  public var description: String {
    let rate = seconds > 0 ? Int(Double(states) / seconds / 1000) : 0
    return "states \(states) (\(rate) k/s), depth \(depth), queue \(queue), \(bytes >> 20) MiB"
  }
}
