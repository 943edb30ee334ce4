/// A command that could not do its job; ArgumentParser prints `Error: <message>` on stderr and exits 1.
package struct CommandFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
