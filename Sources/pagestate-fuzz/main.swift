// A libFuzzer entry point over the trace reader and the replay: every
// architecture the input names, the four presets side by side (`compare`),
// and `check` (which also verifies the input's `expect` lines).
//
// Built only when PAGESTATE_FUZZ is set (see Package.swift and docs/fuzzing.md):
//
//   PAGESTATE_FUZZ=1 swift build -c release --scratch-path /tmp/fuzz-build \
//     --product pagestate-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//
// A TraceError is the expected answer to bad input; anything else (a trap,
// a sanitizer report, a timeout, running out of memory) is a bug.
import PageStateEngine
import PageStateModel
import PageStateTrace

/// Inputs declaring more pages than this are only parsed, not replayed.
let replayedPages: UInt64 = 1 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func pagestateFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))

  // The reader alone: every statement of the input, or its first error.
  var reader = TraceReader(fileName: "fuzz.trace", source: ByteSource(bytes: bytes))
  var declared: UInt64 = 0
  var statements: [Statement] = []
  var firstError: TraceError?
  do {
    while let s = try reader.next() {
      if case .memory(let d) = s { declared += d.pages.count }
      statements.append(s)
    }
  } catch {
    check(error)
    firstError = error
  }

  // The batched reader (the replay's, with its fast path for common event
  // lines) yields the same statements and the same error.
  var batched = TraceReader(fileName: "fuzz.trace", source: ByteSource(bytes: bytes))
  var batch = StatementBatch()
  var fromBatches: [Statement] = []
  var batchedError: TraceError?
  do {
    while try batched.read(into: &batch, limit: 3) { fromBatches += batch.statements }
    fromBatches += batch.statements
  } catch {
    fromBatches += batch.statements
    batchedError = error
  }
  precondition(fromBatches == statements && batchedError == firstError, "the batched reader differs from next(): \(String(describing: batchedError)) vs \(String(describing: firstError))")
  // A declaration within the limits (2^26 pages) is valid but costs about
  // 11 bytes per page and policy, and a second per replay under ASan: the
  // replays skip such inputs (the reader has checked them; the limits tests
  // cover them) so the fuzzer's time goes to the rules, not to memset.
  if declared > replayedPages { return 0 }

  // The replay under the four presets.
  do {
    _ = try Session.run(fileName: "fuzz.trace", source: ByteSource(bytes: bytes), mode: .compare(Policy.presetNames))
  } catch {
    check(error)
  }

  // `check`: the expectations, an error per preset.
  let outcome = Check.run(fileName: "fuzz.trace", source: ByteSource(bytes: bytes))
  if let error = outcome.inputError { check(error) }
  return 0
}

/// An input error must carry a location in the trace (or the command line)
/// and a message; rendering it must not trap.
private func check(_ error: TraceError) {
  let text = error.description
  precondition(!error.message.isEmpty, "empty error message: \(text)")
  // Errors found in the trace point into it: a 1-based line and column.
  precondition(error.location.file == "fuzz.trace", "error not located in the trace: \(text)")
  precondition(error.location.line >= 1 && error.location.column >= 1, "error without a line and column: \(text)")
}

// SwiftPM links an executable target with `main` renamed to `<module>_main`
// (`--defsym main=pagestate_fuzz_main`, so tests can link executables); with
// `-parse-as-library` there is no such function, so this one hands control
// to libFuzzer's driver, which then calls `LLVMFuzzerTestOneInput`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("pagestate_fuzz_main")
public func pagestateFuzzMain(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv, pagestateFuzzOneInput)
}
