import Dispatch
import PageStateTrace
import Synchronization

/// The second stage of an import: a serial queue that applies the
/// scanner's batches to a `KernelTraceImporter`, in order, at most
/// `inFlight` batches ahead of it (the scanner waits beyond that). The
/// first error stops it: later batches are dropped and `submit` says so, so
/// that the scanner stops reading.
final class ApplyStage: @unchecked Sendable {
  static let inFlight = 4
  /// What the scanner throws to stop reading once this stage has failed.
  static let stopped = TraceError(SourceLocation(file: "", line: 0, column: 0), "(the import stopped at an earlier error)")

  let importer: KernelTraceImporter
  let queue = DispatchQueue(label: "pagestate.import.apply")
  let slots = DispatchSemaphore(value: ApplyStage.inFlight)
  let failed = Atomic<Bool>(false)
  /// Written and read on `queue` only (and after `finish`'s sync).
  nonisolated(unsafe) var error: TraceError?

  init(importer: KernelTraceImporter) {
    self.importer = importer
  }

  /// Queues a batch; false once an earlier batch failed.
  func submit(_ batch: KernelTraceScanner.Batch) -> Bool {
    if failed.load(ordering: .acquiring) { return false }
    guard !batch.records.isEmpty || batch.format != nil else { return true }
    slots.wait()
    nonisolated(unsafe) let batch = batch
    queue.async {
      defer { self.slots.signal() }
      guard self.error == nil else { return }
      do throws(TraceError) {
        try self.importer.process(batch)
      } catch {
        self.error = error
        self.failed.store(true, ordering: .releasing)
      }
    }
    return true
  }

  /// Waits for every queued batch; the error that stopped the stage, if any.
  func finish() -> TraceError? {
    queue.sync {}
    return error
  }
}
