import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// The quadratic corners of issue 16, as behaviour: many actors on one
/// folio, many DMA windows in flight on one actor, a 64 KiB line with CRLF.
/// (No timing here: at these sizes a quadratic path would take minutes in a
/// debug build, a linear one well under a second.)
@Suite struct LinearCornerTests {
  func replay(_ text: String, policy: String = "page") throws -> ReplayResult {
    try Session.run(fileName: "t.trace", source: ByteSource(string: text), mode: .replay(preset: policy)).1[0]
  }

  @Test("20 000 actors reference one folio and put their references back")
  func manyActorsOnOneFolio() throws {
    var t = "arch s390-pv\nmemory 0x0+4 order=2\nactor g guest\ng: touch 0x0+4 write\n"
    for i in 0..<20_000 { t += "a\(i): get 0x1\n" }
    t += "h: pin 0x2 longterm\ng: touch 0x3 write\n"
    for i in stride(from: 19_999, through: 0, by: -1) { t += "a\(i): put 0x1\n" }
    let r = try replay(t, policy: "folio")
    #expect(r.error == nil)
    // The guest's touch waits on the folio's references, then on the long-term pin forever.
    #expect(r.findings.count(.hang) == 1)
  }

  @Test("20 000 DMA windows in flight on one device, ended in another order; an unknown id is still an error")
  func manyWindows() throws {
    var t = "arch s390-pv\nmemory 0x0+4 order=2\nactor d device\n"
    for i in 0..<20_000 { t += "d: dma-start 0x\(String(i % 4, radix: 16)) id=w\(i)\n" }
    for i in 0..<20_000 { t += "d: dma-end id=w\((i * 7919) % 20_000)\n" }
    #expect(try replay(t).error == nil)
    func message(_ text: String) -> String {
      do {
        let r = try replay(text)
        return r.error?.message ?? ""
      } catch {
        return (error as? TraceError)?.message ?? "\(error)"
      }
    }
    #expect(message(t + "d: dma-end id=w3\n").contains("id 'w3' is not in flight"))
    #expect(message("arch s390-pv\nmemory 0x0+4 order=2\nactor d device\n" + (0..<40).map { "d: dma-start 0x0 id=w\($0)\n" }.joined() + "d: dma-start 0x1 id=w7\n").contains("already in flight"))
  }

  @Test("a line of exactly 65536 bytes is accepted with LF and with CRLF; one byte more is refused with either", arguments: ["\n", "\r\n"])
  func longestLine(_ ending: String) throws {
    let head = "arch s390-pv\nmemory 0x0+4 order=2\n"
    let note = "h: note " + String(repeating: "x", count: 65_536 - 8)
    #expect(try replay(head + note + ending).error == nil)
    #expect(throws: TraceError.self) { try replay(head + note + "x" + ending) }
  }
}
