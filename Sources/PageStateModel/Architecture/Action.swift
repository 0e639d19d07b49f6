import PageStateTrace

/// An action on memory as findings and waits name it: `import of 0x1`,
/// `split of folio 0x0 before the import of 0x1`, `conversion of 0x0..0x1 to
/// private`.
///
/// Kept as its parts, with no `String` (a plain value, copied without
/// reference counting): an import that blocks or a page that changes state
/// carries one per page on the hot path, and the text is built only when a
/// finding, a hang or a timeline asks for `description`.
enum Action: Sendable, CustomStringConvertible {
  /// A verb with no page: `share`, `unmap`, `export`.
  case named(StaticString)
  /// A verb on one page: `import of 0x1`, `lock of 0x1`.
  case ofPage(StaticString, UInt64)
  /// `split of folio 0x0`.
  case split(folio: UInt64)
  /// `split of folio 0x0 before the import of 0x1` (s390 `large=split`).
  case splitBefore(folio: UInt64, StaticString, page: UInt64)
  /// `conversion of 0x0..0x1 to private`.
  case conversion(PageRange, toPrivate: Bool)
  /// `split of folio 0x0 for the conversion of 0x1 to private` (SEV `large=split`).
  case splitForConversion(folio: UInt64, PageRange, toPrivate: Bool)

  var description: String {
    switch self {
    case .named(let verb): return "\(verb)"
    case .ofPage(let verb, let page): return "\(verb) of \(hex(page))"
    case .split(let head): return "split of folio \(hex(head))"
    case .splitBefore(let head, let verb, let page):
      return "split of folio \(hex(head)) before the \(Action.ofPage(verb, page))"
    case .conversion(let part, let toPrivate): return "conversion of \(part) to \(toPrivate ? "private" : "shared")"
    case .splitForConversion(let head, let part, let toPrivate):
      return "split of folio \(hex(head)) for the \(Action.conversion(part, toPrivate: toPrivate))"
    }
  }
}
