import SocketCore

extension CommandTable {
    static let teachingCommands: [Command] = [
        Command(name: "why", group: .shell, parameters: [],
                summary: "explain the last error: its errno, what the kernel did, likely causes, what to try",
                python: "", cCall: "", run: { call, _ in
                    guard let failure = call.session.lastFailure else { return .verbatim("No command has failed yet.") }
                    return wrapped(explain(failure), &call)
                }),
        Command(name: "tcpinfo", group: .options, parameters: [.required("NAME", .socket)],
                summary: "the kernel's TCP_INFO for a TCP socket: state, rtt, cwnd, retransmits, bytes acked ...",
                python: "NAME.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)", cCall: "getsockopt(2) TCP_INFO",
                run: { _, bound in
                    let info = try bound.socket(0).socket.tcpInfo()
                    return .dict(info.fields.map { field in
                        (key: .str(field.name),
                         value: field.name == "state" ? .str(TCPInfo.stateName(Int(field.value)))
                            : (Int(exactly: field.value).map(Value.int) ?? .verbatim(String(field.value))))
                    })
                }),
        Command(name: "record", group: .shell, parameters: [.required("FILE|off", .path)],
                summary: "write the session from now on as a transcript that --check accepts; record off stops",
                python: "", cCall: "", run: { call, bound in
                    let target = bound.text(0)
                    // A FILE that fails leaves the running recording as it was.
                    call.runner.recording = target == "off" ? nil : try Recording(path: target)
                    return nil
                }),
        Command(name: "export", group: .shell, parameters: [.required("python|pcap|diagram"), .required("FILE", .path)],
                summary: "write the session's commands so far as a Python 3 script that prints what sockshell printed; "
                    + "pcap: the packets set packets on captured, for tcpdump -r and Wireshark; "
                    + "diagram FILE.svg|FILE.html: the calls and segments as a sequence diagram",
                python: "", cCall: "", run: { call, bound in
                    guard let word = bound.argument(0) else { throw call.arguments.usageError() }
                    let language = try call.arguments.text(word, label: "LANGUAGE")
                    let path = bound.text(1)
                    if language == "pcap" {
                        try writeFile(Redirect(path: path, append: false), call.session.packets.pcap())
                        return nil
                    }
                    if language == "diagram" {
                        call.runner.reportPackets()
                        let lower = path.lowercased()
                        guard lower.hasSuffix(".svg") || lower.hasSuffix(".html") || lower.hasSuffix(".htm") else {
                            throw ShellError.value("export diagram writes FILE.svg or FILE.html, not \(pythonStringRepr(path))")
                        }
                        let timeline = call.session.timeline
                        let text = lower.hasSuffix(".svg") ? Diagram.svg(timeline) : Diagram.html(timeline)
                        try writeFile(Redirect(path: path, append: false), Array(text.utf8))
                        return nil
                    }
                    guard language == "python" else {
                        throw ShellError.value("export knows python, pcap and diagram, not \(pythonStringRepr(language))")
                    }
                    // The log holds each command's text; it parsed once, so it parses again.
                    let lines = call.session.commandLog.flatMap { logged -> [PythonExport.Line] in
                        switch logged {
                        case .command(let text):
                            return ((try? Lexer.parse(text)) ?? []).filter { $0.name != "export" }.map { .command($0) }
                        case .python(let text, let refusal):
                            return [.python(text, refusal: refusal)]
                        }
                    }
                    try writeFile(Redirect(path: path, append: false), Array(PythonExport.script(for: lines).utf8))
                    return nil
                }),
    ]
}
