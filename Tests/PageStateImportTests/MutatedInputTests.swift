import Foundation
import PageStateEngine
import PageStateTrace
import Testing

@testable import PageStateImport

/// Real lines, mutated: the importer never crashes, and what it writes is
/// always a trace the reader accepts and every preset replays without an
/// input error (the importer never releases what it did not see taken,
/// never names an undeclared page, never writes a bad identifier).
@Suite struct MutatedInputTests {
  struct Rng: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
  }

  static let sources = [
    "Fixtures/real/6.1.0-57-amd64/vring.txt", "Fixtures/real/6.12.95+deb12-amd64/dio.txt", "Fixtures/real/6.12.95+deb12-amd64/dio.perf.txt",
    "Fixtures/real/6.1.0-57-amd64/uring.bpftrace.txt", "Fixtures/real/6.12.95+deb12-amd64/wb.lost.txt", "Fixtures/real/6.1.0-57-amd64/uring.trace-cmd-R.txt",
  ]

  static func mutate(_ line: Substring, _ rng: inout Rng) -> String {
    var bytes = Array(line.utf8)
    guard !bytes.isEmpty else { return "" }
    switch rng.below(8) {
    case 0: bytes[rng.below(bytes.count)] = UInt8(rng.below(256))  // any byte
    case 1: bytes = Array(bytes.prefix(rng.below(bytes.count)))  // cut
    case 2:  // a digit changed (pointers, flags, counts, pids)
      let digits = bytes.indices.filter { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
      if let i = digits.randomElement(using: &rng) { bytes[i] = UInt8(0x30 + rng.below(10)) }
    case 3: bytes.insert(contentsOf: Array(" refs=4096 order=18 head=1 n=70000 vcnt=65535 ".utf8), at: rng.below(bytes.count))
    case 4: bytes.insert(contentsOf: Array("{0xffd4000000000040,0x7fffffff".utf8), at: rng.below(bytes.count))
    case 5: bytes.replaceSubrange(0..<min(bytes.count, rng.below(20)), with: Array("# ".utf8))
    case 6: bytes.insert(contentsOf: Array("\u{00e9}#\t\\\u{0007}".utf8), at: rng.below(bytes.count))
    default: bytes.append(contentsOf: bytes.prefix(rng.below(bytes.count)))  // a line run into the next
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  @Test("mutated real traces import into traces that read and replay", arguments: Array(0..<24) + [185, 268, 388, 509])
  func mutated(_ seed: Int) throws {
    var rng = Rng(state: UInt64(seed) &* 7919)
    let path = MutatedInputTests.sources[seed % MutatedInputTests.sources.count]
    let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for _ in 0..<(lines.count / 8) {
      let i = rng.below(lines.count)
      lines[i] = MutatedInputTests.mutate(lines[i][...], &rng)
    }
    let input = lines.joined(separator: "\n")
    for configure: (inout ImportOptions) -> Void in [{ _ in }, { $0.guest = .anonymous }, { $0.guest = .all; $0.architecture = .sev }] {
      let imported: Imported
      do {
        imported = try importText(input, file: path, configure)
      } catch {
        // The only errors without --strict: the language's limits.
        #expect(error.message.contains("limit"), "\(error)")
        continue
      }
      var reader = TraceReader(fileName: "imported.trace", source: ByteSource(string: imported.trace))
      #expect(throws: Never.self) { try reader.readAll() }
      for r in try replayAll(imported) {
        #expect(r.error == nil, "seed \(seed) \(r.policy.name): \(r.error.map { "\($0)" } ?? "")")
      }
    }
  }
}
