import Glibc
import SocketCore

/// What `export diagram` draws (issue 14): from `set packets on` on, each
/// call on its socket's lifeline with its value or error, each segment an
/// arrow between the lifelines of its two ends, and each TCP state change
/// marked on its lifeline.
enum TimelineEvent {
    case call(socket: String?, text: String, result: String, failed: Bool)
    case segment(from: String, to: String, label: String, line: String)
    case state(socket: String, name: String)
}

/// The session's timeline, kept while packets are captured.
final class Timeline {
    private(set) var events: [TimelineEvent] = []
    private var lastState: [String: String] = [:]
    /// The host (`host add`) each socket `on HOST` made is on; the others are the session's.
    var hostOf: [String: String] = [:]
    /// The most a timeline keeps: a diagram is for a lesson, not a transfer.
    static let limit = 20_000

    func append(_ event: TimelineEvent) {
        guard events.count < Timeline.limit else { return }
        events.append(event)
    }

    /// The state last marked on the socket's lifeline.
    func state(of socket: String) -> String? { lastState[socket] }

    /// Marks the socket's TCP state when it changed since the last mark.
    func note(state: String, of socket: String) {
        guard lastState[socket] != state else { return }
        lastState[socket] = state
        append(.state(socket: socket, name: state))
    }

    /// The lifelines grouped by host (the session's sockets first, then
    /// each host's), within a host in the order the sockets first appear.
    var lifelines: [String] {
        let order = appearance
        var hosts: [String] = []
        for name in order { if let host = hostOf[name], !hosts.contains(host) { hosts.append(host) } }
        return order.filter { hostOf[$0] == nil } + hosts.flatMap { host in order.filter { hostOf[$0] == host } }
    }

    /// The sockets in the order they first appear.
    private var appearance: [String] {
        var names: [String] = []
        func add(_ name: String?) { if let name, !names.contains(name) { names.append(name) } }
        for event in events {
            switch event {
            case .call(let socket, _, _, _): add(socket)
            case .segment(let from, let to, _, _): add(from); add(to)
            case .state(let socket, _): add(socket)
            }
        }
        return names
    }
}

/// A segment's short label for an arrow: its flags, seq/ack, its length.
func arrowLabel(_ line: String) -> String {
    // From the tcpdump line: "... Flags [S.], seq 0, ack 1, win ..., length 5".
    guard let flagsRange = line.firstRange(of: "Flags [") else {
        return line.firstRange(of: ": UDP, ").map { "UDP " + line[$0.upperBound...] } ?? line
    }
    let flags = line[flagsRange.upperBound...].prefix { $0 != "]" }
    var parts = [String(flags)]
    for field in ["seq ", "ack "] {
        if let range = line.firstRange(of: ", " + field) {
            parts.append(field + line[range.upperBound...].prefix { $0 != "," })
        }
    }
    if let range = line.firstRange(of: ", length "), let length = Int(line[range.upperBound...].prefix { $0.isNumber }), length > 0 {
        parts.append("len \(length)")
    }
    return parts.joined(separator: " ")
}

enum Diagram {
    /// A label: control characters escaped as everywhere, then HTML's own.
    static func escaped(_ text: String) -> String { htmlEscaped(escapedLine(text)) }

    static func clipped(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The diagram as one SVG document. Sized for a projector: a row per
    /// event, 22 px, so 20 calls and 40 segments fit one screen.
    static func svg(_ timeline: Timeline) -> String {
        let lifelines = timeline.lifelines
        // A gutter on the left for the calls that name no socket (set, sleep),
        // and room on the right for the last lifeline's labels.
        let column = 190, gutter = 150, left = 20, top = 60, row = 22
        let width = left + gutter + max(1, lifelines.count) * column + 200
        let height = top + (timeline.events.count + 2) * row
        func x(_ name: String) -> Int { left + gutter + (lifelines.firstIndex(of: name) ?? 0) * column + column / 2 }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        font-family="DejaVu Sans Mono, monospace" font-size="12">
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">\
        <path d="M 0 0 L 10 5 L 0 10 z" fill="#1f4e9a"/></marker></defs>
        <rect width="100%" height="100%" fill="white"/>

        """
        for name in lifelines {
            out += "<g class=\"lifeline\" data-name=\"\(escaped(name))\">"
            out += "<rect x=\"\(x(name) - 80)\" y=\"10\" width=\"160\" height=\"28\" rx=\"4\" fill=\"#eef3fb\" stroke=\"#1f4e9a\"/>"
            out += "<text class=\"lifeline-name\" x=\"\(x(name))\" y=\"29\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escaped(name))</text>"
            if let host = timeline.hostOf[name] {
                out += "<text class=\"lifeline-host\" x=\"\(x(name) + 78)\" y=\"50\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">on \(escaped(host))</text>"
            }
            out += "<line x1=\"\(x(name))\" y1=\"38\" x2=\"\(x(name))\" y2=\"\(height - 10)\" stroke=\"#8899bb\" stroke-dasharray=\"4 3\"/></g>\n"
        }
        for (index, event) in timeline.events.enumerated() {
            let y = top + index * row
            switch event {
            case .call(let socket, let text, let result, let failed):
                let cx = socket.map(x) ?? left + 6
                let label = clipped(text, 34) + (result.isEmpty ? "" : " → " + clipped(result, 30))
                let color = failed ? "#b00020" : "#222222"
                out += "<g class=\"call\" id=\"event-\(index)\"><rect x=\"\(cx - 6)\" y=\"\(y - 8)\" width=\"12\" height=\"16\" fill=\"\(failed ? "#f8d7da" : "#fff4c2")\" stroke=\"\(color)\"/>"
                out += "<text class=\"call-label\" x=\"\(cx + 10)\" y=\"\(y + 4)\" fill=\"\(color)\">\(escaped(label))</text></g>\n"
            case .segment(let from, let to, let label, _):
                let x1 = x(from), x2 = x(to)
                let end = x2 + (x2 >= x1 ? -2 : 2)
                out += "<g class=\"segment\" id=\"event-\(index)\"><line x1=\"\(x1)\" y1=\"\(y)\" x2=\"\(end)\" y2=\"\(y)\" stroke=\"#1f4e9a\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
                out += "<text class=\"segment-label\" x=\"\((x1 + x2) / 2)\" y=\"\(y - 4)\" text-anchor=\"middle\" fill=\"#1f4e9a\">\(escaped(label))</text></g>\n"
            case .state(let socket, let name):
                out += "<text class=\"state\" id=\"event-\(index)\" x=\"\(x(socket) - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" fill=\"#2e7d32\" font-style=\"italic\">\(escaped(name))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// One self-contained page: the diagram beside the list of calls and
    /// segments, the two scrolled in step; nothing is fetched.
    static func html(_ timeline: Timeline) -> String {
        var rows = ""
        for (index, event) in timeline.events.enumerated() {
            switch event {
            case .call(let socket, let text, let result, let failed):
                rows += "<li class=\"call\(failed ? " failed" : "")\" data-event=\"\(index)\"><b>\(escaped(socket ?? "-"))</b> sock&gt; \(escaped(text))"
                    + (result.isEmpty ? "" : "<br><span>\(escaped(result))</span>") + "</li>\n"
            case .segment(let from, let to, _, let line):
                rows += "<li class=\"segment\" data-event=\"\(index)\">\(escaped(from)) → \(escaped(to)): <code>\(escaped(line))</code></li>\n"
            case .state(let socket, let name):
                rows += "<li class=\"state\" data-event=\"\(index)\">\(escaped(socket)) is \(escaped(name))</li>\n"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>sockshell session</title>
        <style>
        body { margin: 0; display: flex; height: 100vh; font-family: sans-serif; }
        #diagram { flex: 3; overflow: auto; border-right: 1px solid #ccc; }
        /* The whole width of the session in the pane; rows scroll. */
        #diagram svg { width: 100%; height: auto; }
        #events { flex: 2; overflow: auto; margin: 0; padding: 8px 8px 8px 28px; font-size: 13px; }
        #events li { margin-bottom: 4px; } #events .failed { color: #b00020; } #events .state { color: #2e7d32; }
        #events code { font-size: 11px; }
        </style></head>
        <body>
        <div id="diagram">
        \(svg(timeline))</div>
        <ol id="events">
        \(rows)</ol>
        <script>
        // The two panes scroll in step.
        const a = document.getElementById('diagram'), b = document.getElementById('events');
        let busy = false;
        function follow(from, to) {
          if (busy) return; busy = true;
          const range = from.scrollHeight - from.clientHeight;
          to.scrollTop = range > 0 ? from.scrollTop / range * (to.scrollHeight - to.clientHeight) : 0;
          requestAnimationFrame(() => { busy = false; });
        }
        a.addEventListener('scroll', () => follow(a, b));
        b.addEventListener('scroll', () => follow(b, a));
        </script>
        </body></html>

        """
    }
}
