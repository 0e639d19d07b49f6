// The reference model's own reading of a trace: a deliberately plain split
// on whitespace, for the subset of the trace language that
// `DifferentialTrace` writes. It shares no code with `PageStateTrace`.

/// One event line as the reference model sees it.
struct ReferenceEvent {
  var line: Int
  /// Trace time in nanoseconds (`@TIME`, else the previous event's + 1 us).
  var time: Double
  var actor: String
  var verb: String
  /// The page operands (a page set `P`, `P+N` or `P..Q`, expanded).
  var pages: [UInt64]
  /// Bare words after the verb that are not a page set (`write`, `longterm`,
  /// `private`, `read`, ...).
  var words: Set<String>
  /// `key=value` options.
  var options: [String: String]
}

/// A `memory` statement.
struct ReferenceMemory {
  var first: UInt64
  var count: UInt64
  var order: Int
  var backing: String
  var state: String?
}

/// A whole trace of the subset.
struct ReferenceTrace {
  var arch = ""
  var preset = "split"
  var knobs: [String: String] = [:]
  var memory: [ReferenceMemory] = []
  var actorKinds: [String: String] = [:]
  var events: [ReferenceEvent] = []

  /// `150ms`, `30us`, `7ns`, or a bare number of nanoseconds.
  static func duration(_ w: Substring) -> Double {
    for (suffix, scale) in [("ms", 1e6), ("us", 1e3), ("ns", 1.0), ("s", 1e9)] where w.hasSuffix(suffix) {
      return Double(w.dropLast(suffix.count))! * scale
    }
    return Double(w)!
  }

  init(_ text: String) {
    var lineNumber = 0
    var time: Double? = nil
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let body = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      var words = body.split(separator: " ").map(String.init)
      var explicitTime: Double? = nil
      if let first = words.first, first.hasPrefix("@") {
        explicitTime = Self.duration(first.dropFirst())
        words.removeFirst()
      }
      guard let head = words.first else { continue }
      switch head {
      case "pagestate": continue
      case "arch": arch = words[1]
      case "policy":
        for w in words.dropFirst() {
          if let eq = w.firstIndex(of: "=") {
            knobs[String(w[..<eq])] = String(w[w.index(after: eq)...])
          } else {
            preset = w
          }
        }
      case "actor": actorKinds[words[1]] = words[2]
      case "memory":
        let (first, count) = Self.pageSet(words[1])
        var m = ReferenceMemory(first: first, count: count, order: 0, backing: "anon", state: nil)
        for w in words.dropFirst(2) {
          let kv = w.split(separator: "=").map(String.init)
          switch kv[0] {
          case "order": m.order = Int(kv[1])!
          case "backing": m.backing = kv[1]
          case "state": m.state = kv[1]
          default: break
          }
        }
        memory.append(m)
      default:
        precondition(head.hasSuffix(":"), "reference trace: unexpected line \(lineNumber): \(raw)")
        time = explicitTime ?? time.map { $0 + 1000 } ?? 0
        var e = ReferenceEvent(line: lineNumber, time: time!, actor: String(head.dropLast()), verb: words[1], pages: [], words: [], options: [:])
        for w in words.dropFirst(2) {
          if w.hasPrefix("0x") {
            let (first, count) = Self.pageSet(w)
            e.pages += (0..<count).map { first + $0 }
          } else if let eq = w.firstIndex(of: "=") {
            e.options[String(w[..<eq])] = String(w[w.index(after: eq)...])
          } else {
            e.words.insert(w)
          }
        }
        events.append(e)
      }
    }
  }

  static func hex(_ s: Substring) -> UInt64 { UInt64(s.dropFirst(2), radix: 16)! }

  /// `P`, `P+N` or `P..Q`.
  static func pageSet(_ w: String) -> (UInt64, UInt64) {
    if let plus = w.firstIndex(of: "+") {
      return (hex(w[..<plus]), UInt64(w[w.index(after: plus)...])!)
    }
    if let dots = w.range(of: "..") {
      let a = hex(w[..<dots.lowerBound])
      let b = hex(w[dots.upperBound...])
      return (a, b - a + 1)
    }
    return (hex(Substring(w)), 1)
  }
}
