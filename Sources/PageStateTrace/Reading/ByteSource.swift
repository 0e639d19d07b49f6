#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a trace's bytes come from: a file descriptor read in large chunks
/// (`read(2)`, 1 MiB at a time), or bytes already in memory.
///
/// Memory use is bounded by the chunk size plus the longest line, whatever the
/// length of the input.
public final class ByteSource {
  enum Origin {
    case descriptor(Int32, ownsDescriptor: Bool)
    case memory
  }

  let origin: Origin
  /// Bytes read and not yet consumed live in `buffer[start..<end]`.
  var buffer: [UInt8]
  var start = 0
  var end = 0
  var reachedEnd = false

  /// The chunk size of `read(2)` calls.
  public static let chunkSize = 1 << 20

  /// Reads the bytes of an open file descriptor (e.g. 0 for standard input).
  public init(descriptor: Int32, ownsDescriptor: Bool = false) {
    origin = .descriptor(descriptor, ownsDescriptor: ownsDescriptor)
    buffer = []
  }

  /// Serves bytes already in memory (tests, the built-in demo).
  public init(bytes: [UInt8]) {
    origin = .memory
    buffer = bytes
    end = bytes.count
    reachedEnd = true
  }

  public convenience init(string: String) {
    self.init(bytes: Array(string.utf8))
  }

  /// Opens a file for reading; the error names the file and the reason.
  public static func open(path: String) throws(TraceError) -> ByteSource {
    let fd = Glibc.open(path, O_RDONLY)
    let location = SourceLocation(file: path, line: 0, column: 0)
    if fd < 0 {
      throw TraceError(location, "cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw TraceError(location, "'\(path)' is a directory, expected a trace file")
    }
    return ByteSource(descriptor: fd, ownsDescriptor: true)
  }

  deinit {
    if case .descriptor(let fd, true) = origin { close(fd) }
  }

  /// Reads another chunk after the unconsumed bytes. Returns false at end of input.
  /// Throws a message (without location) on a read error.
  func fill() throws(ReadFailure) -> Bool {
    guard case .descriptor(let fd, _) = origin, !reachedEnd else { return false }
    if start > 0 {
      // Move the unconsumed tail to the front so the buffer never grows past
      // one chunk plus the longest line.
      let remaining = end - start
      if remaining > 0 {
        buffer.withUnsafeMutableBufferPointer { p in
          _ = memmove(p.baseAddress!, p.baseAddress! + start, remaining)
        }
      }
      start = 0
      end = remaining
    }
    if buffer.count < end + ByteSource.chunkSize {
      buffer.append(contentsOf: repeatElement(0, count: end + ByteSource.chunkSize - buffer.count))
    }
    while true {
      let n = buffer.withUnsafeMutableBufferPointer { p in
        read(fd, p.baseAddress! + end, ByteSource.chunkSize)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw ReadFailure(message: String(cString: strerror(errno)))
      }
      if n == 0 {
        reachedEnd = true
        return false
      }
      end += n
      return true
    }
  }

  struct ReadFailure: Error { var message: String }
}
