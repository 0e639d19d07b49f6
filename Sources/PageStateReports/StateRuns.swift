import PageStateEngine

/// The states of a timeline's rows as runs over time, at a bounded
/// resolution: what the SVG draws as rectangles and Perfetto as slices.
struct StateRuns {
  struct Run {
    var row: Int
    var start: UInt64
    var end: UInt64
    var state: Int
  }

  /// Runs of each row with at most `columns` time steps; fewer steps while
  /// there would be more than `limit` runs in all. The last run of a row
  /// lasts until `end`.
  static func make(_ t: TimelineRecorder, columns: Int, until end: UInt64, limit: Int) -> [Run] {
    var columns = max(1, min(columns, t.bucketCount))
    while true {
      let runs = make(t, columns: columns, until: end)
      if runs.count <= limit || columns == 1 { return runs }
      columns = max(1, columns / 2)
    }
  }

  static func make(_ t: TimelineRecorder, columns: Int, until end: UInt64) -> [Run] {
    let per = (t.bucketCount + columns - 1) / columns
    var runs: [Run] = []
    for r in t.rows.indices {
      var open: Run?
      var b = 0
      while b < t.bucketCount {
        // A column's state: a notable state of any of its buckets, else the last one.
        var state: Int?
        for k in b..<min(b + per, t.bucketCount) {
          guard let s = t.state(row: r, bucket: k) else { continue }
          if let current = state, t.isNotable(state: current) && !t.isNotable(state: s) { continue }
          state = s
        }
        let start = t.bucketStart(b)
        if let o = open, o.state != state {
          runs.append(Run(row: r, start: o.start, end: start, state: o.state))
          open = nil
        }
        if open == nil, let s = state { open = Run(row: r, start: start, end: end, state: s) }
        b += per
      }
      if var o = open {
        o.end = max(o.start, end)
        runs.append(o)
      }
    }
    return runs
  }
}
