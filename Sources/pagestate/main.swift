// pagestate: the command-line front end. It parses arguments and wires the
// library to files and standard streams; all behaviour lives in the library.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import PageStateEngine
import PageStateModel
import PageStateReports
import PageStateTrace

/// A buffered byte sink on a file descriptor.
struct StandardOutput: TextOutputStream {
  let fd: Int32
  var buffer: [UInt8] = []
  mutating func write(_ string: String) {
    buffer.append(contentsOf: string.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }
  mutating func flush() {
    var done = 0
    while done < buffer.count {
      let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
      if n <= 0 { break }
      done += n
    }
    buffer.removeAll(keepingCapacity: true)
  }
}

nonisolated(unsafe) var out = StandardOutput(fd: 1)
nonisolated(unsafe) var err = StandardOutput(fd: 2)

func exitFlushing(_ status: Int32) -> Never {
  out.flush()
  err.flush()
  exit(status)
}

let usage = """
  usage: pagestate [demo]
         pagestate replay FILE [--policy P] [--set knob=value]... [--format text|json|sarif]
                [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N]
         pagestate compare FILE [--policies P1,P2,...] [--set knob=value]... [--format text|json|sarif] [--all]
                [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N]
         pagestate check FILE_OR_DIR... [--format text|sarif] [--quiet]
         pagestate explain KIND
         pagestate explore FILE [--policy P] [--set knob=value]... [--max-states N] [--output CEX.trace]
         pagestate generate WORKLOAD [--pages N] [--events N] [--seed S] [--arch A] [--folio-order K]
         pagestate import KERNEL-TRACE [--from F] [--arch A] [--guest G] [--strict]   (import --help)
  FILE may be - for standard input. Presets: page, folio, split, refuse.
  --quiet: replay/compare print nothing (exit status only), check prints only
  failures and the closing line. --threads N: at most N threads replay (default:
  one per core; 1 runs everything in one thread, for sweeps that start many
  processes at once). Colour when standard output is a terminal and
  NO_COLOR is unset; a progress line on standard error when it is a terminal.

  """

func fail(_ message: String) -> Never {
  err.write("pagestate: \(message)\n")
  exitFlushing(2)
}

func usageError(_ message: String) -> Never {
  err.write("pagestate: \(message)\n\(usage)")
  exitFlushing(2)
}

struct Options {
  var positional: [String] = []
  var policy: String?
  var policies: [String]?
  var sets: [(key: String, value: String)] = []
  var format = "text"
  var all = false
  var timeline: String?
  var perfetto: String?
  var quiet = false
  /// `--threads N`: nil for one per core.
  var threads: Int?
}

/// Colour on standard output: a terminal, and NO_COLOR unset or empty (no-color.org).
let colourOutput: Bool = {
  guard isatty(1) != 0 else { return false }
  if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
  if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
  return true
}()

/// A progress line on standard error: only on a terminal (never in pipes or CI).
let progressOnStderr: Bool = {
  guard isatty(2) != 0 else { return false }
  if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
  return true
}()

func parseOptions(_ args: ArraySlice<String>) -> Options {
  var o = Options()
  var i = args.startIndex
  func value(_ flag: String) -> String {
    i += 1
    guard i < args.endIndex else { usageError("\(flag) needs a value") }
    return args[i]
  }
  while i < args.endIndex {
    let a = args[i]
    switch a {
    case "--policy": o.policy = value(a)
    case "--policies":
      let list = value(a).split(separator: ",").map(String.init)
      guard !list.isEmpty else { usageError("--policies takes a comma-separated list of presets") }
      o.policies = list
    case "--set":
      let kv = value(a)
      guard let eq = kv.firstIndex(of: "=") else { usageError("--set takes knob=value, found '\(kv)'") }
      o.sets.append((String(kv[..<eq]), String(kv[kv.index(after: eq)...])))
    case "--format":
      o.format = value(a)
      guard ["text", "json", "sarif"].contains(o.format) else { usageError("--format takes text, json or sarif, found '\(o.format)'") }
    case "--all": o.all = true
    case "--quiet", "-q": o.quiet = true
    case "--timeline": o.timeline = value(a)
    case "--perfetto": o.perfetto = value(a)
    case "--threads":
      let v = value(a)
      guard let n = Int(v), n >= 1, n <= 1024 else { usageError("--threads takes a number of threads from 1 to 1024, found '\(v)'") }
      o.threads = n
    case "-": o.positional.append(a)
    default:
      if a.hasPrefix("-") { usageError("unknown option '\(a)'") }
      o.positional.append(a)
    }
    i += 1
  }
  // Check presets and knobs before reading anything.
  for p in [o.policy].compactMap({ $0 }) + (o.policies ?? []) where Policy(preset: p) == nil {
    usageError(Policy.unknownPreset(p))
  }
  var probe = Policy(preset: "page")!
  for (k, v) in o.sets {
    do { try probe.set(k, v) } catch { usageError("--set \(k)=\(v): \(error.message)") }
  }
  return o
}

func open(_ path: String) -> ByteSource {
  if path == "-" { return ByteSource(descriptor: 0) }
  do { return try ByteSource.open(path: path) } catch { fail(error.message) }
}

func quotes(_ path: String, _ results: [ReplayResult]) -> [Int: String] {
  var lines = Set<Int>()
  for r in results { for f in r.findings.findings.prefix(60) { lines.insert(f.line) } }
  return TraceLines.read(path: path, lines: lines)
}

func runReplay(_ o: Options, compare: Bool) -> Int32 {
  guard o.positional.count == 1 else { usageError("\(compare ? "compare" : "replay") takes one FILE") }
  let path = o.positional[0]
  let name = path == "-" ? "<stdin>" : path
  let mode: Session.Mode = compare ? .compare(o.policies ?? Policy.presetNames) : .replay(preset: o.policy)
  let results: [ReplayResult]
  var progress = ProgressLine(file: name)
  let tick: ((Int) -> Void)? =
    progressOnStderr && !o.quiet
    ? { line in
      progress.update(line: line, to: &err)
      err.flush()
    } : nil
  do {
    defer {
      progress.clear(to: &err)
      err.flush()
    }
    // The pipelined session: the reader on its own thread, the policies side by side.
    (_, results) = try Session.runPipelined(
      fileName: name, source: open(path), mode: mode, overrides: o.sets, recordsTimeline: o.timeline != nil || o.perfetto != nil,
      threads: o.threads, progress: tick)
  } catch {
    if error.location.file == Session.commandLine {
      usageError(error.message)
    }
    err.write("\(error)\n")
    return 2
  }
  if o.timeline != nil || o.perfetto != nil {
    var lines = Set<Int>()
    for r in results { for m in r.timeline?.marks ?? [] { lines.insert(m.finding.line) } }
    for r in results { for w in r.timeline?.waits ?? [] { lines.insert(w.line) } }
    let marked = TraceLines.read(path: path, lines: lines)
    if let svg = o.timeline {
      writeFile(svg) { SVGTimeline(quotes: marked).write(results, file: name, to: &$0) }
    }
    if let json = o.perfetto {
      writeFile(json) { PerfettoTrace(quotes: marked).write(results, file: name, to: &$0) }
    }
  }
  if o.quiet {
    // Only the exit status (and any files asked for).
  } else if o.format == "json" {
    JSONReport().write(results, command: compare ? "compare" : "replay", file: name, to: &out)
  } else if o.format == "sarif" {
    SARIFReport().write(results, file: name, to: &out)
  } else {
    var report = TextReport(quotes: quotes(path, results))
    report.colour = colourOutput
    if compare {
      report.writeComparison(results, file: name, all: o.all, to: &out)
    } else {
      report.write(results[0], file: name, to: &out)
    }
  }
  return results.contains { $0.hasErrorOrHang } ? 1 : 0
}

/// Writes a report to a file (created or truncated); exit 2 if it cannot.
func writeFile(_ path: String, _ body: (inout StandardOutput) -> Void) {
  let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  guard fd >= 0 else { fail("cannot write \(path): \(String(cString: strerror(errno)))") }
  var file = StandardOutput(fd: fd)
  body(&file)
  file.flush()
  close(fd)
}

func traceFiles(under path: String) -> [String]? {
  guard let dir = opendir(path) else { return nil }
  defer { closedir(dir) }
  var found: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if name == "." || name == ".." { continue }
    let full = path.hasSuffix("/") ? path + name : path + "/" + name
    if let sub = traceFiles(under: full) {
      found += sub
    } else if name.hasSuffix(".trace") {
      found.append(full)
    }
  }
  return found.sorted()
}

func runCheck(_ o: Options) -> Int32 {
  guard !o.positional.isEmpty else { usageError("check takes at least one FILE_OR_DIR") }
  guard o.format != "json" else { usageError("check takes --format text or sarif") }
  let sarif = o.format == "sarif"
  var outcomes: [CheckOutcome] = []
  var files: [String] = []
  for p in o.positional {
    if let sub = traceFiles(under: p) { files += sub } else { files.append(p) }
  }
  var passed = 0
  var failed = 0
  var bad = false
  for file in files {
    let source: ByteSource
    do {
      source = file == "-" ? ByteSource(descriptor: 0) : try ByteSource.open(path: file)
    } catch {
      if sarif {
        outcomes.append(CheckOutcome(file: file, policies: [], expectations: 0, failures: [], inputError: TraceError(SourceLocation(file: file, line: 0, column: 0), error.message)))
      } else {
        out.write("ERROR \(file): \(error.message)\n")
      }
      failed += 1
      bad = true
      continue
    }
    let shown = file == "-" ? "<stdin>" : file
    let outcome = Check.run(fileName: shown, source: source, overrides: o.sets)
    if let e = outcome.inputError, e.location.file == Session.commandLine {
      usageError(e.message)
    }
    if sarif {
      outcomes.append(outcome)
      if outcome.inputError != nil { bad = true }
      if outcome.passed { passed += 1 } else { failed += 1 }
    } else if let e = outcome.inputError {
      out.write("ERROR \(shown)\n  \(e)\n")
      failed += 1
      bad = true
    } else if outcome.passed {
      if !o.quiet { out.write("PASS  \(shown) (\(outcome.expectations) expectations, \(outcome.policies.joined(separator: ", ")))\n") }
      passed += 1
    } else {
      out.write("FAIL  \(shown)\n")
      for f in outcome.failures { out.write("  \(f)\n") }
      failed += 1
    }
  }
  if sarif {
    SARIFReport().write(check: outcomes, to: &out)
  } else {
    out.write("\(passed) passed, \(failed) failed\n")
  }
  return bad ? 2 : (failed > 0 ? 1 : 0)
}

/// A text report with colour when standard output takes it.
func coloured(_ report: TextReport) -> TextReport {
  var r = report
  r.colour = colourOutput
  return r
}

func runDemo() -> Int32 {
  func panel(_ name: String, _ trace: String) -> [ReplayResult] {
    do {
      return try Session.run(fileName: name, source: ByteSource(string: trace), mode: .compare(Policy.presetNames)).1
    } catch {
      fail("the built-in scenario failed: \(error)")
    }
  }
  func lines(_ trace: String) -> [Int: String] {
    var lines: [Int: String] = [:]
    for (i, l) in trace.split(separator: "\n", omittingEmptySubsequences: false).enumerated() { lines[i + 1] = String(l) }
    return lines
  }
  out.write("""
    pagestate: the s390 PV virtio-ring scenario (S1) under the four presets.
    A guest shares page 0 of a 4-page folio as a virtio ring; the VMM pins it
    long-term; the device writes it; the guest touches neighbour page 1.


    """)
  coloured(TextReport(quotes: lines(DemoScenario.trace))).writeComparison(panel(DemoScenario.fileName, DemoScenario.trace), file: DemoScenario.fileName, to: &out)
  out.write("""

    Under `folio` the pin's hook exports the ring's neighbours (collateral
    exports), and the guest's touch of page 1 waits for the folio's references
    forever: the long-term pin never goes. `page` and `split` stay clean;
    `refuse` kills the guest at boot.

    ------------------------------------------------------------------------------
    SEV-SNP (S15): a guest shares one 4K page of a 2 MiB private guest_memfd
    folio with a device, then takes it back.


    """)
  coloured(TextReport(quotes: lines(DemoScenario.snpTrace))).writeComparison(panel(DemoScenario.snpFileName, DemoScenario.snpTrace), file: DemoScenario.snpFileName, to: &out)
  out.write("""

    `page` smashes the 2M RMP entry (psmash) and lets the folio hold mixed
    states; `folio` converts the whole folio and exposes 511 private pages
    (collateral-share); `split` splits the folio and merges it back; `refuse`
    fails the conversion, so the device writes a page that is still private.

    Try: pagestate explain hang, pagestate explain collateral-share,
         pagestate check Fixtures

    """)
  return 0
}

func runExplain(_ o: Options) -> Int32 {
  guard o.positional.count == 1 else { usageError("explain takes one finding kind") }
  let name = o.positional[0]
  guard let kind = FindingKind(rawValue: name) else {
    let kinds = FindingKind.allCases.map(\.rawValue)
    usageError("unknown finding kind '\(name)'\(nearestSpelling(to: name, in: kinds).map { " (did you mean '\($0)'?)" } ?? ""); expected one of \(kinds.joined(separator: ", "))")
  }
  out.write(kind.explanation)
  if !kind.explanation.hasSuffix("\n") { out.write("\n") }
  return 0
}

let arguments = CommandLine.arguments.dropFirst()
let command = arguments.first ?? "demo"
let rest = arguments.dropFirst()
let status: Int32
switch command {
case "demo": status = runDemo()
case "replay": status = runReplay(parseOptions(rest), compare: false)
case "compare": status = runReplay(parseOptions(rest), compare: true)
case "check": status = runCheck(parseOptions(rest))
case "explain": status = runExplain(parseOptions(rest))
case "generate": status = runGenerate(rest)
case "explore": status = runExplore(rest)
case "import": status = runImport(rest)
case "help", "--help", "-h":
  out.write(usage)
  status = 0
default:
  usageError("unknown command '\(command)'\(nearestSpelling(to: command, in: ["demo", "replay", "compare", "check", "explain", "generate", "explore", "import"]).map { " (did you mean '\($0)'?)" } ?? "")")
}
exitFlushing(status)
