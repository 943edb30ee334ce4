import Foundation
import Synchronization
import Testing

/// A process that runs the embedded broker and also starts children, as the test process and the
/// lab do: librdkafka's mock cluster accepts connections without close-on-exec, and a child that
/// inherits one keeps the broker's port in use, so librdkafka 2.0.2 aborts the whole process at
/// the next broker-down (`Failed to-create mock broker listener`). A child must start with no
/// descriptor but its three standard ones, even one another thread opened a moment before.
@Suite("Children start with no inherited descriptor")
struct ChildDescriptorTests {
    @Test("sockets opened without close-on-exec by another thread while children start never reach a child")
    func concurrentSocketsAreNotInherited() async throws {
        let churn = SocketChurn()
        defer { churn.stop() }
        var inherited: [String] = []
        for _ in 0..<150 {
            // `ls` lists its own descriptors: 0, 1 and 2, and the one it reads the directory with.
            let child = try ChildProcess(URL(fileURLWithPath: "/bin/ls"), arguments: ["-l", "/proc/self/fd"])
            #expect(try await child.waitForExit(within: .seconds(30)) == 0)
            inherited += child.stdoutLines.elements.filter { $0.contains("socket:") }
        }
        #expect(churn.opened > 0)
        #expect(inherited.isEmpty, "inherited: \(inherited.prefix(5))")
    }
}

/// A thread that keeps opening sockets without close-on-exec, each under a new descriptor number
/// while it can (the new one opens before the oldest closes), as a broker accepting connections does.
private final class SocketChurn: Sendable {
    private let stopped = Atomic(false)
    private let count = Atomic(0)

    var opened: Int { count.load(ordering: .relaxed) }

    init() {
        let thread = Thread { [self] in
            var open: [Int32] = []
            while !stopped.load(ordering: .relaxed) {
                open.append(socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
                count.add(1, ordering: .relaxed)
                if open.count > 16 { close(open.removeFirst()) }
            }
            for descriptor in open { close(descriptor) }
        }
        thread.name = "socket-churn"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
