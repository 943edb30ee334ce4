import PayoutEngine
import ServiceLifecycle

/// Runs the engine until graceful shutdown; in-flight payouts finish their step and are parked.
struct EngineService: Service {
    let engine: PayoutEngine

    func run() async throws {
        await withGracefulShutdownHandler {
            await engine.run()
        } onGracefulShutdown: {
            engine.stop()
        }
    }
}
