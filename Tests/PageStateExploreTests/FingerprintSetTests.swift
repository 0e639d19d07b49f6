import PageStateExplore
import Testing

struct FingerprintSetTests {
  @Test("the visited table keeps every fingerprint and its sleep set across growth, and 0 is a fingerprint like the others")
  func growth() {
    var set = FingerprintSet(capacity: 1024)
    let before = set.bytes
    var keys: [UInt64] = [0, 1]
    var x: UInt64 = 12345
    for _ in 0..<5000 {
      x = x &* 6364136223846793005 &+ 1442695040888963407
      keys.append(x)
    }
    for (i, k) in keys.enumerated() where k != 1 {
      #expect(set.insert(k, sleep: UInt64(i)) == nil)
    }
    // 0 is stored as 1: the two are one fingerprint.
    #expect(set.insert(1, sleep: 99) == 0)
    #expect(set.count == keys.count - 1)
    #expect(set.bytes > before)
    #expect(set.bytes <= UInt64(set.count) * 16 * 4)
    for (i, k) in keys.enumerated().dropFirst(2) {
      #expect(set.insert(k, sleep: 0) == UInt64(i))
    }
    set.update(keys[5], sleep: 7)
    #expect(set.insert(keys[5], sleep: 0) == 7)
  }
}
