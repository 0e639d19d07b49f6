/// Writes statements back in the trace language, so that whatever the tool
/// writes as a trace reads back unchanged in meaning (round trip): the
/// explorer's counterexamples, converted traces, tests.
///
/// Feed it every statement in order (it learns actor and symbol names from
/// `.actor` and `.symbol`); it returns the line for each, or nil for the
/// statements that are implicit in the text (actors created by their first
/// event, interned symbols).
public struct TraceWriter {
  var actors: [String] = []
  var symbols: [String] = []

  public init() {}

  public mutating func line(for statement: Statement) -> String? {
    switch statement {
    case .header(let version, _):
      return "pagestate \(version)"
    case .architecture(let arch, _):
      return "arch \(arch.rawValue)"
    case .memory(let d):
      return "memory \(hex(d.pages.first))+\(d.pages.count) order=\(d.order) backing=\(d.backing.rawValue) state=\(d.state.rawValue)"
    case .policy(let d):
      var parts = ["policy"]
      if let p = d.preset { parts.append(p) }
      for k in d.knobs { parts.append("\(k.key)=\(k.value)") }
      return parts.joined(separator: " ")
    case .actor(let a):
      if Int(a.index) == actors.count { actors.append(a.name) } else if Int(a.index) < actors.count { return nil }
      return a.isExplicit ? "actor \(a.name) \(a.kind.rawValue)" : nil
    case .symbol(let s):
      if Int(s.index) == symbols.count { symbols.append(s.name) }
      return nil
    case .expectation(let e):
      return e.text
    case .event(let e):
      return eventLine(e)
    case .note(let e, let text):
      return eventLine(e, text: text)
    }
  }

  func eventLine(_ e: Event, text: String = "") -> String {
    var s = "@\(e.time) \(actors[Int(e.actor)]): \(e.verb.name)"
    let syntax = e.verb.syntax
    switch syntax.operand {
    case .none: break
    case .text:
      if !text.isEmpty { s += " " + text }
    case .page, .pages:
      s += " " + (e.pages.count == 1 ? hex(e.pages.first) : "\(hex(e.pages.first))+\(e.pages.count)")
    }
    for (word, name) in EventWords.spellings where e.words.contains(word) { s += " " + name }
    if e.via >= 0 { s += " via=\(symbols[Int(e.via)])" }
    if let scope = e.scope { s += " scope=\(scope.rawValue)" }
    if e.id >= 0 { s += " id=\(symbols[Int(e.id)])" }
    if e.cpu >= 0 { s += " cpu=\(actors[Int(e.cpu)])" }
    if let f = e.failure { s += " fail=\(f.rawValue)" }
    if e.verb == .inject && e.count != 1 { s += " count=\(e.count)" }
    if let size = e.size { s += " size=\(size.rawValue)" }
    if let c = e.cbit { s += " c=\(c.rawValue)" }
    return s
  }
}
