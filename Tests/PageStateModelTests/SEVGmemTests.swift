import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

// `gmem=separate|in-place` (sev-snp): mainline guest_memfd and the unmerged
// in-place conversion series (docs/model-sev.md).

@Test("gmem defaults to separate (mainline) under every preset, takes in-place, rejects the rest")
func gmemKnob() throws {
  for name in Policy.presetNames {
    #expect(Policy(preset: name)!.gmem == .separate)
  }
  var p = Policy(preset: "split")!
  try p.set("gmem", "in-place")
  #expect(p.gmem == .inPlace)
  #expect(p.name == "split+gmem=in-place")
  #expect(Policy.knobNames.contains("gmem"))
  #expect(throws: PolicyError.self) { try p.set("gmem", "inplace") }
  do {
    try p.set("gmem", "huge")
  } catch {
    #expect(error.message == "knob 'gmem' takes separate, in-place; found 'huge'")
    #expect(error.isValue)
  }
}
