import PageStateEngine
import PageStateModel
import PageStateTrace
import PageStateWorkloads
import Testing

/// Writing a parsed trace back and reading it again gives the same replay.
struct RoundTripTests {
  func writeBack(_ bytes: [UInt8]) throws -> String {
    var reader = TraceReader(fileName: "a", source: ByteSource(bytes: bytes))
    var writer = TraceWriter()
    var out = ""
    while let s = try reader.next() {
      if let line = writer.line(for: s) { out += line + "\n" }
    }
    return out
  }

  func summary(_ r: ReplayResult) -> [String] {
    r.findings.findings.map { "\($0.kind.rawValue) \($0.actor) \($0.page) \($0.state)" }
  }

  @Test("generated traces round-trip through the writer", arguments: Workload.allCases, [UInt64(3), 11])
  func roundTrip(_ workload: Workload, _ seed: UInt64) throws {
    let bytes = generate(workload, events: 4000, seed: seed)
    let text = try writeBack(bytes)
    let (_, a) = try Session.run(fileName: "a", source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames))
    let (_, b) = try Session.run(fileName: "b", source: ByteSource(string: text), mode: .compare(Policy.presetNames))
    for (x, y) in zip(a, b) {
      #expect(x.stats == y.stats, "\(workload) \(x.policy.name)")
      #expect(summary(x) == summary(y), "\(workload) \(x.policy.name)")
    }
    // Writing the written trace again changes nothing.
    #expect(try writeBack(Array(text.utf8)) == text)
  }

  @Test("every verb, word and option survives the round trip")
  func everyOption() throws {
    let s390 = """
      pagestate 1
      arch s390-pv
      memory 0x0+8 order=1 backing=file state=secure
      policy folio wait=bounded:150ms
      actor cpu0 cpu
      @5us qemu: get 0x0 via=splice
      qemu: pin 0x2+2 longterm write
      qemu: make-accessible 0x4 scope=page
      qemu: inject 0x6 fail=export count=3
      disk: dma-start 0x0 write id=r1
      disk: dma-end id=r1
      cpu0: access 0x1 read kernel
      qemu: flush cpu=cpu0
      v: note boot done
      v: touch 0x5 write
      expect clean policy=page
      """
    let text = try writeBack(Array(s390.utf8))
    #expect(text.contains("via=splice") && text.contains("write longterm") && text.contains("scope=page"))
    #expect(text.contains("fail=export count=3") && text.contains("id=r1") && text.contains("read kernel"))
    #expect(text.contains("cpu=cpu0") && text.contains("note boot done") && text.contains("policy folio wait=bounded:150ms"))
    #expect(try writeBack(Array(text.utf8)) == text)
    let snp = "arch sev-snp\nmemory 0x0+512 order=9 backing=gmem state=private\nv: pvalidate 0x0+512 off size=2m\nv: psc 0x1 shared size=4k\nv: touch 0x1 c=dec\nv: gpte 0x1 dec\nq: convert 0x2 shared\nv: split-pmd 0x3\nv: mprotect 0x4\n"
    let t2 = try writeBack(Array(snp.utf8))
    #expect(t2.contains("size=2m") && t2.contains("c=dec") && t2.contains("convert 0x2 shared"))
    #expect(try writeBack(Array(t2.utf8)) == t2)
  }
}
