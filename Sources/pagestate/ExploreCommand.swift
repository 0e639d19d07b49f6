// `pagestate explore FILE [--policy P] [--set knob=value]... [--max-states N] [--max-seconds S] [--memory SIZE]
//  [--threads N] [--output CEX.trace] [--no-reduction] [--copying]`
#if canImport(Glibc)
  import Glibc
#endif
import PageStateEngine
import PageStateExplore
import PageStateModel
import PageStateTrace

func runExplore(_ raw: ArraySlice<String>) -> Int32 {
  let args = splittingEquals(raw)[...]
  var rest: [String] = []
  var maxStates = 1_000_000
  var capped = false
  var memory: UInt64?
  var output: String?
  var reduction = true
  var copying = false
  var threads = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  var maxSeconds: Double?
  var i = args.startIndex
  while i < args.endIndex {
    switch args[i] {
    case "--max-states":
      i += 1
      guard i < args.endIndex, let n = Int(args[i]), n > 0 else { usageError("--max-states takes a positive number") }
      maxStates = n
    case "--output":
      i += 1
      guard i < args.endIndex else { usageError("--output needs a file name") }
      output = args[i]
    case "--no-reduction":
      reduction = false
    case "--copying":
      copying = true
    case "--threads":
      i += 1
      guard i < args.endIndex, let n = Int(args[i]), n > 0 else { usageError("--threads takes a positive number") }
      threads = n
    case "--max-seconds":
      i += 1
      guard i < args.endIndex, let s = Double(args[i]), s > 0 else { usageError("--max-seconds takes a positive number of seconds") }
      maxSeconds = s
    case "--memory":
      i += 1
      guard i < args.endIndex, let n = parseSize(args[i]), n > 0 else { usageError("--memory takes a size: 512M, 4G or a number of bytes") }
      memory = n
    default:
      rest.append(args[i])
    }
    i += 1
  }
  let o = parseOptions(rest[...], command: "explore")
  guard o.positional.count == 1 else { usageError("explore takes one FILE") }
  let path = o.positional[0]
  let name = path == "-" ? "<stdin>" : path
  // Read the whole scenario: it is small, and counterexamples quote its lines.
  let source = open(path)
  var bytes: [UInt8] = []
  var reader = TraceReaderBytes(source: source)
  do {
    bytes = try reader.readAll(fileName: name)
  } catch {
    err.write("\(error)\n")
    return 2
  }
  let result: ExplorationResult
  do {
    let scenario = try Scenario(fileName: name, bytes: bytes)
    var session = Session(fileName: name, mode: .replay(preset: o.policy), overrides: o.sets)
    for s in scenario.setup { try session.feed(s) }
    let policy = try session.policies()[0]
    // The compact search stops, incomplete, before its visited set and queue
    // outgrow the budget (half the machine's memory by default). The copying
    // one grows with declared pages x states (a state is a whole replay): a
    // search that cannot fit is cut to what fits, said, and exits 3, instead
    // of being killed.
    let budget = memory ?? UInt64(max(sysconf(Int32(_SC_PHYS_PAGES)), 1)) * UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1)) / 2
    let fitting = max(1, budget / scenario.bytesPerState)
    if copying && UInt64(maxStates) > fitting {
      err.write("pagestate explore: --max-states \(maxStates) lowered to \(fitting): each state holds the \(scenario.bytesPerState / 1024) KiB of \(scenario.declaredPages) declared pages, and \(memory == nil ? "half this machine's memory" : "--memory") is \(budget >> 20) MiB; declare only the pages the scenario uses\n")
      maxStates = Int(fitting)
      capped = true
    }
    let progress: (@Sendable (ExplorationProgress) -> Void)? = isatty(2) != 0 ? { @Sendable p in explorerProgress(p, name: name) } : nil
    func configure<A>(_ e: inout Explorer<A>) {
      e.threads = threads
      e.maxSeconds = maxSeconds
      e.memoryLimit = budget
      e.copying = copying
      e.progress = progress
    }
    switch scenario.architecture {
    case .s390PV:
      var e = Explorer<S390PV>(scenario: scenario, policy: policy, maxStates: maxStates, reduction: reduction)
      configure(&e)
      result = try e.run()
    case .sev:
      var e = Explorer<SEV>(scenario: scenario, policy: policy, maxStates: maxStates, reduction: reduction)
      configure(&e)
      result = try e.run()
    case .sevSNP:
      var e = Explorer<SEVSNP>(scenario: scenario, policy: policy, maxStates: maxStates, reduction: reduction)
      configure(&e)
      result = try e.run()
    }
    if progress != nil { err.write("\r\u{1B}[K") }
  } catch {
    if error.location.file == Session.commandLine { usageError(error.message) }
    err.write("\(error)\n")
    return 2
  }
  let rate = result.seconds > 0 ? Int(Double(result.states) / result.seconds) : 0
  out.write("\(name): explored under policy \(result.policy)\n")
  // The timing goes to standard error: standard output is the same run to run.
  out.write("  states \(result.states), transitions \(result.transitions) (\(result.sleptTransitions) skipped by sleep sets, \(result.reexplored) states re-explored), depth \(result.depth)\n")
  err.write(
    "pagestate explore: \(String(Int(result.seconds * 1000))) ms, \(rate) states/s, \(result.copying ? "copying search" : "compact search, \(threads) threads, \(result.peakBytes >> 20) MiB peak (visited set \(result.visitedBytes >> 20) MiB)")\n")
  guard let finding = result.finding, let cex = result.counterexample else {
    if result.incomplete {
      let why: String
      switch result.stopReason {
      case .seconds: why = "--max-seconds \(maxSeconds.map { String($0) } ?? "")"
      case .memory: why = "the memory limit (\(memory == nil ? "half this machine's memory" : "--memory"))"
      default: why = capped ? "the \(maxStates) states that fit in memory" : "--max-states \(maxStates)"
      }
      let advice: String
      switch result.stopReason {
      case .seconds: advice = "raise --max-seconds"
      case .memory: advice = "raise --memory (or declare fewer pages)"
      default: advice = capped ? "declare fewer pages" : "raise --max-states"
      }
      out.write("warning: the search stopped at \(why) without a finding: it is INCOMPLETE, \(advice) to search further\n")
      out.write("  covered: every interleaving of up to \(result.levelsCompleted) events (no finding there); \(result.queued) states reached at depth \(result.levelsCompleted + 1) or more were not expanded\n")
      return 3  // not 0: a clean complete search's code
    }
    out.write("no interleaving has a finding of severity error or hang\n")
    return 0
  }
  out.write("found \(finding.kind.rawValue) (\(finding.severity.rawValue)) after \(result.path?.count ?? 0) events: \(finding.actor) \(finding.event): \(finding.message)\n")
  if let output {
    let fd = Glibc.open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write '\(output)': \(String(cString: strerror(errno)))") }
    _ = cex.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
    out.write("counterexample written to \(output):\n")
  } else {
    out.write("counterexample:\n")
  }
  out.write(cex)
  return 1
}

/// Rewrites the progress line on standard error (a terminal).
func explorerProgress(_ p: ExplorationProgress, name: String) {
  var e = StandardOutput(fd: 2)
  e.write("\r\u{1B}[Kpagestate explore: \(name): \(p.description)")
}

/// `512M`, `4G`, `100K` or bytes.
func parseSize(_ text: String) -> UInt64? {
  let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
  if let last = text.last?.uppercased().first, let unit = units[last] {
    return UInt64(text.dropLast()).map { $0 * unit }
  }
  return UInt64(text)
}

/// Reads all bytes of a source (small scenarios only).
struct TraceReaderBytes {
  let source: ByteSource
  static let limit = 16 << 20

  mutating func readAll(fileName: String) throws(TraceError) -> [UInt8] {
    var lines: [UInt8] = []
    var reader = TraceReader(fileName: fileName, source: source)
    // Read through the reader's line splitter to reuse its limits and errors.
    while let range = try reader.nextRawLine() {
      lines.append(contentsOf: range)
      lines.append(0x0A)
      if lines.count > TraceReaderBytes.limit {
        throw TraceError(SourceLocation(file: fileName, line: 0, column: 0), "explore takes small scenarios (at most 16 MiB)")
      }
    }
    return lines
  }
}
