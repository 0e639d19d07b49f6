extension TraceReader {
  /// The preset names an `expect ... policy=` may use.
  public static let presetNames = ["page", "folio", "split", "refuse"]

  mutating func parseExpectation(_ line: LineBytes) throws(TraceError) -> Statement {
    expectationCount += 1
    if expectationCount > Limits.expectations {
      throw fail(tokens[0], "too many 'expect' lines (at most \(Limits.expectations))")
    }
    let kinds = FindingKind.allCases.map(\.rawValue)
    guard tokens.count >= 2 else {
      throw fail(endColumn(line), "expected 'clean', 'no KIND', 'stat NAME=N' or a finding kind after 'expect'")
    }
    let text = line.text(Token(start: tokens[0].start, end: tokens.last!.end))
    var e = Expectation(claim: .clean, line: lineNumber, text: text)
    var next = 2
    var allowed = ["policy"]
    let head = tokens[1]
    if line.equals(head, "clean") {
      e.claim = .clean
    } else if line.equals(head, "no") {
      guard tokens.count >= 3 else { throw fail(endColumn(line), "expected a finding kind after 'expect no'") }
      e.claim = .noFinding(try findingKind(line, tokens[2], kinds))
      next = 3
    } else if line.equals(head, "stat") {
      guard tokens.count >= 3, let eq = line.equalsSign(in: tokens[2]) else {
        throw fail(tokens.count >= 3 ? tokens[2].column : endColumn(line), "expected NAME=VALUE after 'expect stat' (e.g. exports=3)")
      }
      let t = tokens[2]
      let name = line.text(Token(start: t.start, end: eq))
      let names = StatisticName.allCases.map(\.rawValue) + kinds
      guard names.contains(name) else {
        throw fail(t, "unknown statistic '\(name)'\(didYouMean(name, names)); expected one of \(StatisticName.allCases.map(\.rawValue).joined(separator: ", ")) or a finding kind")
      }
      let v = Token(start: eq + 1, end: t.end)
      let isDuration = StatisticName(rawValue: name)?.isDuration ?? false
      let value: Double
      if isDuration {
        guard let ns = line.duration(v, bareIsNanoseconds: true) else {
          throw fail(v, "expected a duration (e.g. 150ms) for '\(name)', found '\(line.text(v))'")
        }
        value = Double(ns)
      } else if name == StatisticName.estimatedCost.rawValue, let d = Double(line.text(v)), d >= 0, d.isFinite {
        value = d
      } else {
        guard let n = line.number(v, limit: 1 << 62) else {
          throw fail(v, "expected a number for '\(name)', found '\(line.text(v))'")
        }
        value = Double(n)
      }
      e.claim = .statistic(name: name, value: value)
      next = 3
    } else {
      e.claim = .finding(try findingKind(line, head, kinds))
      allowed = ["page", "actor", "line", "policy", "count"]
    }
    var seen: Set<String> = []
    for t in tokens.dropFirst(next) {
      let (key, value, v) = try option(line, t, allowed: allowed, seen: &seen)
      switch key {
      case "page":
        guard let p = line.number(v, limit: Limits.pageNumberLimit - 1) else {
          throw fail(v, "expected a page number, found '\(value)'")
        }
        e.page = p
      case "actor":
        guard line.isIdentifier(v) else { throw fail(v, "expected an actor name, found '\(value)'") }
        e.actor = value
      case "line":
        guard let n = line.number(v, limit: 1 << 48), n >= 1 else {
          throw fail(v, "expected a line number, found '\(value)'")
        }
        e.findingLine = Int(n)
      case "count":
        guard let n = line.number(v, limit: 1 << 40) else {
          throw fail(v, "expected a count, found '\(value)'")
        }
        e.count = Int(n)
      default:
        guard TraceReader.presetNames.contains(value) else {
          throw fail(v, "expected a preset (\(TraceReader.presetNames.joined(separator: ", "))), found '\(value)'\(didYouMean(value, TraceReader.presetNames))")
        }
        e.policy = value
      }
    }
    return .expectation(e)
  }

  func findingKind(_ line: LineBytes, _ t: Token, _ kinds: [String]) throws(TraceError) -> FindingKind {
    let word = line.text(t)
    guard let kind = FindingKind(rawValue: word) else {
      throw fail(t, "unknown finding kind '\(word)'\(didYouMean(word, kinds)); expected one of \(kinds.joined(separator: ", "))")
    }
    return kind
  }
}
