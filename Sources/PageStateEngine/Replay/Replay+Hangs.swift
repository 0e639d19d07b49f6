import PageStateModel
import PageStateTrace

extension Replay {
  /// The holders of what a blocked actor waits for, as they are now.
  func holders(of wait: Wait, memory: inout Memory) -> [Holder] {
    let f = memory.folio(of: wait.page)
    return memory.holders(of: f.index).filter { h in
      switch wait.condition {
      case .references: return h.kind.isReference
      case .unlock: return h.kind == .lock
      case .writebackEnd: return h.kind == .writeback
      }
    }
  }

  /// At the end of the trace: each blocked actor is a `hang` if what it waits
  /// for can never all go away (a long-term pin among the holders, a holder
  /// that is itself hung, or a cycle back to it: a deadlock), else a `stall`.
  /// A writeback's holder is its I/O completion, which never waits: a wait
  /// for the end of writeback is a `stall` (the completion may still come),
  /// even when the waiter itself started that writeback.
  mutating func classifyWaiters() {
    guard !waiters.isEmpty else { return }
    let blocked = waiters.map(Int.init)
    var memory = model.memory
    var holderLists: [Int: [Holder]] = [:]
    var edges: [Int: Set<Int>] = [:]
    var longterm: Set<Int> = []
    for a in blocked {
      let list = holders(of: actors[a].blocked!.wait, memory: &memory)
      holderLists[a] = list
      if list.contains(where: { $0.kind == .pinLongterm }) { longterm.insert(a) }
      // A writeback is held by its I/O completion, not by the actor that
      // submitted it (`Replay+Completions`): never an edge of the chain.
      edges[a] = Set(list.filter { $0.kind != .writeback }.map { Int($0.actor) }.filter { actors[$0].blocked != nil })
    }
    // Actors on a cycle: those that can reach themselves.
    var cycle: [Int: [Int]] = [:]
    for a in blocked {
      if let path = pathBack(to: a, edges: edges) { cycle[a] = path }
    }
    var hung = longterm.union(cycle.keys)
    var grew = true
    while grew {
      grew = false
      for a in blocked where !hung.contains(a) && !(edges[a] ?? []).isDisjoint(with: hung) {
        hung.insert(a)
        grew = true
      }
    }
    for a in blocked {
      let b = actors[a].blocked!
      let list = holderLists[a] ?? []
      let f = memory.folio(of: b.wait.page)
      var links: [String] = []
      for h in list {
        var text = model.describe(h, page: f.head)
        if h.kind == .writeback {
          text += ", in flight: folio_end_writeback() from the I/O's completion ends it, not \(model.actorName(h.actor)), and it had not come when the trace ended"
          if Int(h.actor) == a {
            text += " (\(actors[a].name) waits for its own writeback: not a deadlock, unless it still holds the I/O unsubmitted)"
          }
        } else if h.kind == .pinLongterm {
          text += ", never released (FOLL_LONGTERM: held until its owner tears the device down)"
        } else if actors[Int(h.actor)].blocked != nil {
          let hb = actors[Int(h.actor)].blocked!
          text += ", and \(actors[Int(h.actor)].name) is itself blocked at line \(hb.event.line) (\(hb.wait.what))"
        } else {
          text += ", not released before the trace ended"
        }
        links.append(text)
      }
      if list.isEmpty { links.append("no holder is left: nothing retried the wait after its last change") }
      let extra = memory.entries[f.index].extra
      let condition: String
      switch b.wait.condition {
      case .references: condition = "the references of folio \(hex(f.head)) (extra \(extra))"
      case .unlock: condition = "the lock of folio \(hex(f.head))"
      case .writebackEnd: condition = "the end of writeback of folio \(hex(f.head))"
      }
      var message = "\(b.wait.what) waits for \(condition): \(links[0])"
      if let path = cycle[a] {
        message = "deadlock (\((path + [path[0]]).map { actors[$0].name }.joined(separator: " -> "))): " + message
      }
      let isHang = hung.contains(a)
      let finding = Finding(
        kind: isHang ? .hang : .stall, line: b.event.line, time: lastTime, actor: actors[a].name,
        event: "\(b.event.verb.name) \(b.event.pages.description)", page: b.wait.page, folio: f.head,
        folioOrder: Int(memory.entries[f.index].order), state: A.stateName(of: b.wait.page, in: &model),
        message: message, chain: links)
      model.findings.add(finding)
      // A wait that began after the last event (a bounded waiter gave up at
      // its deadline and its next event blocked) was open for no trace time.
      let waited = lastTime > b.since ? lastTime - b.since : 0
      model.stats.add(.waitTime, waited)
      if waited > model.stats[.maxWait] { model.stats[.maxWait] = waited }
    }
  }

  /// A path of blocked actors from `start` back to itself, if there is one.
  func pathBack(to start: Int, edges: [Int: Set<Int>]) -> [Int]? {
    var stack: [(Int, [Int])] = [(start, [start])]
    var seen: Set<Int> = []
    while let (node, path) = stack.popLast() {
      for next in (edges[node] ?? []).sorted() {
        if next == start { return path }
        if seen.insert(next).inserted { stack.append((next, path + [next])) }
      }
    }
    return nil
  }
}
