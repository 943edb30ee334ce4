/// How to stop what a run has started, step by step as it starts it, run in reverse order on every
/// path out of the run: `defer` cannot await, and a `do`/`catch` around each start misses the
/// steps that come after it.
final class Teardown {
    private var steps: [() async -> Void] = []

    /// `step` stops something just started; it runs before the steps added earlier.
    func add(_ step: @escaping () async -> Void) {
        steps.append(step)
    }

    /// Runs the steps, latest first, each once.
    func run() async {
        while let step = steps.popLast() { await step() }
    }

    /// Runs `body` with a teardown of its own, then that teardown, whether `body` returned or threw.
    static func around<Result>(_ body: (Teardown) async throws -> Result) async throws -> Result {
        let teardown = Teardown()
        let result: Result
        do {
            result = try await body(teardown)
        } catch {
            await teardown.run()
            throw error
        }
        await teardown.run()
        return result
    }
}
