import Foundation
import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// The pipelined session (reader thread, policies in parallel) gives exactly
/// the results of the sequential one.
struct PipelineTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static var fixtures: [String] {
    let dirs = ["Fixtures/s390", "Fixtures/sev"]
    return dirs.flatMap { d in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(d).path)) ?? [])
        .filter { $0.hasSuffix(".trace") }.map { "\(d)/\($0)" }
    }.sorted()
  }

  func same(_ a: [ReplayResult], _ b: [ReplayResult]) {
    #expect(a.count == b.count)
    for (x, y) in zip(a, b) {
      #expect(x.policy.name == y.policy.name)
      #expect(x.stats == y.stats)
      #expect(x.findings == y.findings)
    }
  }

  @Test("fixtures: pipelined compare equals sequential compare", arguments: fixtures)
  func fixture(_ path: String) throws {
    let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent(path)))
    let (_, a) = try Session.run(fileName: path, source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames))
    let (_, b) = try Session.runPipelined(fileName: path, source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames))
    same(a, b)
    let (_, c) = try Session.runPipelined(fileName: path, source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames), threads: 1)
    same(a, c)
  }

  @Test("a long trace across many batches, one policy and four")
  func longTrace() throws {
    var text = "arch s390-pv\nmemory 0x0+4096 order=2\n"
    for i in 0..<30_000 {
      let p = (i * 37) % 4096
      switch i % 5 {
      case 0: text += "vcpu\(i % 3): touch \(p) write\n"
      case 1: text += "qemu: pin \(p)\ndisk: dma \(p)\nqemu: unpin \(p)\n"
      case 2: text += "qemu: get \(p)\n"
      case 3: text += "qemu: put \((i - 1) * 37 % 4096)\n"
      default: text += "qemu: access \(p) read\n"
      }
    }
    text += "expect clean\n"
    for mode in [Session.Mode.replay(preset: "folio"), .compare(Policy.presetNames)] {
      let (sa, a) = try Session.run(fileName: "t", source: ByteSource(string: text), mode: mode)
      for threads in [nil, 1, 2] {
        let (sb, b) = try Session.runPipelined(fileName: "t", source: ByteSource(string: text), mode: mode, threads: threads)
        same(a, b)
        #expect(sa.expectations == sb.expectations)
      }
    }
  }

  @Test("the first error in file order wins: a model error before a parse error, and the reverse")
  func errors() {
    let modelFirst = "arch s390-pv\nmemory 0x0\nqemu: put 0x0\nqemu: bogus 0x0\n"
    let parseFirst = "arch s390-pv\nmemory 0x0\nqemu: bogus 0x0\nqemu: put 0x0\n"
    for text in [modelFirst, parseFirst] {
      var a: TraceError?
      var b: TraceError?
      do { _ = try Session.run(fileName: "t", source: ByteSource(string: text), mode: .compare(Policy.presetNames)) } catch { a = error }
      do { _ = try Session.runPipelined(fileName: "t", source: ByteSource(string: text), mode: .compare(Policy.presetNames)) } catch { b = error }
      #expect(a != nil)
      #expect(a == b)
      var c: TraceError?
      do { _ = try Session.runPipelined(fileName: "t", source: ByteSource(string: text), mode: .compare(Policy.presetNames), threads: 1) } catch { c = error }
      #expect(a == c)
    }
  }
}
