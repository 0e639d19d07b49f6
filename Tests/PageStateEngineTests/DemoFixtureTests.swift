import Foundation
import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// The demo's S15 panel and `Fixtures/sev/S15-share-4k-of-2m-folio.trace`
/// are one scenario: under every preset they give the same findings, kind by
/// kind, and the same statistics.
struct DemoFixtureTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let fixture = "Fixtures/sev/S15-share-4k-of-2m-folio.trace"

  @Test("the demo's S15 and Fixtures/sev/S15 give the same findings counts per policy")
  func s15DemoMatchesFixture() throws {
    let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent(Self.fixture)))
    let (_, file) = try Session.run(fileName: Self.fixture, source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames))
    let (_, demo) = try Session.run(
      fileName: DemoScenario.snpFileName, source: ByteSource(string: DemoScenario.snpTrace), mode: .compare(Policy.presetNames))
    // Both name the in-place series (gmem=in-place) on top of each preset.
    #expect(file.map(\.policy.name) == Policy.presetNames.map { $0 + "+gmem=in-place" })
    #expect(demo.map(\.policy.name) == file.map(\.policy.name))
    for (f, d) in zip(file, demo) {
      #expect(f.error == nil)
      #expect(d.error == nil)
      for kind in FindingKind.allCases {
        #expect(d.findings.count(kind) == f.findings.count(kind), "\(f.policy.name): \(kind.rawValue)")
      }
      #expect(d.hasErrorOrHang == f.hasErrorOrHang, "\(f.policy.name): verdict")
      for stat in StatisticName.allCases {
        #expect(d.stats[stat] == f.stats[stat], "\(f.policy.name): \(stat.rawValue)")
      }
      #expect(d.estimatedCost == f.estimatedCost, "\(f.policy.name): estimated-cost")
    }
  }
}
