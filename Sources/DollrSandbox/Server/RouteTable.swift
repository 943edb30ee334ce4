import Hummingbird

/// The sandbox's router, plus what FastAPI (Starlette) answers where no route matches, which Hummingbird answers
/// with an empty 404 for both cases:
/// - a known path with another method: 405 `{"detail":"Method Not Allowed"}` with an `Allow` header;
/// - any other path: 404 `{"detail":"Not Found"}`.
///
/// A client that parses every error body as JSON must cope with both, so the sandbox sends the real shapes.
/// Routes are recorded as they are registered, so the 405s cannot drift from the routes. Used only while the
/// server is being set up, on one task; never shared.
final class RouteTable {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    let router: Router<BasicRequestContext>
    /// Methods per path, in registration order.
    private var paths: [(path: String, methods: [HTTPRequest.Method])] = []

    /// Methods a 405 is registered for. HEAD is served wherever GET is (as Starlette does), else refused.
    private static let allMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    init() {
        self.router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Before any route: middleware only wraps what is registered after it (and the not-found responder).
        self.router.add(middleware: NotFoundAsFastAPI())
    }

    func get(_ path: String, _ handler: @escaping Handler) { self.on(path, .get, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { self.on(path, .post, handler) }
    func put(_ path: String, _ handler: @escaping Handler) { self.on(path, .put, handler) }
    func patch(_ path: String, _ handler: @escaping Handler) { self.on(path, .patch, handler) }

    private func on(_ path: String, _ method: HTTPRequest.Method, _ handler: @escaping Handler) {
        self.router.on(RouterPath(path), method: method, use: handler)
        if let index = self.paths.firstIndex(where: { $0.path == path }) {
            self.paths[index].methods.append(method)
        } else {
            self.paths.append((path, [method]))
        }
    }

    /// Registers the 405s; call once, after every route.
    func finish() -> Router<BasicRequestContext> {
        for (path, methods) in self.paths {
            var allowed = methods
            if allowed.contains(.get) { allowed.append(.head) }
            let allow = Self.allMethods.filter(allowed.contains).map(\.rawValue).joined(separator: ", ")
            for method in Self.allMethods where !allowed.contains(method) {
                self.router.on(RouterPath(path), method: method) { _, _ in
                    SandboxResponse.detail(405, "Method Not Allowed", headers: [.allow: allow])
                }
            }
        }
        return self.router
    }
}

/// Hummingbird's router throws `HTTPError(.notFound)` with an empty body for an unknown path; FastAPI sends JSON.
private struct NotFoundAsFastAPI: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return SandboxResponse.detail(404, "Not Found")
        }
    }
}
