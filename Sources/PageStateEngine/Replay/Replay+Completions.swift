import PageStateModel
import PageStateTrace

/// I/O completions: `writeback-end` is not a step of the thread that
/// submitted the writeback.
///
/// In the kernel PG_writeback is cleared by `folio_end_writeback()`
/// (`mm/filemap.c`), which the bio's end_io handler calls when the device
/// has finished (e.g. `iomap_finish_ioend()`, `ext4_finish_bio()`, often in
/// interrupt or workqueue context), not by the flusher that called
/// `__folio_start_writeback()`. A `writeback-end` in a trace therefore runs
/// as its own completion context: it is not queued behind a wait of the
/// actor it is written for, and a writeback's holder is never a blocked
/// actor in a wait-for chain (`Replay+Hangs`).
extension Replay {
  /// Whether `e`, an event of the blocked actor `a`, runs now as an I/O
  /// completion rather than queueing behind `a`'s wait: it is a
  /// `writeback-end`, every folio it names is under a writeback that `a`
  /// started and that has run (the I/O it completes was submitted: a
  /// writeback of another actor may be what `a`'s own pending submission
  /// waits for, and this end then belongs to that submission), no
  /// `writeback-start` of `a` on those folios is queued before it (`upTo`:
  /// the position of `e` in the queue; program order: a completion never
  /// precedes its own submission), and no event of `a` was dropped past the
  /// queue limit (one of them could be that submission).
  func runsAsCompletion(_ e: Event, actor a: Int, upTo end: Int? = nil) -> Bool {
    guard e.verb == .writebackEnd, actors[a].dropped == 0, e.pages.count > 0 else { return false }
    var memory = model.memory
    var page = e.pages.first
    var span = e.pages
    while page < e.pages.end {
      guard memory.isDeclared(page) else { return false }
      let f = memory.folio(of: page)
      guard memory.entries[f.index].flags.contains(.writeback),
        memory.held(f.index, actor: Int32(a), kinds: HolderKinds.writeback) > 0
      else { return false }
      if page == e.pages.first { span = PageRange(first: f.head, count: 0) }
      page = f.head + UInt64(f.count)
      span.count = page - span.first
    }
    let queue = actors[a].queue
    for i in actors[a].queueHead..<(end ?? queue.count) where queue[i].verb == .writebackStart {
      if queue[i].pages.overlaps(span) { return false }
    }
    return true
  }

  /// Runs a completion (`runsAsCompletion`) for a blocked actor: the model
  /// applies it; the actor's own wait and queue are left as they are.
  mutating func complete(_ e: Event) throws(TraceError) {
    let outcome = A.apply(e, from: 0, model: &model)
    if isRecording { recorder!.applied(e, completed: true, model: &model, stateName: A.stateName) }
    switch outcome {
    case .done:
      break
    case .failed(let message):
      throw TraceError(location(e), message)
    case .blocked, .killGuest:
      preconditionFailure("writeback-end neither waits nor kills the guest")
    }
  }

  /// After `a` blocked again with events queued (`runQueue`): the queued
  /// `writeback-end`s that are completions (`runsAsCompletion`) run now, in
  /// queue order, and leave the queue.
  mutating func completeQueued(_ a: Int) throws(TraceError) {
    var i = actors[a].queueHead
    while i < actors[a].queue.count {
      let e = actors[a].queue[i]
      if e.verb == .writebackEnd && runsAsCompletion(e, actor: a, upTo: i) {
        actors[a].queue.remove(at: i)
        try complete(e)
      } else {
        i += 1
      }
    }
  }

  /// Whether the explorer may move actor `a` with its next event `e`: it is
  /// not blocked, or `e` runs as a completion.
  public func canMove(_ a: Int, next e: Event) -> Bool {
    !actors[a].isBlocked || runsAsCompletion(e, actor: a)
  }
}
