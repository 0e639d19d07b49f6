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
  /// The first write error (errno), if any: reported, exit 2.
  var failure: Int32?
  mutating func flush() {
    var done = 0
    while done < buffer.count && failure == nil {
      let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        failure = n < 0 ? errno : ENOSPC
        break
      }
      done += n
    }
    buffer.removeAll(keepingCapacity: true)
  }
}

nonisolated(unsafe) var out = StandardOutput(fd: 1)
nonisolated(unsafe) var err = StandardOutput(fd: 2)

/// Flushes both streams and exits; a failed write of standard output (a
/// full disk, `> /dev/full`) is an error, exit 2.
func exitFlushing(_ status: Int32) -> Never {
  out.flush()
  if let e = out.failure {
    err.write("pagestate: cannot write standard output: \(String(cString: strerror(e)))\n")
    err.flush()
    exit(2)
  }
  err.flush()
  exit(status)
}

let usage = """
  usage: pagestate [demo]
         pagestate replay FILE [--policy P] [--set knob=value]... [--format text|json|sarif]
                [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N] [--max-findings N]
         pagestate compare FILE [--policies P1,P2,...] [--set knob=value]... [--format text|json|sarif] [--all]
                [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N] [--max-findings N]
         pagestate check FILE_OR_DIR... [--format text|sarif] [--set knob=value]... [--quiet] [--allow-empty]
         pagestate explain KIND
         pagestate explore FILE [--policy P] [--set knob=value]... [--max-states N] [--output CEX.trace] [--no-reduction]
         pagestate generate WORKLOAD [--pages N] [--events N] [--seed S] [--arch A] [--folio-order K]
         pagestate import KERNEL-TRACE [--from F] [--arch A] [--guest G] [--strict]   (import --help)
         pagestate help [COMMAND]     pagestate COMMAND --help     pagestate --version
  FILE may be - for standard input. Presets: page, folio, split, refuse.
  --opt=value is --opt value. `pagestate COMMAND --help` says what each option does.

  """

/// Each command's own usage: `pagestate CMD --help`, `pagestate help CMD`.
let commandUsage: [String: String] = [
  "demo": """
    usage: pagestate [demo]
      The built-in scenarios S1 (s390 PV virtio ring in a large folio) and S15
      (SEV-SNP: one 4K page of a 2 MiB guest_memfd folio converted to shared) under the four
      presets side by side. Exit 0.

    """,
  "replay": """
    usage: pagestate replay FILE [--policy P] [--set knob=value]... [--format text|json|sarif]
                  [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N] [--max-findings N]
      Replays a trace under one policy and reports its findings and statistics.
      --policy P         a preset: page, folio, split, refuse (default: the file's, else split)
      --set knob=value   a knob over the preset (repeatable; docs/model-*.md)
      --format F         text (default), json (docs/json.md) or sarif (for code scanning)
      --timeline F.svg   an SVG timeline of the pages, waits and findings
      --perfetto F.json  a Perfetto/Chrome trace (ui.perfetto.dev)
      --quiet            no report: the exit status only
      --threads N        at most N threads (1: everything on this one)
      --max-findings N   findings kept with their details (default 10000; 0: all); counts stay exact
      FILE may be - (standard input). Exit 0 clean, 1 findings of severity error or hang, 2 bad input.

    """,
  "compare": """
    usage: pagestate compare FILE [--policies P1,P2,...] [--set knob=value]... [--format text|json|sarif] [--all]
                  [--timeline OUT.svg] [--perfetto OUT.json] [--quiet] [--threads N] [--max-findings N]
      Replays a trace under several policies (default: the four presets) from one parse,
      and prints the rows that differ side by side, then each policy's first finding.
      --policies LIST    comma-separated presets
      --all              every row, with * on those that differ
      (--set, --format, --timeline, --perfetto, --quiet, --threads, --max-findings: as for replay)
      Exit 0 clean under every policy, 1 findings of severity error or hang, 2 bad input.

    """,
  "check": """
    usage: pagestate check FILE_OR_DIR... [--format text|sarif] [--set knob=value]... [--quiet] [--allow-empty]
      Verifies the `expect` lines of every *.trace file (directories recursively, in order).
      A file with no `expect` line, and a directory with no trace, fail unless --allow-empty.
      --format F         text (default: a line per file) or sarif (failed expectations at their lines)
      --set knob=value   a knob over each file's policies
      --quiet            only failures and the closing line
      Exit 0 all pass, 1 an expectation failed, 2 bad input.

    """,
  "explain": """
    usage: pagestate explain KIND
      What a finding kind means, with the kernel context (pagestate explain hang).

    """,
  "explore": """
    usage: pagestate explore FILE [--policy P] [--set knob=value]... [--max-states N] [--memory SIZE] [--output CEX.trace] [--no-reduction]
      Searches every interleaving of the actors' events for one that reaches a finding of
      severity error or hang, and prints the shortest as a replayable trace (docs/explore.md).
      --max-states N     stop after N states (default 1000000): the search is then incomplete
      --memory SIZE      the memory the search may take (512M, 4G; default half the machine's):
                         each state holds every declared page, so --max-states is lowered to fit
      --output F         write the counterexample there
      --no-reduction     no sleep sets (for checking the reduction)
      Exit 0 nothing found in a complete search, 1 found, 2 bad input, 3 stopped at --max-states.

    """,
  "generate": """
    usage: pagestate generate WORKLOAD [--pages N] [--events N] [--seed S] [--arch A] [--folio-order K] [--with RACE]...
      A synthetic trace on standard output: virtio, writeback, dio, mixed, snp (docs/workloads.md).
      Under page and split a generated workload is clean, as a current kernel runs it, unless
      --with puts in a known race: foll-get (pre-6.5 O_DIRECT: FOLL_GET, no hook),
      hook-before-marker (the hook called before the reference is taken).
      --pages N          guest pages (default 65536; rounded down to whole folios and regions)
      --events N         events (default 1000000)
      --seed S           the random seed (default 1)
      --arch A           s390-pv (default; snp: sev-snp)
      --folio-order K    the guest's folio order (default 2; snp: 9)

    """,
  "import": importUsage,
]

/// `pagestate CMD --help` / `pagestate help CMD`.
func printUsage(of command: String) -> Int32 {
  guard let text = commandUsage[command] else {
    usageError("unknown command '\(command)'\(nearestSpelling(to: command, in: commands).map { " (did you mean '\($0)'?)" } ?? "")")
  }
  out.write(text)
  return 0
}

let commands = ["demo", "replay", "compare", "check", "explain", "generate", "explore", "import"]

/// `--opt=value` as `--opt value` (the first '=' splits).
func splittingEquals(_ args: ArraySlice<String>) -> [String] {
  var result: [String] = []
  for a in args {
    if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
      result.append(String(a[..<eq]))
      result.append(String(a[a.index(after: eq)...]))
    } else {
      result.append(a)
    }
  }
  return result
}

func fail(_ message: String) -> Never {
  err.write("pagestate: \(message)\n")
  exitFlushing(2)
}

/// The command being run: a usage error prints its usage.
nonisolated(unsafe) var currentCommand: String?

func usageError(_ message: String) -> Never {
  err.write("pagestate: \(message)\n\(currentCommand.flatMap { commandUsage[$0] } ?? usage)")
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
  /// `--max-findings N` (0: all).
  var maxFindings = FindingLog.storedLimit
  /// `check --allow-empty`.
  var allowEmpty = false
}

/// The options each command takes (and `explore`'s, beside its own).
let commandOptions: [String: Set<String>] = [
  "replay": ["--policy", "--set", "--format", "--timeline", "--perfetto", "--quiet", "-q", "--threads", "--max-findings"],
  "compare": ["--policies", "--set", "--format", "--all", "--timeline", "--perfetto", "--quiet", "-q", "--threads", "--max-findings"],
  "check": ["--format", "--set", "--quiet", "-q", "--allow-empty"],
  "explain": [],
  "explore": ["--policy", "--set"],
]

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

func parseOptions(_ raw: ArraySlice<String>, command: String) -> Options {
  var o = Options()
  let args = splittingEquals(raw)[...]
  let allowed = commandOptions[command] ?? []
  var i = args.startIndex
  func value(_ flag: String) -> String {
    i += 1
    guard i < args.endIndex else { usageError("\(flag) needs a value") }
    return args[i]
  }
  while i < args.endIndex {
    let a = args[i]
    if a == "--help" || a == "-h" { exitFlushing(printUsage(of: command)) }
    if a.hasPrefix("-") && a != "-" && !allowed.contains(a) {
      let known = commandOptions.values.contains { $0.contains(a) } || ["--max-states", "--output", "--no-reduction", "--memory"].contains(a)
      usageError(known
        ? "\(a) is not an option of '\(command)'\(a == "--policies" ? " (replay runs one policy: --policy P; compare runs several)" : a == "--policy" && command == "compare" ? " (compare takes --policies P1,P2,...)" : ""); see pagestate \(command) --help"
        : "unknown option '\(a)' for '\(command)'; see pagestate \(command) --help")
    }
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
      let formats = command == "check" ? ["text", "sarif"] : ["text", "json", "sarif"]
      guard formats.contains(o.format) else {
        usageError("--format takes \(formats.dropLast().joined(separator: ", ")) or \(formats.last!)\(command == "check" ? " for check" : ""), found '\(o.format)'")
      }
    case "--all": o.all = true
    case "--quiet", "-q": o.quiet = true
    case "--timeline": o.timeline = value(a)
    case "--perfetto": o.perfetto = value(a)
    case "--threads":
      let v = value(a)
      guard let n = Int(v), n >= 1, n <= 1024 else { usageError("--threads takes a number of threads from 1 to 1024, found '\(v)'") }
      o.threads = n
    case "--max-findings":
      let v = value(a)
      guard let n = Int(v), n >= 0 else { usageError("--max-findings takes a number of findings (0: all), found '\(v)'") }
      o.maxFindings = n == 0 ? Int.max : n
    case "--allow-empty": o.allowEmpty = true
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
  // The output files are opened first: an unwritable path fails before a long replay.
  let svgFile = o.timeline.map { openForWriting($0) }
  let perfettoFile = o.perfetto.map { openForWriting($0) }
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
      threads: o.threads, findingLimit: o.maxFindings, progress: tick)
  } catch {
    if error.location.file == Session.commandLine {
      usageError(error.message)
    }
    err.write("\(error)\n")
    // A CI step that keeps the SARIF file gets one that says what went wrong, never an empty file.
    if o.format == "sarif" { sarifWriter().write(inputError: error, to: &out) }
    return 2
  }
  if o.timeline != nil || o.perfetto != nil {
    var lines = Set<Int>()
    for r in results { for m in r.timeline?.marks ?? [] { lines.insert(m.finding.line) } }
    for r in results { for w in r.timeline?.waits ?? [] { lines.insert(w.line) } }
    let marked = TraceLines.read(path: path, lines: lines)
    if let svg = svgFile {
      write(to: svg) { SVGTimeline(quotes: marked).write(results, file: name, to: &$0) }
    }
    if let json = perfettoFile {
      write(to: json) { PerfettoTrace(quotes: marked).write(results, file: name, to: &$0) }
    }
  }
  if o.quiet {
    // Only the exit status (and any files asked for).
  } else if o.format == "json" {
    JSONReport().write(results, command: compare ? "compare" : "replay", file: name, to: &out)
  } else if o.format == "sarif" {
    sarifWriter().write(results, file: name, to: &out)
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

/// A file opened for a report (created or truncated); exit 2 if it cannot be.
func openForWriting(_ path: String) -> (path: String, fd: Int32) {
  let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  guard fd >= 0 else { fail("cannot write \(path): \(String(cString: strerror(errno)))") }
  return (path, fd)
}

/// Writes a report to a file `openForWriting` opened; exit 2 if the write fails.
func write(to file: (path: String, fd: Int32), _ body: (inout StandardOutput) -> Void) {
  var stream = StandardOutput(fd: file.fd)
  body(&stream)
  stream.flush()
  close(file.fd)
  if let e = stream.failure { fail("cannot write \(file.path): \(String(cString: strerror(e)))") }
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
    if let sub = traceFiles(under: p) {
      // A directory with no trace must not pass silently.
      if sub.isEmpty && !o.allowEmpty {
        err.write("pagestate check: no *.trace file under \(p) (--allow-empty accepts that)\n")
        return 1
      }
      files += sub
    } else {
      files.append(p)
    }
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
    var outcome = Check.run(fileName: shown, source: source, overrides: o.sets)
    // A file that states nothing checks nothing: it fails unless --allow-empty.
    let unchecked = outcome.inputError == nil && outcome.expectations == 0 && !o.allowEmpty
    if unchecked {
      outcome.failures.append("no 'expect' line: this file checks nothing (add expectations, or --allow-empty)")
      outcome.failureLines.append(1)
    }
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
    sarifWriter().write(check: outcomes, to: &out)
  } else {
    out.write("\(passed) passed, \(failed) failed\n")
  }
  return bad ? 2 : (failed > 0 ? 1 : 0)
}

/// A trace written straight to standard output (`generate`, `import`): a
/// closed pipe (`| head`) ends it quietly, any other write error is exit 2.
func traceOnStandardOutput() -> TraceOutput {
  TraceOutput { bytes in
    var done = 0
    while done < bytes.count {
      let n = write(1, bytes.baseAddress! + done, bytes.count - done)
      if n <= 0 {
        if n < 0 && errno == EINTR { continue }
        if errno == EPIPE { exitFlushing(0) }
        err.write("pagestate: cannot write the trace to standard output: \(String(cString: strerror(errno)))\n")
        exitFlushing(2)
      }
      done += n
    }
  }
}

/// A SARIF writer whose `%SRCROOT%` is the working directory.
func sarifWriter() -> SARIFReport {
  var report = SARIFReport()
  var buffer = [CChar](repeating: 0, count: 4096)
  if getcwd(&buffer, buffer.count) != nil {
    report.workingDirectory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  return report
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
    SEV-SNP (S15): a guest converts one 4K page of a 2 MiB private guest_memfd
    folio to shared, goes on using its neighbour, then takes the page back.
    It models the unmerged in-place guest_memfd series (gmem=in-place): in
    mainline (gmem=separate, the default) shared and private memory are
    different pages and guest_memfd folios are order 0 (docs/model-sev.md).


    """)
  coloured(TextReport(quotes: lines(DemoScenario.snpTrace))).writeComparison(panel(DemoScenario.snpFileName, DemoScenario.snpTrace), file: DemoScenario.snpFileName, to: &out)
  out.write("""

    `page` smashes the 2M RMP entry (psmash) and lets the folio hold mixed
    states; `folio` converts the whole folio, exposes 511 private pages
    (collateral-share) and the neighbour the guest goes on using loses its
    validation (unvalidated-access); `split` splits the folio and merges it
    back; `refuse` fails the conversion (conversion-failed, a warning: the
    page stays private and the guest must cope).

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
if commands.contains(command) { currentCommand = command }
switch command {
case "demo":
  if rest.first == "--help" || rest.first == "-h" { exitFlushing(printUsage(of: "demo")) }
  guard rest.isEmpty else { usageError("demo takes no arguments; see pagestate demo --help") }
  status = runDemo()
case "replay": status = runReplay(parseOptions(rest, command: "replay"), compare: false)
case "compare": status = runReplay(parseOptions(rest, command: "compare"), compare: true)
case "check": status = runCheck(parseOptions(rest, command: "check"))
case "explain": status = runExplain(parseOptions(rest, command: "explain"))
case "generate": status = runGenerate(rest)
case "explore": status = runExplore(rest)
case "import": status = runImport(rest)
case "help", "--help", "-h":
  if let c = rest.first {
    status = printUsage(of: c)
  } else {
    out.write(usage)
    status = 0
  }
case "--version", "-V", "version":
  out.write("pagestate \(PageStateVersion.string) (trace language \(PageStateVersion.traceLanguage))\n")
  status = 0
default:
  usageError("unknown command '\(command)'\(nearestSpelling(to: command, in: commands).map { " (did you mean '\($0)'?)" } ?? "")")
}
exitFlushing(status)
