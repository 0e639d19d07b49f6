import Testing

@testable import PageStateTrace

/// One malformed input: where the first error must be reported and a part of its message.
struct ErrorCase: Sendable, CustomTestStringConvertible {
  var input: String
  var position: String
  var message: String

  init(_ input: String, _ position: String, _ message: String) {
    self.input = input
    self.position = position
    self.message = message
  }

  /// The last line of the input, which is where most cases put their error.
  var testDescription: String {
    let lines = input.split(separator: "\n", omittingEmptySubsequences: false)
    let last = lines.last(where: { !$0.isEmpty }).map(String.init) ?? ""
    return "\(position) \(last.debugDescription)"
  }
}

private let S = s390Setup  // events start on line 3
private let V = sevSetup
private let N = snpSetup

/// Every malformed line is reported at its LINE:COLUMN with a message naming
/// what was expected and what was found.
@Suite struct TraceReaderErrorTests {

  static let header: [ErrorCase] = [
    .init("pagestate 1\npagestate 1\n", "2:1", "'pagestate' must be the first statement of the file"),
    .init("arch s390-pv\npagestate 1\n", "2:1", "'pagestate' must be the first statement"),
    .init("expect clean\npagestate 1\n", "2:1", "'pagestate' must be the first statement"),
    .init("actor v guest\npagestate 1\n", "2:1", "'pagestate' must be the first statement"),
    .init("policy folio\n\n  pagestate 1\n", "3:3", "'pagestate' must be the first statement"),
    .init(S + "a: get 0\npagestate 1\n", "4:1", "'pagestate' must be the first statement"),
    .init("pagestate\n", "1:10", "expected the language version after 'pagestate' (pagestate 1)"),
    .init("pagestate   # v1\n", "1:10", "expected the language version after 'pagestate'"),
    .init("pagestate x\n", "1:11", "expected a version number, found 'x'"),
    .init("pagestate 1.0\n", "1:11", "expected a version number, found '1.0'"),
    .init("pagestate 99999999999\n", "1:11", "expected a version number, found '99999999999'"),
    .init("pagestate 2\n", "1:11", "unsupported trace language version 2; this pagestate reads version 1"),
    .init("pagestate 0\n", "1:11", "unsupported trace language version 0"),
    .init("pagestate 1 extra\n", "1:13", "expected the end of the line, found 'extra'"),
  ]

  static let architecture: [ErrorCase] = [
    .init("arch\n", "1:5", "expected an architecture after 'arch' (s390-pv, sev, sev-snp)"),
    .init("arch sev-snpp\n", "1:6", "expected an architecture (s390-pv, sev, sev-snp), found 'sev-snpp' (did you mean 'sev-snp'?)"),
    .init("arch s390\n", "1:6", "expected an architecture (s390-pv, sev, sev-snp), found 's390' (did you mean 's390-pv'?)"),
    .init("arch se\n", "1:6", "found 'se' (did you mean 'sev'?)"),
    .init("arch x86\n", "1:6", "expected an architecture (s390-pv, sev, sev-snp), found 'x86'"),
    .init("arch SEV\n", "1:6", "found 'SEV'"),
    .init("arch sev\narch sev\n", "2:1", "the architecture is already set to sev; 'arch' may appear once"),
    .init("arch sev\narch sev-snp\n", "2:1", "the architecture is already set to sev; 'arch' may appear once"),
    .init("arch s390-pv extra\n", "1:14", "expected the end of the line, found 'extra'"),
    .init("memory 0x0\n", "1:1", "'memory' needs the architecture first: add 'arch s390-pv' (or sev, sev-snp) before it"),
    .init("x: get 0\n", "1:1", "an event needs the architecture first"),
    .init("@5 x: get 0\n", "1:1", "an event needs the architecture first"),
    .init("actor x host\nx: get 0\n", "2:1", "an event needs the architecture first"),
  ]

  static let memory: [ErrorCase] = [
    .init("arch s390-pv\nmemory\n", "2:7", "expected a page set (P, P..Q or P+N) after 'memory'"),
    .init("arch s390-pv\nmemory 0x1 order=1\n", "2:8", "the first page 0x1 is not aligned to a folio of order 1 (2 pages)"),
    .init("arch s390-pv\nmemory 0x200+512 order=10\n", "2:8", "the first page 0x200 is not aligned to a folio of order 10 (1024 pages)"),
    .init("arch s390-pv\nmemory 0x0..0x2 order=1\n", "2:8", "3 pages is not a multiple of the folio size 2 (order 1)"),
    .init("arch s390-pv\nmemory 0x0 order=0x2\n", "2:8", "1 pages is not a multiple of the folio size 4 (order 2)"),
    .init("arch s390-pv\nmemory 0x0..0x3\nmemory 0x3..0x5\n", "3:8", "pages 0x3..0x5 overlap pages 0x0..0x3 declared before; 'memory' declarations may not overlap"),
    .init("arch s390-pv\nmemory 0x0..0x3\nmemory 0x0..0x3\n", "3:8", "pages 0x0..0x3 overlap pages 0x0..0x3"),
    .init("arch s390-pv\nmemory 4..7\nmemory 0..3\nmemory 2\n", "4:8", "pages 0x2 overlap pages 0x0..0x3"),
    .init("arch s390-pv\nmemory 0x10\nmemory 0x0+0x100\n", "3:8", "pages 0x0..0xff overlap pages 0x10"),
    .init(S + "a: get 0\nmemory 0x80+4\n", "4:8", "overlap pages 0x0..0xff"),
    .init("arch s390-pv\nmemory 0x0+0x80000 order=19\n", "2:26", "expected a folio order from 0 to 18, found '19'"),
    .init("arch s390-pv\nmemory 0x0 order=99999999999999999999\n", "2:18", "expected a folio order from 0 to 18"),
    .init("arch s390-pv\nmemory 0x0 order=-1\n", "2:18", "expected a folio order from 0 to 18, found '-1'"),
    .init("arch s390-pv\nmemory 0x0 order=x\n", "2:18", "found 'x'"),
    .init("arch s390-pv\nmemory 0x0+0x1000000000000000\n", "2:8", "run past the 52-bit page number limit"),
    .init("arch s390-pv\nmemory 0x0..0xfffffffffffff\n", "2:8", "declaring 4503599627370496 more pages exceeds the limit of \(TraceReader.Limits.declaredPages) declared pages"),
    .init("arch s390-pv\nmemory 0x0 backing=gmem\n", "2:20", "backing=gmem (guest_memfd) exists only for arch sev and sev-snp"),
    .init("arch sev\nmemory 0x0 backing=anno\n", "2:20", "expected a backing (anon, file, shmem, gmem), found 'anno' (did you mean 'anon'?)"),
    .init("arch sev\nmemory 0x0 backing=ram\n", "2:20", "expected a backing (anon, file, shmem, gmem), found 'ram'"),
    .init("arch sev\nmemory 0x0 state=secure\n", "2:18", "expected a page state of arch sev (shared, private), found 'secure'"),
    .init("arch sev-snp\nmemory 0x0 state=pinned-shared\n", "2:18", "expected a page state of arch sev-snp (shared, private), found 'pinned-shared'"),
    .init("arch s390-pv\nmemory 0x0 state=private\n", "2:18", "expected a page state of arch s390-pv (nonsecure, secure, shared, pinned-shared, exported), found 'private'"),
    .init("arch s390-pv\nmemory 0x0 state=secur\n", "2:18", "found 'secur' (did you mean 'secure'?)"),
    .init("arch sev\nmemory 0x0 ordr=2\n", "2:12", "unknown option 'ordr'; expected one of order, backing, state (did you mean 'order'?)"),
    .init("arch sev\nmemory 0x0 size=2\n", "2:12", "unknown option 'size'; expected one of order, backing, state"),
    .init("arch sev\nmemory 0x0 =5\n", "2:12", "expected key=value, found '=5'"),
    .init("arch sev\nmemory 0x0 order=1 order=1\n", "2:20", "option 'order' is given twice"),
    .init("arch sev\nmemory 0x0 backing=file state=shared backing=file\n", "2:38", "option 'backing' is given twice"),
    .init("arch sev\nmemory 0x0 order=\n", "2:18", "expected a value after 'order='"),
    .init("arch sev\nmemory 0x0 order\n", "2:12", "expected a key=value option (order, backing, state), found 'order'"),
    .init("arch sev\nmemory 0x0 0x1\n", "2:12", "expected a key=value option (order, backing, state), found '0x1'"),
  ]

  static let pageSets: [ErrorCase] = [
    .init("arch sev\nmemory 5..3\n", "2:8", "a page range P..Q needs P <= Q, found 0x5..0x3"),
    .init("arch sev\nmemory 0x10..0xf\n", "2:8", "a page range P..Q needs P <= Q, found 0x10..0xf"),
    .init("arch sev\nmemory 5+0\n", "2:10", "a page count P+N needs N >= 1, found 0"),
    .init("arch sev\nmemory 0x5+0x0\n", "2:12", "a page count P+N needs N >= 1, found 0"),
    .init("arch sev\nmemory 0x10000000000000\n", "2:8", "page 0x10000000000000 does not fit in 52 bits (guest frame numbers are below 0x10000000000000)"),
    .init("arch sev\nmemory 0x10000000000000+1\n", "2:8", "page 0x10000000000000 does not fit in 52 bits"),
    .init("arch sev\nmemory 0..0x10000000000000\n", "2:11", "page 0x10000000000000 does not fit in 52 bits"),
    .init("arch sev\nmemory 0x0..0xFFFFFFFFFFFFFFFF\n", "2:13", "page 0xffffffffffffffff does not fit in 52 bits"),
    .init("arch sev\nmemory 0x0..0x1FFFFFFFFFFFFFFFF\n", "2:8", "expected a page set (P, P..Q or P+N), found '0x0..0x1FFFFFFFFFFFFFFFF'"),
    .init("arch sev\nmemory 0xfffffffffffff+2\n", "2:8", "pages 0xfffffffffffff+0x2 run past the 52-bit page number limit"),
    .init("arch sev\nmemory 99999999999999999999999\n", "2:8", "page 99999999999999999999999 does not fit in 52 bits"),
    .init("arch sev\nmemory ox10\n", "2:8", "expected a page set (P, P..Q or P+N), found 'ox10'"),
    .init("arch sev\nmemory 0x\n", "2:8", "found '0x'"),
    .init("arch sev\nmemory 0xg\n", "2:8", "found '0xg'"),
    .init("arch sev\nmemory 5.3\n", "2:8", "found '5.3'"),
    .init("arch sev\nmemory 5...7\n", "2:8", "found '5...7'"),
    .init("arch sev\nmemory 5..\n", "2:8", "found '5..'"),
    .init("arch sev\nmemory ..5\n", "2:8", "found '..5'"),
    .init("arch sev\nmemory 5+\n", "2:8", "found '5+'"),
    .init("arch sev\nmemory +5\n", "2:8", "found '+5'"),
    .init("arch sev\nmemory 5+2+1\n", "2:8", "found '5+2+1'"),
    .init("arch sev\nmemory 5-7\n", "2:8", "found '5-7'"),
    .init("arch sev\nmemory -1\n", "2:8", "found '-1'"),
    .init("arch sev\nmemory 1,2\n", "2:8", "found '1,2'"),
    .init("arch sev\nmemory 0a\n", "2:8", "found '0a'"),
    .init("arch sev\nmemory 0\ra\n", "2:8", "found '0\\u{D}a'"),
    .init(S + "a: get 3..1\n", "3:8", "a page range P..Q needs P <= Q, found 0x3..0x1"),
    .init(S + "a: get 1+0\n", "3:10", "a page count P+N needs N >= 1, found 0"),
    .init(S + "a: get 0x1.5\n", "3:8", "expected a page set (P, P..Q or P+N), found '0x1.5'"),
    .init(S + "a: get 0x10000000000000\n", "3:8", "does not fit in 52 bits"),
  ]

  static let policy: [ErrorCase] = [
    .init("policy folio wait=forever\npolicy page\n", "2:1", "a file has at most one 'policy' statement"),
    .init("policy\npolicy\n", "2:1", "a file has at most one 'policy' statement"),
    .init(S + "a: get 0\npolicy folio\n", "4:1", "'policy' must come before the first event"),
    .init("policy folio split\n", "1:14", "expected a knob=value after the preset, found 'split'"),
    .init("policy wait=1 folio\n", "1:15", "expected a knob=value after the preset, found 'folio'"),
    .init("policy folio wait=1 wait=2\n", "1:21", "knob 'wait' is given twice"),
  ]

  static let actors: [ErrorCase] = [
    .init("actor\n", "1:6", "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found the end of the line"),
    .init("actor 9v guest\n", "1:7", "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found '9v'"),
    .init("actor v:x guest\n", "1:7", "found 'v:x'"),
    .init("actor -v guest\n", "1:7", "found '-v'"),
    .init("actor v\n", "1:8", "expected the actor's kind (guest, host, device, cpu) after its name"),
    .init("actor v robot\n", "1:9", "expected an actor kind (guest, host, device, cpu), found 'robot'"),
    .init("actor v gust\n", "1:9", "found 'gust' (did you mean 'guest'?)"),
    .init("actor v Guest\n", "1:9", "found 'Guest'"),
    .init("actor v guest extra\n", "1:15", "expected the end of the line, found 'extra'"),
    .init("actor x guest\nactor x host\n", "2:7", "actor 'x' already exists (since line 1)"),
    .init(S + "v: touch 0\nactor v guest\n", "4:7", "actor 'v' already exists (since line 3)"),
  ]

  static let eventSyntax: [ErrorCase] = [
    .init(S + "a get 0\n", "3:1", "expected a statement (pagestate, arch, memory, policy, actor, expect) or an event 'ACTOR: VERB ...', found 'a'"),
    .init(S + "a:get 0\n", "3:1", "found 'a:get'"),
    .init(S + "get 0\n", "3:1", "found 'get' (an event needs its actor first: 'ACTOR: get ...')"),
    .init(S + "memroy 0\n", "3:1", "found 'memroy' (did you mean 'memory'?)"),
    .init(S + "polcy folio\n", "3:1", "(did you mean 'policy'?)"),
    .init(S + "9a: get 0\n", "3:1", "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found '9a'"),
    .init(S + "a:: get 0\n", "3:1", "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found 'a:'"),
    .init(S + "a.b/c: get 0\n", "3:1", "found 'a.b/c'"),
    .init(S + ": get 0\n", "3:1", "expected an actor name before ':'"),
    .init(S + "a:\n", "3:3", "expected a verb after 'a:'"),
    .init(S + "a :   # nothing\n", "3:4", "expected a verb after 'a:'"),
    .init(S + "a : : get 0\n", "3:5", "unknown verb ':'"),
    .init(S + "@5\n", "3:3", "expected 'ACTOR:' after the time"),
    .init(S + "@5 a get 0\n", "3:4", "expected 'ACTOR:' (an actor name followed by a colon), found 'a'"),
    .init(S + "@5 : get 0\n", "3:4", "expected an actor name before ':'"),
    .init(S + "@5 9: get 0\n", "3:4", "expected an actor name ([A-Za-z_][A-Za-z0-9_.-]*), found '9'"),
  ]

  static let time: [ErrorCase] = [
    .init(S + "@10us a: get 0\n@9999 a: get 0\n", "4:1", "time 9999ns is earlier than the previous event's time 10us; times must not decrease"),
    .init(S + "@2s a: get 0\n@3ns a: get 0\n", "4:1", "time 3ns is earlier than the previous event's time 2s; times must not decrease"),
    .init(S + "a: get 0\na: get 0\n@999 a: get 0\n", "5:1", "time 999ns is earlier than the previous event's time 1us"),
    .init(S + "@7 a: get 0\nexpect clean\n@5 a: get 0\n", "5:1", "time 5ns is earlier than the previous event's time 7ns"),
    .init(S + "@ a: get 0\n", "3:1", "expected a time after '@' (a duration like 1500us, or nanoseconds), found '@'"),
    .init(S + "@5xs a: get 0\n", "3:1", "found '@5xs'"),
    .init(S + "@5m a: get 0\n", "3:1", "found '@5m'"),
    .init(S + "@5MS a: get 0\n", "3:1", "found '@5MS'"),
    .init(S + "@1.5ms a: get 0\n", "3:1", "found '@1.5ms'"),
    .init(S + "@ms a: get 0\n", "3:1", "found '@ms'"),
    .init(S + "@-5 a: get 0\n", "3:1", "found '@-5'"),
    .init(S + "@5sec a: get 0\n", "3:1", "found '@5sec'"),
    .init(S + "@5: get 0\n", "3:1", "found '@5:'"),
    .init(S + "@18446744073709551616 a: get 0\n", "3:1", "found '@18446744073709551616'"),
    .init(S + "@18446744074s a: get 0\n", "3:1", "found '@18446744074s'"),
    .init(S + "@99999999999999999999ns a: get 0\n", "3:1", "found '@99999999999999999999ns'"),
  ]

  static let verbs: [ErrorCase] = [
    .init(S + "a: gett 0\n", "3:4", "unknown verb 'gett' (did you mean 'get'?)"),
    .init(S + "a: frobnicate 0\n", "3:4", "unknown verb 'frobnicate'"),
    .init(S + "a: spec 0\n", "3:4", "unknown verb 'spec' (did you mean 'spec-get'?)"),
    .init(S + "a: writeback-startxx 0\n", "3:4", "unknown verb 'writeback-startxx' (did you mean 'writeback-start'?)"),
    .init(S + "a: make-accessible-pages 0\n", "3:4", "unknown verb 'make-accessible-pages'"),
    .init(S + "a: GET 0\n", "3:4", "unknown verb 'GET'"),
    .init(S + "a: dma_start 0\n", "3:4", "unknown verb 'dma_start' (did you mean 'dma-start'?)"),
    .init(S + "a: shar 0\n", "3:4", "unknown verb 'shar' (did you mean 'share'?)"),
    // Verbs of another architecture exist, but not here.
    .init(S + "a: psc 0 private\n", "3:4", "verb 'psc' does not exist for arch s390-pv"),
    .init(S + "a: convert 0 private\n", "3:4", "verb 'convert' does not exist for arch s390-pv"),
    .init(S + "a: split-pmd 0\n", "3:4", "verb 'split-pmd' does not exist for arch s390-pv"),
    .init(N + "a: share 0\n", "3:4", "verb 'share' does not exist for arch sev-snp"),
    .init(N + "a: make-accessible 0\n", "3:4", "verb 'make-accessible' does not exist for arch sev-snp"),
    .init(V + "a: inject 0 fail=export\n", "3:4", "verb 'inject' does not exist for arch sev"),
    .init(V + "a: pvalidate 0 on\n", "3:4", "verb 'pvalidate' does not exist for arch sev"),
    // ... and their near misses are not suggested.
    .init(N + "a: shre 0\n", "3:4", "unknown verb 'shre'"),
  ]

  static let actorKinds: [ErrorCase] = [
    .init(S + "actor v guest\nv: get 0\n", "4:1", "actor 'v' is a guest actor (since line 3) and cannot use the host verb 'get'"),
    .init(S + "v: touch 0\nv: get 0\n", "4:1", "actor 'v' is a guest actor (since line 3) and cannot use the host verb 'get'"),
    .init(S + "v: touch 0\nv: dma 0\n", "4:1", "actor 'v' is a guest actor (since line 3) and cannot use the device verb 'dma'"),
    .init(S + "v: touch 0\nv: access 0 read\n", "4:1", "actor 'v' is a guest actor (since line 3) and cannot use the cpu verb 'access'"),
    .init(S + "h: get 0\nh: touch 0\n", "4:1", "actor 'h' is a host actor (since line 3) and cannot use the guest verb 'touch'"),
    .init(S + "actor d device\nd: get 0\n", "4:1", "actor 'd' is a device actor (since line 3) and cannot use the host verb 'get'"),
    .init(S + "d: dma 0\nd: access 0 read\n", "4:1", "actor 'd' is a device actor (since line 3) and cannot use the cpu verb 'access'"),
    .init(S + "d: dma-end\nd: touch 0\n", "4:1", "actor 'd' is a device actor (since line 3) and cannot use the guest verb 'touch'"),
    .init(S + "actor c cpu\nc: dma 0\n", "4:1", "actor 'c' is a cpu actor (since line 3) and cannot use the device verb 'dma'"),
    .init(S + "v: touch 0\nv: flush\n", "4:1", "actor 'v' is a guest actor (since line 3) and cannot use the cpu verb 'flush'"),
    .init(S + "d: dma 0\nd: flush cpu=d\n", "4:1", "actor 'd' is a device actor (since line 3) and cannot use the cpu verb 'flush'"),
    .init(S + "actor c cpu\nc: get 0\n", "4:1", "actor 'c' is a cpu actor (since line 3) and cannot use the host verb 'get'"),
    .init(S + "actor c cpu\nc: touch 0\n", "4:1", "cannot use the guest verb 'touch'"),
    .init(N + "h: get 0\nh: psc 0 private\n", "4:1", "actor 'h' is a host actor (since line 3) and cannot use the guest verb 'psc'"),
    .init(N + "g: touch 0\ng: convert 0 shared\n", "4:1", "actor 'g' is a guest actor (since line 3) and cannot use the host verb 'convert'"),
    // The kind check comes before the operand is looked at.
    .init(S + "actor v guest\nv: get 0x999\n", "4:1", "cannot use the host verb 'get'"),
  ]

  static let operands: [ErrorCase] = [
    .init(S + "a: get\n", "3:7", "expected a page set (P, P..Q or P+N) after 'get'"),
    .init(S + "a: get   # c\n", "3:7", "expected a page set (P, P..Q or P+N) after 'get'"),
    .init(S + "a: lock\n", "3:8", "expected a page after 'lock'"),
    .init(S + "a: get via=x\n", "3:8", "expected a page set (P, P..Q or P+N) before the options, found 'via=x'"),
    .init(S + "a: lock 0..1\n", "3:9", "'lock' takes a single page, found the page set '0..1'"),
    .init(S + "a: unlock 0+2\n", "3:11", "'unlock' takes a single page, found the page set '0+2'"),
    .init(S + "a: split 0x0..0x1\n", "3:10", "'split' takes a single page, found the page set '0x0..0x1'"),
    .init(N + "g: split-pmd 0..1\n", "3:14", "'split-pmd' takes a single page"),
    .init(S + "a: lru-drain 0\n", "3:14", "expected the end of the line after 'lru-drain', found '0'"),
    .init(S + "a: put 0 1\n", "3:10", "expected the end of the line after 'put' and its operand, found '1'"),
    .init(S + "a: put 0 bogus\n", "3:10", "expected the end of the line after 'put' and its operand, found 'bogus'"),
    .init(S + "a: flush 0\n", "3:10", "unexpected '0' for 'flush'; expected cpu="),
  ]

  static let undeclaredPages: [ErrorCase] = [
    .init(S + "a: get 0x100\n", "3:8", "page 0x100 is not declared by any 'memory' statement"),
    .init(S + "a: get 0xff..0x100\n", "3:8", "page 0x100 is not declared by any 'memory' statement"),
    .init(S + "a: get 0xf0+0x20\n", "3:8", "page 0x100 is not declared"),
    .init(S + "   a:   pin   0x5000   write\n", "3:15", "page 0x5000 is not declared by any 'memory' statement"),
    .init("arch s390-pv\nmemory 0x0..0x3\nmemory 0x8..0xb\na: get 0x0..0xb\n", "4:8", "page 0x4 is not declared"),
    .init("arch s390-pv\nmemory 0x10..0x13\nmemory 0x0..0x3\na: get 0x0..0x3\na: get 0x10..0x13\na: get 0x3..0x10\n", "6:8", "page 0x4 is not declared"),
    .init("arch s390-pv\nmemory 0x10\na: get 0xf\n", "3:8", "page 0xf is not declared"),
    .init("arch s390-pv\na: get 0\n", "2:8", "page 0x0 is not declared by any 'memory' statement"),
    .init(S + "d: dma 0x100 write\n", "3:8", "page 0x100 is not declared"),
    .init(S + "a: lock 0x100\n", "3:9", "page 0x100 is not declared"),
    .init(S + "a: access 0x100 read\n", "3:11", "page 0x100 is not declared"),
  ]

  static let options: [ErrorCase] = [
    .init(S + "a: get 0 vai=x\n", "3:10", "unknown option 'vai': 'get' takes via= (did you mean 'via'?)"),
    .init(S + "a: put 0 via=x\n", "3:10", "unknown option 'via': 'put' takes no options"),
    .init(S + "a: dma 0 id=x via=y\n", "3:15", "unknown option 'via': 'dma' takes id="),
    .init(S + "a: inject 0 fail=export cnt=2\n", "3:25", "unknown option 'cnt': 'inject' takes fail=, count= (did you mean 'count'?)"),
    .init(S + "a: get 0 =x\n", "3:10", "expected key=value, found '=x'"),
    .init(S + "a: get 0 x=\n", "3:10", "unknown option 'x': 'get' takes via="),
    .init(S + "a: get 0 via=x via=y\n", "3:16", "option 'via' is given twice"),
    .init(S + "a: get 0 via=x via=x\n", "3:16", "option 'via' is given twice"),
    .init(S + "a: inject 0 fail=export fail=import\n", "3:25", "option 'fail' is given twice"),
    .init(S + "a: get 0 via=\n", "3:14", "expected a value after 'via='"),
    .init(S + "a: get 0 via=9x\n", "3:14", "expected an identifier ([A-Za-z_][A-Za-z0-9_.-]*) after 'via=', found '9x'"),
    .init(S + "a: dma 0 id=a=b\n", "3:13", "after 'id=', found 'a=b'"),
    .init(S + "a: make-accessible 0 scope=all\n", "3:28", "expected a scope (page, folio), found 'all'"),
    .init(S + "a: inject 0\n", "3:12", "'inject' needs the option 'fail='"),
    .init(S + "a: inject 0 count=2\n", "3:20", "'inject' needs the option 'fail='"),
    .init(S + "a: inject 0 fail=exprot\n", "3:18", "expected a UV call to fail (export, pin-shared, import, import-error), found 'exprot' (did you mean 'export'?)"),
    .init(S + "a: inject 0 fail=export count=0\n", "3:31", "expected a count from 1 to 4294967296, found '0'"),
    .init(S + "a: inject 0 fail=export count=4294967297\n", "3:31", "expected a count from 1 to 4294967296, found '4294967297'"),
    .init(S + "a: inject 0 fail=export count=x\n", "3:31", "found 'x'"),
    .init(S + "v: touch 0 c=enc\n", "3:12", "option 'c' (the guest PTE C-bit) exists only for arch sev and sev-snp"),
    .init(S + "v: touch 0 write c=dec\n", "3:18", "option 'c' (the guest PTE C-bit) exists only for arch sev and sev-snp"),
    .init(N + "v: touch 0 c=foo\n", "3:14", "expected a C-bit (enc, dec), found 'foo'"),
    .init(N + "v: psc 0 private size=1g\n", "3:23", "expected a page size (4k, 2m), found '1g'"),
    .init(N + "v: psc 0 private size=4K\n", "3:23", "expected a page size (4k, 2m), found '4K'"),
    .init(V + "v: gpte 0 enc size=4k\n", "3:15", "unknown option 'size': 'gpte' takes no options"),
  ]

  static let flush: [ErrorCase] = [
    .init(S + "a: get 0\ny: flush cpu=zz\n", "4:14", "unknown actor 'zz' in 'cpu='; a cpu is named by an actor that has accessed memory or was declared"),
    .init(N + "h: flush cpu=c1\nc1: access 0 read\n", "3:14", "unknown actor 'c1' in 'cpu='"),
    .init(S + "h: flush cpu=9\n", "3:14", "expected an actor name after 'cpu=', found '9'"),
    .init(S + "h: flush cpu=\n", "3:14", "expected a value after 'cpu='"),
    .init(S + "h: flush cpu=h cpu=h\n", "3:16", "option 'cpu' is given twice"),
  ]

  static let words: [ErrorCase] = [
    .init(S + "a: pin 0 write write\n", "3:16", "'write' is given twice"),
    .init(S + "a: pin 0 longterm write longterm\n", "3:25", "'longterm' is given twice"),
    .init(S + "a: access 0 read write\n", "3:18", "'write' conflicts with 'read'"),
    .init(S + "a: access 0 write read\n", "3:19", "'read' conflicts with 'write'"),
    .init(S + "a: access 0 read kernel user\n", "3:25", "'user' conflicts with 'kernel'"),
    .init(S + "d: dma 0 read write\n", "3:15", "'write' conflicts with 'read'"),
    .init(N + "g: psc 0 private shared\n", "3:18", "'shared' conflicts with 'private'"),
    .init(N + "g: pvalidate 0 on off\n", "3:19", "'off' conflicts with 'on'"),
    .init(N + "g: gpte 0 enc dec\n", "3:15", "'dec' conflicts with 'enc'"),
    .init(N + "h: convert 0 shared shared\n", "3:21", "'shared' is given twice"),
    // Required words.
    .init(S + "a: access 0\n", "3:12", "'access' needs one of read or write, found the end of the line"),
    .init(S + "a: access 0 kernel\n", "3:19", "'access' needs one of read or write, found the end of the line"),
    .init(S + "a: access 0 user   # comment\n", "3:17", "'access' needs one of read or write"),
    .init(N + "g: psc 0\n", "3:9", "'psc' needs one of private or shared, found the end of the line"),
    .init(N + "g: psc 0 size=2m\n", "3:17", "'psc' needs one of private or shared"),
    .init(N + "g: pvalidate 0\n", "3:15", "'pvalidate' needs one of on or off"),
    .init(N + "g: gpte 0\n", "3:10", "'gpte' needs one of enc or dec"),
    .init(V + "h: convert 0\n", "3:13", "'convert' needs one of private or shared"),
    // Words the verb does not take.
    .init(S + "a: pin 0 bogus\n", "3:10", "unexpected 'bogus' for 'pin'; expected longterm, write"),
    .init(S + "a: pin 0 wirte\n", "3:10", "unexpected 'wirte' for 'pin'; expected longterm, write (did you mean 'write'?)"),
    .init(S + "a: pin 0 read\n", "3:10", "unexpected 'read' for 'pin'; expected longterm, write"),
    .init(S + "a: pin 0 longtermx\n", "3:10", "unexpected 'longtermx' for 'pin'; expected longterm, write (did you mean 'longterm'?)"),
    .init(S + "a: get 0 write\n", "3:10", "unexpected 'write' for 'get'; expected via="),
    .init(S + "a: access 0 red\n", "3:13", "unexpected 'red' for 'access'; expected kernel, user, read, write (did you mean 'read'?)"),
    .init(S + "a: access 0 READ\n", "3:13", "unexpected 'READ' for 'access'"),
    .init(S + "d: dma-end write\n", "3:12", "unexpected 'write' for 'dma-end'; expected id="),
    .init(S + "v: touch 0 read\n", "3:12", "unexpected 'read' for 'touch'; expected write"),
    // Words come before the key=value options.
    .init(S + "d: dma 0 id=d1 write\n", "3:16", "'write' must come before the key=value options"),
    .init(N + "g: psc 0 size=2m private\n", "3:18", "'private' must come before the key=value options"),
  ]

  static let expectations: [ErrorCase] = [
    .init("expect\n", "1:7", "expected 'clean', 'no KIND', 'stat NAME=N' or a finding kind after 'expect'"),
    .init("expect   # nothing\n", "1:7", "expected 'clean', 'no KIND', 'stat NAME=N' or a finding kind after 'expect'"),
    .init("expect clean page=1\n", "1:14", "unknown option 'page'; expected one of policy"),
    .init("expect clean extra\n", "1:14", "expected a key=value option (policy), found 'extra'"),
    .init("expect clean policy=foil\n", "1:21", "expected a preset (page, folio, split, refuse), found 'foil' (did you mean 'folio'?)"),
    .init("expect clean policy=none\n", "1:21", "expected a preset (page, folio, split, refuse), found 'none'"),
    .init("expect clean policy=\n", "1:21", "expected a value after 'policy='"),
    .init("expect clean policy=page policy=folio\n", "1:26", "option 'policy' is given twice"),
    .init("expect no\n", "1:10", "expected a finding kind after 'expect no'"),
    .init("expect no hnag\n", "1:11", "unknown finding kind 'hnag' (did you mean 'hang'?); expected one of io-on-secure, unprotected-io"),
    .init("expect no clean\n", "1:11", "unknown finding kind 'clean'"),
    .init("expect no hang page=1\n", "1:16", "unknown option 'page'; expected one of policy"),
    .init("expect no hang count=1\n", "1:16", "unknown option 'count'; expected one of policy"),
    .init("expect bogus\n", "1:8", "unknown finding kind 'bogus'; expected one of io-on-secure, unprotected-io, hook-without-marker"),
    .init("expect io-on-secur\n", "1:8", "unknown finding kind 'io-on-secur' (did you mean 'io-on-secure'?)"),
    .init("expect Hang\n", "1:8", "unknown finding kind 'Hang'"),
    .init("expect hang 5\n", "1:13", "expected a key=value option (page, actor, line, policy, count), found '5'"),
    .init("expect hang wat=1\n", "1:13", "unknown option 'wat'; expected one of page, actor, line, policy, count"),
    .init("expect hang cnt=1\n", "1:13", "(did you mean 'count'?)"),
    .init("expect hang count=1 count=2\n", "1:21", "option 'count' is given twice"),
    .init("expect hang page=x\n", "1:18", "expected a page number, found 'x'"),
    .init("expect hang page=0x10000000000000\n", "1:18", "expected a page number, found '0x10000000000000'"),
    .init("expect hang page=1..2\n", "1:18", "expected a page number, found '1..2'"),
    .init("expect hang actor=9x\n", "1:19", "expected an actor name, found '9x'"),
    .init("expect hang line=0\n", "1:18", "expected a line number, found '0'"),
    .init("expect hang line=x\n", "1:18", "expected a line number, found 'x'"),
    .init("expect hang count=x\n", "1:19", "expected a count, found 'x'"),
    .init("expect hang count=-1\n", "1:19", "expected a count, found '-1'"),
    .init("expect hang policy=folo\n", "1:20", "found 'folo' (did you mean 'folio'?)"),
    .init("expect hang page=\n", "1:18", "expected a value after 'page='"),
    // stat
    .init("expect stat\n", "1:12", "expected NAME=VALUE after 'expect stat' (e.g. exports=3)"),
    .init("expect stat exports\n", "1:13", "expected NAME=VALUE after 'expect stat' (e.g. exports=3)"),
    .init("expect stat exprots=3\n", "1:13", "unknown statistic 'exprots' (did you mean 'exports'?); expected one of events, imports, import-retries, exports,"),
    .init("expect stat bogus=3\n", "1:13", "unknown statistic 'bogus'; expected one of events, imports,"),
    .init("expect stat =3\n", "1:13", "unknown statistic ''"),
    .init("expect stat exports=x\n", "1:21", "expected a number for 'exports', found 'x'"),
    .init("expect stat exports=\n", "1:21", "expected a number for 'exports', found ''"),
    .init("expect stat exports=1.5\n", "1:21", "expected a number for 'exports', found '1.5'"),
    .init("expect stat exports=3ms\n", "1:21", "expected a number for 'exports', found '3ms'"),
    .init("expect stat hang=x\n", "1:18", "expected a number for 'hang', found 'x'"),
    .init("expect stat wait-time=5xs\n", "1:23", "expected a duration (e.g. 150ms) for 'wait-time', found '5xs'"),
    .init("expect stat wait-time=\n", "1:23", "expected a duration (e.g. 150ms) for 'wait-time', found ''"),
    .init("expect stat max-wait=1.5s\n", "1:22", "expected a duration (e.g. 150ms) for 'max-wait', found '1.5s'"),
    .init("expect stat estimated-cost=-1\n", "1:28", "expected a number for 'estimated-cost', found '-1'"),
    .init("expect stat estimated-cost=nan\n", "1:28", "expected a number for 'estimated-cost', found 'nan'"),
    .init("expect stat estimated-cost=inf\n", "1:28", "expected a number for 'estimated-cost', found 'inf'"),
    .init("expect stat exports=3 extra\n", "1:23", "expected a key=value option (policy), found 'extra'"),
    .init("expect stat exports=3 exports=4\n", "1:23", "unknown option 'exports'; expected one of policy"),
    .init("expect stat exports=3 page=1\n", "1:23", "unknown option 'page'; expected one of policy"),
    .init("expect stat exports=3 policy=split policy=page\n", "1:36", "option 'policy' is given twice"),
    .init("expect stat exports=3 policy=bogus\n", "1:30", "expected a preset (page, folio, split, refuse), found 'bogus'"),
  ]

  static let lexical: [ErrorCase] = [
    // Errors are reported at the right line whatever comes before.
    .init("# c\n\n\t\narch bogus\n", "4:6", "found 'bogus'"),
    .init("arch s390-pv\r\nmemory 0x0\r\n\r\na: bogus 0\r\n", "4:4", "unknown verb 'bogus'"),
    .init("\tarch\tbogus\n", "1:7", "found 'bogus'"),
    .init("arch s390-pv\nmemory 0x0\na: bogus 0", "3:4", "unknown verb 'bogus'"),
    .init("arch s390-pv\nmemory 0\r\r\n", "2:8", "expected a page set (P, P..Q or P+N), found '0\\u{D}'"),
    .init("ARCH sev\n", "1:1", "expected a statement (pagestate, arch, memory, policy, actor, expect)"),
    .init("arch s390-pv\nmemory 0x0..0xff\n" + "a: note " + String(repeating: "x", count: 65529), "3:65537", "line is longer than 65536 bytes"),
  ]

  @Test(arguments: header) func headerErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: architecture) func architectureErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: memory) func memoryErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: pageSets) func pageSetErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: policy) func policyErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: actors) func actorErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: eventSyntax) func eventSyntaxErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: time) func timeErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: verbs) func verbErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: actorKinds) func actorKindErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: operands) func operandErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: undeclaredPages) func undeclaredPageErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: options) func optionErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: flush) func flushErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: words) func wordErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: expectations) func expectationErrors(_ c: ErrorCase) { check(c) }
  @Test(arguments: lexical) func lexicalErrors(_ c: ErrorCase) { check(c) }

  func check(_ c: ErrorCase, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    guard let error = parseError(c.input, sourceLocation: sourceLocation) else { return }
    #expect(position(error) == c.position, "message: \(error.message)", sourceLocation: sourceLocation)
    #expect(error.message.contains(c.message), "position: \(position(error))", sourceLocation: sourceLocation)
    #expect(error.location.file == "t.trace", sourceLocation: sourceLocation)
  }

  /// Every table case is distinct and has a plausible position (guards against copy-paste slips).
  @Test func tablesAreWellFormed() {
    let all = Self.header + Self.architecture + Self.memory + Self.pageSets + Self.policy + Self.actors
      + Self.eventSyntax + Self.time + Self.verbs + Self.actorKinds + Self.operands + Self.undeclaredPages
      + Self.options + Self.flush + Self.words + Self.expectations + Self.lexical
    #expect(all.count >= 250)
    #expect(Set(all.map(\.input)).count == all.count)
    for c in all {
      let parts = c.position.split(separator: ":").compactMap { Int($0) }
      #expect(parts.count == 2 && parts[0] >= 1 && parts[1] >= 1, "\(c.position)")
      #expect(!c.message.isEmpty)
    }
  }

  // MARK: - The error's form

  @Test func errorsPrintLikeACompiler() throws {
    var reader = TraceReader(fileName: "virtio.trace", source: ByteSource(string: "arch s390-pv\nmemory ox10\n"))
    do {
      _ = try reader.readAll()
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "virtio.trace:2:8: error: expected a page set (P, P..Q or P+N), found 'ox10'")
      #expect(error.location == PageStateTrace.SourceLocation(file: "virtio.trace", line: 2, column: 8))
    }
  }

  @Test func anUndeclaredPageIsReportedAtTheOperand() throws {
    // trace-format.md's example shows column 1 here; the reader points at the page set.
    let text = "arch s390-pv\nmemory 0x0..0xfff\n" + String(repeating: "a: get 0x1\n", count: 27) + "a: get 0x5000\n"
    let error = parseError(text)
    #expect(error?.description == "t.trace:30:8: error: page 0x5000 is not declared by any 'memory' statement")
  }

  @Test func statementsBeforeTheErrorAreDelivered() throws {
    var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: s390Setup + "a: get 0\na: bogus 0\na: get 1\n"))
    var seen: [String] = []
    do {
      while let s = try reader.next() { seen.append(summary(s)) }
      Issue.record("expected an error")
    } catch {
      #expect(position(error) == "4:4")
    }
    #expect(seen == ["L1 arch s390-pv", "L2 memory 0x0+256 order=0 anon nonsecure", "L3 actor #0 a host implicit", "L3 t=0 a#0 get 0x0+1"])
  }
}
