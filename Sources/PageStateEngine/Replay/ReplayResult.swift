import PageStateModel
import PageStateTrace

/// The outcome of one replay under one policy: findings and statistics.
public struct ReplayResult: Sendable {
  public var policy: Policy
  public var findings: FindingLog
  public var stats: Statistics
  public var estimatedCost: Double
  /// An event the model could not apply (the replay stopped there).
  public var error: TraceError?
  /// What happened over time, when the session recorded it (`Session.recordsTimeline`).
  public var timeline: TimelineRecorder? = nil

  /// A statistic or a finding kind's count by its report name.
  public func statistic(_ name: String) -> Double? {
    if name == StatisticName.estimatedCost.rawValue { return estimatedCost }
    if let s = StatisticName(rawValue: name) { return Double(stats[s]) }
    if let k = FindingKind(rawValue: name) { return Double(findings.count(k)) }
    return nil
  }

  /// Whether the replay has a finding of severity error or hang.
  public var hasErrorOrHang: Bool { findings.hasErrorOrHang }
}
