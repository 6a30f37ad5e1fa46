import Glibc
import SocketCore

/// What a server `serve` starts says to each client (SPEC section 9): the
/// RFC services a class meets first, and the textbooks' own servers.
public enum ServeKind: String, CaseIterable {
    /// RFC 862: every byte back.
    case echo
    /// RFC 863: every byte read and dropped.
    case discard
    /// RFC 864: the rotating 72-character lines, for as long as the client reads.
    case chargen
    /// RFC 867: the date and time as a line, then the close.
    case daytime
    /// The classic textbook server: a greeting naming the client, a prompt,
    /// one line read, its length answered, the close.
    case welcome
    /// The threaded textbook server: `welcome!`, then `hello,MESSAGE!` for
    /// each message until `exit` or the close.
    case hello
    /// RFC 1436 menus and files from a directory.
    case gopher
    /// HTTP/1.0 GET and HEAD of the files in a directory.
    case http

    /// Whether the kind serves a directory (`serve NAME HOST PORT KIND DIR`).
    var takesDirectory: Bool { self == .gopher || self == .http }
}

/// One client's side of a conversation, as a state machine the models drive
/// alike (one thread per client, one process, or one poll(2) loop for all):
/// bytes in, bytes out, and when to close. It makes no system call but to
/// read the files a directory server sends.
final class Conversation {
    let kind: ServeKind
    /// The client's address as Python prints it: `('127.0.0.1', 51234)`.
    let peer: String
    private let directory: String?
    private let local: (host: String, port: Int)

    /// Bytes to send, from `sentOffset` on.
    private(set) var outbox: [UInt8] = []
    private var sentOffset = 0
    /// After what is in the outbox is sent, the server closes.
    private(set) var closesAfterSending = false
    /// What has arrived and is not yet a whole request or line.
    private var inbox: [UInt8] = []
    /// A file being sent in pieces, so a large one is never all in memory.
    private var file: Int32 = -1
    /// chargen's place in its pattern.
    private var chargenLine = 0
    /// A line for the server's log (an HTTP request and its status).
    var logLines: [String] = []

    /// The most a request line or header may be before the client is refused.
    static let requestLimit = 8192
    /// Above this many unsent bytes the server stops reading the client
    /// (an echo client that never reads cannot make it grow without end).
    static let outboxLimit = 1 << 20

    init(kind: ServeKind, peer: String, directory: String?, local: (host: String, port: Int)) {
        self.kind = kind
        self.peer = peer
        self.directory = directory
        self.local = local
        switch kind {
        case .daytime:
            queue(Array(Conversation.daytime().utf8))
            closesAfterSending = true
        case .welcome: queue(Array("welcome, \(peer)\nPlease enter a string:".utf8))
        case .hello: queue(Array("welcome!".utf8))
        case .chargen: refill()
        case .echo, .discard, .gopher, .http: break
        }
    }

    deinit { if file >= 0 { _ = close(file) } }

    /// Bytes waiting to go out.
    var unsent: ArraySlice<UInt8> { outbox[sentOffset...] }
    var hasUnsent: Bool { sentOffset < outbox.count || file >= 0 || kind == .chargen && !closesAfterSending }
    /// Whether the server should read the client now.
    var wantsInput: Bool { !closesAfterSending && outbox.count - sentOffset < Conversation.outboxLimit }
    /// Whether the connection is over: nothing more to send, and it was to close.
    var isFinished: Bool { closesAfterSending && !hasUnsent }

    func sent(_ count: Int) {
        sentOffset += count
        if sentOffset == outbox.count {
            outbox.removeAll(keepingCapacity: true)
            sentOffset = 0
            refill()
        }
    }

    private func queue(_ bytes: [UInt8]) {
        if sentOffset > 0 && sentOffset == outbox.count { outbox.removeAll(keepingCapacity: true); sentOffset = 0 }
        outbox += bytes
    }

    /// Tops the outbox up from what streams (chargen, a file being sent).
    private func refill() {
        guard outbox.count == sentOffset else { return }
        if kind == .chargen && !closesAfterSending {
            // RFC 864: 95 printable characters, 72 to a line, each line
            // starting one character later than the one before.
            for _ in 0..<128 {
                for column in 0..<72 { outbox.append(UInt8(32 + (chargenLine + column) % 95)) }
                outbox += [13, 10]
                chargenLine = (chargenLine + 1) % 95
            }
        } else if file >= 0 {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count > 0 {
                outbox += buffer.prefix(count)
            } else {
                _ = close(file)
                file = -1
                if kind == .gopher && fileIsText { outbox += Array(".\r\n".utf8) }
            }
        }
    }
    private var fileIsText = false

    /// What the client sent.
    func received(_ bytes: ArraySlice<UInt8>) {
        switch kind {
        case .echo: queue(Array(bytes))
        case .discard, .chargen, .daytime: break
        case .welcome:
            inbox += bytes
            if let newline = inbox.firstIndex(of: 10) { answerWelcome(Array(inbox[..<newline])) }
            else if inbox.count > Conversation.requestLimit { answerWelcome(inbox) }
        case .hello:
            inbox += bytes
            answerHello()
        case .gopher:
            inbox += bytes
            if let newline = inbox.firstIndex(of: 10) { answerGopher(Array(inbox[..<newline])) }
            else if inbox.count > Conversation.requestLimit { answerGopher(inbox) }
        case .http:
            inbox += bytes
            if let end = Conversation.headerEnd(inbox) { answerHTTP(Array(inbox[..<end])) }
            else if inbox.count > Conversation.requestLimit { respondHTTP(431, "Request Header Fields Too Large") }
        }
    }

    /// The client shut its side: what the kind does then.
    func peerClosed() {
        switch kind {
        case .welcome where !closesAfterSending && !inbox.isEmpty: answerWelcome(inbox)
        case .hello where !inbox.isEmpty: answerHello()
        default: break
        }
        closesAfterSending = true
        if kind == .chargen || kind == .discard || kind == .echo && outbox.isEmpty {
            outbox.removeAll()
            sentOffset = 0
        }
    }

    private func answerWelcome(_ line: [UInt8]) {
        var text = line
        if text.last == 13 { text.removeLast() }
        let characters = String(decoding: text, as: UTF8.self).count
        inbox.removeAll()
        queue(Array("You entered \(characters) characters.\n".utf8))
        closesAfterSending = true
    }

    /// Each line is a message; so is what came without a newline, as the
    /// textbook's client sends each message in one `send`.
    private func answerHello() {
        while !inbox.isEmpty, !closesAfterSending {
            var message: [UInt8]
            var ending = ""
            if let newline = inbox.firstIndex(of: 10) {
                message = Array(inbox[..<newline])
                inbox.removeSubrange(...newline)
                if message.last == 13 { message.removeLast(); ending = "\r\n" } else { ending = "\n" }
            } else {
                message = inbox
                inbox.removeAll()
            }
            let text = String(decoding: message, as: UTF8.self)
            if text == "exit" {
                closesAfterSending = true
                inbox.removeAll()
                return
            }
            queue(Array("hello,".utf8) + message + Array("!\(ending)".utf8))
        }
    }

    // MARK: Directories

    /// The path under the served directory a selector or URL path names, or
    /// nil when it would leave it (`..`, a link pointing out).
    private func resolve(_ requested: String) -> String? {
        guard let directory else { return nil }
        let parts = requested.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        guard !parts.contains(".."), !requested.contains("\0") else { return nil }
        let joined = parts.isEmpty ? directory : directory + "/" + parts.joined(separator: "/")
        guard let real = realpath(joined, nil) else { return joined }
        defer { free(real) }
        let resolved = String(cString: real)
        guard let root = realpath(directory, nil) else { return nil }
        defer { free(root) }
        let rootPath = String(cString: root)
        guard resolved == rootPath || resolved.hasPrefix(rootPath == "/" ? "/" : rootPath + "/") else { return nil }
        return resolved
    }

    private static func isDirectory(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// The names in a directory, sorted, dot files left out.
    private static func listing(_ path: String) -> [(name: String, isDirectory: Bool)] {
        guard let handle = opendir(path) else { return [] }
        defer { closedir(handle) }
        var names: [(String, Bool)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append((name, isDirectory(path + "/" + name) ?? false))
        }
        return names.sorted { $0.0 < $1.0 }
    }

    private func openFile(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        file = fd
        return true
    }

    private static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    private func answerGopher(_ request: [UInt8]) {
        var line = request
        if line.last == 13 { line.removeLast() }
        // A gopher+ client may send a tab and more after the selector.
        let selector = String(decoding: line.prefix { $0 != 9 }, as: UTF8.self)
        inbox.removeAll()
        closesAfterSending = true
        logLines.append("gopher \(pythonStringRepr(selector))")
        guard let path = resolve(selector), let isDirectory = Conversation.isDirectory(path) else {
            queue(Array("3'\(selector)' does not exist\terror.host\t1\r\n.\r\n".utf8))
            return
        }
        if !isDirectory {
            fileIsText = Conversation.gopherType(path) == "0"
            if !openFile(path) { queue(Array("3'\(selector)' cannot be read\terror.host\t1\r\n.\r\n".utf8)) }
            refill()
            return
        }
        let base = selector.split(separator: "/").joined(separator: "/")
        var menu = ""
        for entry in Conversation.listing(path) {
            let child = base.isEmpty ? entry.name : base + "/" + entry.name
            let type = entry.isDirectory ? "1" : Conversation.gopherType(path + "/" + entry.name)
            menu += "\(type)\(entry.name)\t\(child)\t\(local.host)\t\(local.port)\r\n"
        }
        queue(Array((menu + ".\r\n").utf8))
    }

    /// RFC 1436's item types: 0 text, 9 binary, g a GIF, I another image.
    private static func gopherType(_ path: String) -> String {
        let type = contentType(path)
        if type.hasPrefix("text/") { return "0" }
        if type == "image/gif" { return "g" }
        if type.hasPrefix("image/") { return "I" }
        return "9"
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 10 {
                if index + 1 < bytes.count, bytes[index + 1] == 10 { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    private var requestLine = ""

    private func answerHTTP(_ head: [UInt8]) {
        inbox.removeAll()
        // Bytes, not Characters: "\r\n" is one Character in Swift.
        var lineBytes = Array(head.prefix { $0 != 10 })
        if lineBytes.last == 13 { lineBytes.removeLast() }
        let first = String(decoding: lineBytes, as: UTF8.self)
        requestLine = first
        let words = first.split(separator: " ").map(String.init)
        guard words.count == 3, words[2].hasPrefix("HTTP/") else { return respondHTTP(400, "Bad Request") }
        let method = words[0]
        guard method == "GET" || method == "HEAD" else { return respondHTTP(501, "Not Implemented") }
        let target = String(words[1].prefix { $0 != "?" && $0 != "#" })
        guard target.hasPrefix("/"), let decoded = Conversation.percentDecoded(target) else {
            return respondHTTP(400, "Bad Request")
        }
        guard let path = resolve(decoded) else { return respondHTTP(403, "Forbidden") }
        guard let isDirectory = Conversation.isDirectory(path) else { return respondHTTP(404, "Not Found") }
        var filePath = path
        if isDirectory {
            if !decoded.hasSuffix("/") {
                return respondHTTP(301, "Moved Permanently", extraHeaders: "Location: \(target)/\r\n")
            }
            if Conversation.isDirectory(path + "/index.html") == false {
                filePath = path + "/index.html"
            } else {
                var body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of \(htmlEscaped(decoded))</title></head>\n<body><h1>Index of \(htmlEscaped(decoded))</h1>\n<ul>\n"
                for entry in Conversation.listing(path) {
                    let name = entry.name + (entry.isDirectory ? "/" : "")
                    body += "<li><a href=\"\(Conversation.percentEncoded(name))\">\(htmlEscaped(name))</a></li>\n"
                }
                body += "</ul></body></html>\n"
                return respondHTTP(200, "OK", type: "text/html; charset=utf-8", body: Array(body.utf8), head: method == "HEAD")
            }
        }
        let size = Conversation.fileSize(filePath)
        guard method == "HEAD" || openFile(filePath) else { return respondHTTP(403, "Forbidden") }
        queue(Array(Conversation.httpHead(200, "OK", type: Conversation.contentType(filePath), length: size).utf8))
        logLines.append("\"\(escapedLine(requestLine))\" 200 \(size)")
        closesAfterSending = true
        refill()
    }

    private func respondHTTP(_ status: Int, _ reason: String, type: String = "text/html; charset=utf-8",
                             body: [UInt8]? = nil, head: Bool = false, extraHeaders: String = "") {
        inbox.removeAll()
        let content = body ?? Array("<!DOCTYPE html>\n<html><head><title>\(status) \(reason)</title></head><body><h1>\(status) \(reason)</h1></body></html>\n".utf8)
        queue(Array(Conversation.httpHead(status, reason, type: type, length: content.count, extra: extraHeaders).utf8))
        if !head { queue(content) }
        logLines.append("\"\(escapedLine(requestLine))\" \(status) \(content.count)")
        closesAfterSending = true
    }

    private static func httpHead(_ status: Int, _ reason: String, type: String, length: Int, extra: String = "") -> String {
        "HTTP/1.0 \(status) \(reason)\r\nServer: sockshell\r\nDate: \(httpDate())\r\nContent-Type: \(type)\r\n"
            + "Content-Length: \(length)\r\n\(extra)Connection: close\r\n\r\n"
    }

    static func contentType(_ path: String) -> String {
        let lower = path.lowercased()
        let suffix = lower.split(separator: ".").last.map(String.init) ?? ""
        switch suffix {
        case "html", "htm": return "text/html; charset=utf-8"
        case "txt", "md", "text", "py", "c", "h", "swift", "sock": return "text/plain; charset=utf-8"
        case "css": return "text/css"
        case "js": return "text/javascript"
        case "json": return "application/json"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "svg": return "image/svg+xml"
        case "pdf": return "application/pdf"
        default: return "application/octet-stream"
        }
    }

    private static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 128, character.isLetter || character.isNumber || "-._~/".contains(character) {
                out.append(character)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    private static func formatted(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 80)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 867 leaves the format free; this is its suggestion's, in UTC.
    static func daytime() -> String { formatted("%A, %B %d, %Y %H:%M:%S-UTC") + "\r\n" }
    static func httpDate() -> String { formatted("%a, %d %b %Y %H:%M:%S GMT") }
}
