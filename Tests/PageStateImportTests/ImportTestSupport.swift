import Foundation
import PageStateEngine
import PageStateTrace
import Testing

@testable import PageStateImport

/// What one import produced: the trace text and the summary.
struct Imported {
  var trace: String
  var summary: ImportSummary

  /// The statement lines (no comments, no blank lines), without their `# from` comments.
  var statements: [String] {
    trace.split(separator: "\n").compactMap { line -> String? in
      let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
      let t = code.trimmingCharacters(in: .whitespaces)
      return t.isEmpty ? nil : t
    }
  }

  /// Event statements without their `@TIME `.
  var events: [String] {
    statements.filter { $0.hasPrefix("@") }.map { String($0.drop { $0 != " " }.dropFirst()) }
  }
}

func importText(_ text: String, file: String = "k.txt", _ configure: (inout ImportOptions) -> Void = { _ in }) throws(TraceError) -> Imported {
  var options = ImportOptions()
  configure(&options)
  return try importSource(ByteSource(string: text), file: file, options: options)
}

func importSource(_ source: ByteSource, file: String, options: ImportOptions) throws(TraceError) -> Imported {
  var bytes: [UInt8] = []
  let output = TraceOutput { bytes.append(contentsOf: $0) }
  let importer = KernelTraceImporter(fileName: file, options: options, output: output)
  let summary = try importer.run(source)
  return Imported(trace: String(decoding: bytes, as: UTF8.self), summary: summary)
}

/// The error an import of `text` must give.
func importError(_ text: String, _ configure: (inout ImportOptions) -> Void = { _ in }) -> TraceError? {
  do {
    _ = try importText(text, configure)
    return nil
  } catch {
    return error
  }
}

/// The repository root (this file is Tests/PageStateImportTests/ImportTestSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real captures under Fixtures/real: every trace file (not the probe
/// definitions, formats, version or log files beside them).
let realTraces: [String] = {
  let dir = repositoryRoot.appendingPathComponent("Fixtures/real")
  let skip: Set<String> = ["formats.txt", "kprobe_events.txt", "probes.txt", "probes-generated.txt", "set_event.txt", "uname.txt", "CAPTURE.txt"]
  var found: [String] = []
  for kernel in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
    for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(kernel).path)) ?? []
    where f.hasSuffix(".txt") && !skip.contains(f) {
      found.append("Fixtures/real/\(kernel)/\(f)")
    }
  }
  return found.sorted()
}()

func importFixture(_ path: String, _ configure: (inout ImportOptions) -> Void = { _ in }) throws -> Imported {
  var options = ImportOptions()
  configure(&options)
  let source = try ByteSource.open(path: repositoryRoot.appendingPathComponent(path).path)
  return try importSource(source, file: path, options: options)
}

/// Replays an imported trace under every preset.
func replayAll(_ imported: Imported) throws -> [ReplayResult] {
  try Session.run(fileName: "imported.trace", source: ByteSource(string: imported.trace), mode: .compare(["page", "folio", "split", "refuse"])).1
}
