import Foundation
import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// Golden files under `Golden/`. Set `PAGESTATE_UPDATE_GOLDEN=1` to rewrite
/// them after an intended change (then read the diff).
enum GoldenFile {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

  /// Expects `actual` to equal the golden file `name`.
  static func check(_ actual: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let url = directory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["PAGESTATE_UPDATE_GOLDEN"] != nil {
      try actual.write(to: url, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "\(name) differs from its golden file", sourceLocation: sourceLocation)
  }

  /// The built-in S1 scenario under the four presets, as `S1.trace`.
  static func s1Results() throws -> [ReplayResult] {
    try Session.run(fileName: "S1.trace", source: ByteSource(string: DemoScenario.trace), mode: .compare(Policy.presetNames)).1
  }
}
