/// The FOLL_* bits the importer reads, in the two layouts Linux has used.
///
/// Until 6.1 every flag was a `#define` in `include/linux/mm.h`
/// (`FOLL_WRITE 0x01`, `FOLL_GET 0x04`, `FOLL_LONGTERM 0x10000`,
/// `FOLL_PIN 0x40000`). The 6.2 cycle ("mm/gup: move private gup FOLL_
/// flags to internal.h") renumbered them: `FOLL_WRITE 1 << 0`,
/// `FOLL_GET 1 << 1`, `FOLL_LONGTERM 1 << 8` in `include/linux/mm_types.h`,
/// and the internal `FOLL_PIN 1 << 19` in `mm/internal.h`.
struct GUPFlags {
  enum Layout: Equatable {
    /// Linux up to 6.1.
    case linux61
    /// Linux 6.2 and later.
    case linux62
  }

  let write: UInt64
  let get: UInt64
  let longterm: UInt64
  let pin: UInt64

  static func of(_ layout: Layout) -> GUPFlags {
    switch layout {
    case .linux61: return GUPFlags(write: 0x1, get: 0x4, longterm: 0x10000, pin: 0x40000)
    case .linux62: return GUPFlags(write: 0x1, get: 0x2, longterm: 0x100, pin: 0x80000)
    }
  }

  /// Whether `value` is a valid grab in this layout: exactly one of
  /// FOLL_GET and FOLL_PIN (`try_grab_folio()` warns on neither, and
  /// `is_valid_gup_args()` refuses both).
  func isGrab(_ value: UInt64) -> Bool {
    (value & get != 0) != (value & pin != 0)
  }

  /// The layout a flags value proves, or nil when it could be either:
  /// bits 13-15 exist only in 6.1 (`FOLL_REMOTE 0x2000`, `FOLL_COW 0x4000`,
  /// `FOLL_ANON 0x8000`; 6.2 defines nothing there), bit 22 only in 6.2+
  /// (`FOLL_MADV_POPULATE`); else a value with a pin bit that is a valid
  /// grab in only one layout (`0x50001` is PIN|LONGTERM|WRITE in 6.1 and
  /// no grab in 6.2; `0x80001` the reverse). A GET alone proves nothing:
  /// 6.1's `FOLL_TOUCH|FOLL_FORCE` (0x12) reads as a 6.2 GET.
  static func evidence(_ value: UInt64) -> Layout? {
    if value & 0xE000 != 0 { return .linux61 }
    if value & 0x40_0000 != 0 { return .linux62 }
    let old = GUPFlags.of(.linux61)
    let new = GUPFlags.of(.linux62)
    let oldPin = old.isGrab(value) && value & old.pin != 0
    let newPin = new.isGrab(value) && value & new.pin != 0
    if oldPin && !new.isGrab(value) { return .linux61 }
    if newPin && !old.isGrab(value) { return .linux62 }
    return nil
  }

  /// How to read one value while the layout is not known: the layout it is
  /// a grab in, 6.2+ when both.
  static func reading(_ value: UInt64) -> GUPFlags {
    GUPFlags.of(.linux61).isGrab(value) && !GUPFlags.of(.linux62).isGrab(value) ? .of(.linux61) : .of(.linux62)
  }

  /// The layout of a kernel release (`6.1`, `6.12.95+deb12-amd64`), or nil if it is not one.
  static func layout(release: String) -> Layout? {
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return nil }
    return (parts[0], parts[1]) < (6, 2) ? .linux61 : .linux62
  }
}
