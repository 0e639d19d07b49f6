// `pagestate import FILE|- [--from F] [--arch A] [--guest G] [--guest-io shared|secure] [--kernel R] [--vmemmap ADDR] [--strict]`
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import PageStateImport
import PageStateTrace

let importUsage = """
  usage: pagestate import FILE|- [--from auto|ftrace|trace-cmd|perf|bpftrace] [--arch s390-pv|sev|sev-snp]
                [--guest anon|all|PFN-RANGES] [--guest-io shared|secure] [--kernel RELEASE]
                [--vmemmap ADDR] [--strict] [--quiet]
  Reads a kernel trace (tracefs trace or trace_pipe text, trace-cmd report with or
  without -R, perf script, or the bpftrace format of docs/import.md) and writes it
  as a trace of pagestate's language on standard output, one input line at a time:
    pagestate import trace.txt | pagestate compare -
  A summary (events recognised, unknown, lost, unmatched) goes to standard error.
  --from       the input format (default: detected from the first lines)
  --arch       the architecture the trace is replayed under (default s390-pv)
  --guest      the pages of a protected guest laid over the host's trace: anon (every
               anonymous page, the VMM's guest RAM), all, or pfn ranges (P, P..Q, P+N,
               comma-separated); the guest's own events are derived (docs/import.md)
  --guest-io   shared (default): the guest shares a page before the host's first pin
               or reference on it; secure: it does not
  --kernel     the kernel release of the trace (6.1, 6.12): the FOLL_* bit layout
               (default: learnt from the flags in the trace), and on s390-pv from
               6.10 on the model's rules of that release (policy kernel=6.N)
  --vmemmap    vmemmap_base, when the trace has no vmemmap= field and the kernel
               was booted with KASLR
  --strict     the first line not understood is an error (FILE:LINE:COL, exit 2)
  --quiet      no summary on standard error
  Exit: 0, or 2 on bad input or options.

  """

func runImport(_ args: ArraySlice<String>) -> Int32 {
  var options = ImportOptions()
  var path: String?
  var quiet = false
  var i = args.startIndex
  func value(_ flag: String) -> String {
    i += 1
    guard i < args.endIndex else { importUsageError("\(flag) needs a value") }
    return args[i]
  }
  while i < args.endIndex {
    var a = args[i]
    // --opt=value is --opt value.
    if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
      let v = String(a[a.index(after: eq)...])
      a = String(a[..<eq])
      guard ["--from", "--arch", "--guest", "--guest-io", "--kernel", "--vmemmap"].contains(a) else {
        importUsageError("unknown option '\(args[i])' for import")
      }
      switch apply(a, v, to: &options) {
      case nil: break
      case let message?: importUsageError(message)
      }
      i += 1
      continue
    }
    switch a {
    case "--help", "-h":
      out.write(importUsage)
      return 0
    case "--strict": options.strict = true
    case "--quiet", "-q": quiet = true
    case "--from", "--arch", "--guest", "--guest-io", "--kernel", "--vmemmap":
      if let message = apply(a, value(a), to: &options) { importUsageError(message) }
    default:
      if a.hasPrefix("-") && a != "-" { importUsageError("unknown option '\(a)' for import") }
      guard path == nil else { importUsageError("import takes one FILE (or - for standard input)") }
      path = a
    }
    i += 1
  }
  guard let path else { importUsageError("import takes a FILE (or - for standard input)") }
  if options.guest != nil && options.architecture == .sevSNP {
    importUsageError("--guest with --arch sev-snp: on SEV-SNP hosts the guest's private memory is guest_memfd memory, which no host path pins or writes back, and the host's traces show only the shared side; import an SEV-SNP host trace without --guest, or lay a guest over it with --arch sev")
  }
  let name = path == "-" ? "<stdin>" : path
  let source: ByteSource
  if path == "-" {
    source = ByteSource(descriptor: 0)
  } else {
    do { source = try ByteSource.open(path: path) } catch {
      err.write("\(error)\n")
      return 2
    }
  }
  let output = traceOnStandardOutput()
  let importer = KernelTraceImporter(fileName: name, options: options, output: output)
  do {
    let summary = try importer.run(source)
    if !quiet { summary.write(to: &err) }
  } catch {
    output.flush()
    err.write("\(error)\n")
    return 2
  }
  return 0
}

/// Sets one option; a message if its value is not one it takes.
func apply(_ flag: String, _ v: String, to options: inout ImportOptions) -> String? {
  switch flag {
  case "--from":
    if v == "auto" {
      options.format = nil
    } else if let f = KernelTraceFormat(rawValue: v == "tracefs" ? "ftrace" : v) {
      options.format = f
    } else {
      return "--from takes auto, ftrace, trace-cmd, perf or bpftrace, found '\(v)'"
    }
  case "--arch":
    guard let arch = ArchitectureName(rawValue: v) else {
      return "--arch takes \(ArchitectureName.allCases.map(\.rawValue).joined(separator: ", ")), found '\(v)'"
    }
    options.architecture = arch
  case "--guest":
    guard let g = GuestSelection.parse(v) else {
      return "--guest takes anon, all, or pfn ranges (P, P..Q, P+N, comma-separated), found '\(v)'"
    }
    options.guest = g
  case "--guest-io":
    guard let g = GuestIO(rawValue: v) else { return "--guest-io takes shared or secure, found '\(v)'" }
    options.guestIO = g
  case "--kernel":
    guard ImportOptions.isRelease(v) else { return "--kernel takes a kernel release such as 6.1 or 6.12.95, found '\(v)'" }
    options.kernel = v
  case "--vmemmap":
    let t = v.lowercased()
    guard let n = t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t, radix: 16) else {
      return "--vmemmap takes an address in hexadecimal, found '\(v)'"
    }
    options.vmemmap = n
  default: return "unknown option '\(flag)' for import"
  }
  return nil
}

func importUsageError(_ message: String) -> Never {
  err.write("pagestate import: \(message)\n\(importUsage)")
  exitFlushing(2)
}
