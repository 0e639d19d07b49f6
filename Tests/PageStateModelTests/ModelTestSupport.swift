import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// Replays `body` after a memory declaration under architecture `A` and
/// returns the result and the final model.
func replay<A: Architecture>(
  _ arch: A.Type, _ body: String, memory: String = "memory 0x0..0x3 order=2",
  preset: String = "page", knobs: [(String, String)] = []
) throws -> (ReplayResult, Model) {
  let text = "arch \(A.name.rawValue)\n\(memory)\n\(body)\n"
  var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: text))
  var policy = Policy(preset: preset)!
  for (k, v) in knobs { try policy.set(k, v) }
  var r = Replay<A>(policy: policy, fileName: "t.trace")
  while let s = try reader.next() { try r.feed(s) }
  let result = try r.finish()
  return (result, r.model)
}

/// `replay` under s390-pv.
func replay(_ body: String, memory: String = "memory 0x0..0x3 order=2", preset: String = "page", knobs: [(String, String)] = []) throws -> (ReplayResult, Model) {
  try replay(S390PV.self, body, memory: memory, preset: preset, knobs: knobs)
}

/// The report name of a page's state in a final model.
func state<A: Architecture>(_ m: Model, _ page: UInt64, _ arch: A.Type = S390PV.self) -> String {
  var copy = m
  return A.stateName(of: page, in: &copy)
}
