import PageStateEngine
import PageStateExplore
import PageStateModel
import PageStateTrace
import Testing

/// The explorer moves a blocked actor's `writeback-end` of a writeback in
/// flight: the I/O completion is not a step of the submitting thread.
@Test("explore: a writer waiting for its own writeback is unblocked by the completion it wrote", arguments: Policy.presetNames)
func exploreWritebackCompletion(_ preset: String) throws {
  let text = """
    pagestate 1
    arch s390-pv
    memory 0x0 backing=file
    kworker: writeback-start 0x0
    kworker: writeback-start 0x0
    kworker: writeback-end 0x0
    kworker: writeback-end 0x0
    vcpu0: touch 0x0
    """
  let r = try explore(try scenario(text: text + "\n"), preset)
  #expect(r.finding == nil)
  #expect(!r.incomplete)
}
