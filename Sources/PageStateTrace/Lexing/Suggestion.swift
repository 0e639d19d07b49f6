/// The closest candidate to a misspelt word (edit distance at most 2), for
/// "did you mean" hints in error messages.
public func nearestSpelling(to word: String, in candidates: [String]) -> String? {
  let w = Array(word.utf8)
  guard w.count <= 64 else { return nil }
  var best: (String, Int)?
  // A prefix of a longer name (`s390` for `s390-pv`) is the likeliest slip.
  if w.count >= 3, let c = candidates.first(where: { $0.utf8.starts(with: w) && $0.utf8.count > w.count }) {
    return c
  }
  for c in candidates {
    let d = editDistance(w, Array(c.utf8))
    if d <= 2 && d < (best?.1 ?? 3) && d < max(w.count, 1) { best = (c, d) }
  }
  return best?.0
}

/// " (did you mean 'x'?)" or "".
func didYouMean(_ word: String, _ candidates: [String]) -> String {
  nearestSpelling(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}

func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = previous
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
