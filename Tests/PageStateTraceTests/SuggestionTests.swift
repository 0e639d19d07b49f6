import Testing

@testable import PageStateTrace

/// "did you mean" hints (Suggestion.swift).
@Suite struct SuggestionTests {

  @Test(arguments: [
    ("", "", 0), ("a", "", 1), ("", "abc", 3), ("abc", "abc", 0), ("abc", "abd", 1), ("abc", "ab", 1),
    ("ab", "abc", 1), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("get", "GET", 3), ("ab", "ba", 2),
  ])
  func editDistances(_ a: String, _ b: String, _ d: Int) {
    #expect(editDistance(Array(a.utf8), Array(b.utf8)) == d)
    #expect(editDistance(Array(b.utf8), Array(a.utf8)) == d)
  }

  @Test(arguments: [
    ("gett", ["get", "put", "pin"], "get"),
    ("wirte", ["read", "write"], "write"),
    ("sev-snpp", ["s390-pv", "sev", "sev-snp"], "sev-snp"),
    ("ordr", ["order", "backing", "state"], "order"),
    ("cnt", ["page", "actor", "line", "policy", "count"], "count"),
    ("folo", ["page", "folio", "split", "refuse"], "folio"),
    ("hnag", ["hang", "stall"], "hang"),
  ])
  func suggestions(_ word: String, _ candidates: [String], _ expected: String) {
    #expect(nearestSpelling(to: word, in: candidates) == expected)
  }

  @Test func theClosestCandidateWinsAndTiesGoToTheFirst() {
    #expect(nearestSpelling(to: "abcd", in: ["abxy", "abcx"]) == "abcx")
    #expect(nearestSpelling(to: "abcd", in: ["abcx", "abcy"]) == "abcx")
    #expect(nearestSpelling(to: "abcd", in: ["abcy", "abcx"]) == "abcy")
    #expect(nearestSpelling(to: "pin", in: ["pin", "pun"]) == "pin")
  }

  @Test func aPrefixOfALongerNameIsSuggested() {
    #expect(nearestSpelling(to: "s390", in: ["s390-pv", "sev", "sev-snp"]) == "s390-pv")
    #expect(nearestSpelling(to: "spec", in: ["get", "spec-get", "spec-put"]) == "spec-get")
    #expect(nearestSpelling(to: "writeback", in: ["writeback-start", "writeback-end"]) == "writeback-start")
    // ... from three bytes on; shorter prefixes go by edit distance.
    #expect(nearestSpelling(to: "wr", in: ["writeback-start"]) == nil)
    #expect(nearestSpelling(to: "se", in: ["s390-pv", "sev", "sev-snp"]) == "sev")
    // A word longer than the candidate is not a prefix of it.
    #expect(nearestSpelling(to: "sev-snp-x", in: ["sev-snp"]) == "sev-snp")  // distance 2
    #expect(nearestSpelling(to: "sev-snp-xyz", in: ["sev-snp"]) == nil)
  }

  @Test func noSuggestionWhenNothingIsClose() {
    #expect(nearestSpelling(to: "frobnicate", in: ["get", "put"]) == nil)
    #expect(nearestSpelling(to: "abc", in: []) == nil)
    #expect(nearestSpelling(to: "abcdef", in: ["abcxyz"]) == nil)  // distance 3
    // A suggestion must change less than the whole word.
    #expect(nearestSpelling(to: "x", in: ["c"]) == nil)
    #expect(nearestSpelling(to: "ab", in: ["xy"]) == nil)
    #expect(nearestSpelling(to: "ab", in: ["ax"]) == "ax")
    #expect(nearestSpelling(to: "", in: ["a"]) == nil)
  }

  @Test func veryLongWordsAreNotCompared() {
    let long = String(repeating: "a", count: 65)
    #expect(nearestSpelling(to: long, in: [long]) == nil)
    let max = String(repeating: "a", count: 64)
    #expect(nearestSpelling(to: max, in: [max + "b"]) == max + "b")
  }

  @Test func didYouMeanFormatsTheHint() {
    #expect(didYouMean("gett", ["get"]) == " (did you mean 'get'?)")
    #expect(didYouMean("zzzz", ["get"]) == "")
  }
}
