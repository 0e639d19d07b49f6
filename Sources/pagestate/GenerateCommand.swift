// `pagestate generate WORKLOAD [--pages N] [--events N] [--seed S] [--arch A] [--folio-order K]`
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import PageStateTrace
import PageStateWorkloads

func runGenerate(_ raw: ArraySlice<String>) -> Int32 {
  let args = splittingEquals(raw)[...]
  if args.contains("--help") || args.contains("-h") { return printUsage(of: "generate") }
  let names = Workload.allCases.map(\.rawValue)
  guard let name = args.first, !name.hasPrefix("-") else {
    usageError("generate takes a workload: \(names.joined(separator: ", "))")
  }
  guard let workload = Workload(rawValue: name) else {
    usageError("unknown workload '\(name)'; expected one of \(names.joined(separator: ", "))\(nearestSpelling(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? "")")
  }
  var p = WorkloadParameters(workload: workload)
  var i = args.index(after: args.startIndex)
  var pagesGiven = false
  func number(_ flag: String) -> UInt64 {
    i += 1
    guard i < args.endIndex else { usageError("\(flag) needs a value") }
    let text = args[i]
    let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    guard let value else { usageError("\(flag) takes a number, found '\(text)'") }
    return value
  }
  while i < args.endIndex {
    switch args[i] {
    case "--pages":
      p.pages = number("--pages")
      pagesGiven = true
    case "--events": p.events = number("--events")
    case "--seed": p.seed = number("--seed")
    case "--folio-order":
      let k = number("--folio-order")
      guard k <= 64 else { usageError("--folio-order must be 0 to \(TraceReader.Limits.maxOrder)") }
      p.folioOrder = Int(k)
    case "--with":
      i += 1
      let names = KnownRace.allCases.map(\.rawValue)
      guard i < args.endIndex, let race = KnownRace(rawValue: args[i]) else {
        usageError("--with takes a known race: \(names.joined(separator: ", "))")
      }
      p.races.insert(race)
    case "--arch":
      i += 1
      guard i < args.endIndex, let arch = ArchitectureName(rawValue: args[i]) else {
        usageError("--arch takes \(ArchitectureName.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      p.architecture = arch
    default:
      usageError("unknown option '\(args[i])' for generate")
    }
    i += 1
  }
  // The default (65536) is rounded silently; a value the user gave, with a note.
  if let note = p.roundPages(), pagesGiven { err.write("pagestate generate: \(note)\n") }
  if let problem = p.validate() { usageError(problem) }
  let output = traceOnStandardOutput()
  var generator = Generator(p, output: output)
  generator.run()
  return 0
}
