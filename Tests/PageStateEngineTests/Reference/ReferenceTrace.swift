// The reference model's own reading of a trace: a deliberately plain split
// on whitespace, for the subset of the trace language that
// `DifferentialTrace` writes. It shares no code with `PageStateTrace`.

/// One event line as the reference model sees it.
struct ReferenceEvent {
  var line: Int
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

  init(_ text: String) {
    var lineNumber = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let body = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let words = body.split(separator: " ").map(String.init)
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
        var e = ReferenceEvent(line: lineNumber, actor: String(head.dropLast()), verb: words[1], pages: [], words: [], options: [:])
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
