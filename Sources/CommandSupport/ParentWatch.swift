import Foundation

/// Ends a child process once the process that spawned it has died. `chaos`, `bench` and the tests
/// start `payout-worker run` (and `payout-lab broker`) children that talk to a broker and a sandbox
/// their parent hosts; orphaned, they would run on for ever.
///
/// The spawner names itself in `EXIT_WITH_PARENT_PID` (outside the `PAYOUT_` names, which the
/// configuration loader reads and checks). Not `PR_SET_PDEATHSIG`: that fires
/// when the spawning *thread* exits, and the threads that spawn here are pool threads that come and
/// go. A thread of its own compares `getppid()` with the named pid twice a second (an orphan is
/// re-parented, so the two differ from then on, also when the parent died before the watch began)
/// and then stops the process as SIGTERM does: the same drain, bounded by `shutdown_timeout_ms`.
package enum ParentWatch {
    package static let environmentVariable = "EXIT_WITH_PARENT_PID"

    /// The variable a spawner sets for its children.
    package static var forChildren: [String: String] { [environmentVariable: String(getpid())] }

    /// Starts watching if the environment names a parent; call once SIGTERM is trapped.
    package static func start(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment[environmentVariable], let parent = pid_t(text), parent > 1 else { return }
        Thread.detachNewThread {
            while getppid() == parent { usleep(500_000) }
            let name = ProcessInfo.processInfo.processName
            FileHandle.standardError.write(Data("\(name): parent process \(parent) is gone; stopping\n".utf8))
            kill(getpid(), SIGTERM)
        }
    }
}
