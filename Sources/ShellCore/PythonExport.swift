// Placeholder so the tree builds while the real file is being written; replaced whole.
enum PythonExport {
    static func statements(for command: ParsedCommand) -> [String]? { nil }
    static func script(for commands: [ParsedCommand]) -> String { "" }
}
