import CatalogueDomain
import CatalogueJSON
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Every error the API answers: an HTTP status and the NTMS error body
/// `{"error","code","message"}` of the JSON model.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let error: NtmsError

    init(_ error: NtmsError, status: HTTPResponse.Status? = nil) {
        self.error = error
        self.status = status ?? Self.status(for: error.code)
    }

    static let unauthenticated = APIError(
        NtmsError(
            .accessDenied,
            "authenticate: a bearer token (Authorization: Bearer mct_…) over TCP, or connect to the Unix socket"),
        status: .unauthorized)

    /// The status an NTMS error maps to: the caller's mistake (4xx) or the
    /// service's state (5xx).
    static func status(for code: NtmsErrorCode) -> HTTPResponse.Status {
        switch code {
        case .accessDenied: .forbidden
        case .invalidParameter, .invalidName, .messageExceedsMaxSize, .invalidDrive: .badRequest
        case .objectNotFound, .invalidMedia, .invalidMediaPool, .invalidLibrary, .pathNotFound: .notFound
        case .alreadyExists, .fileExists, .busy, .invalidState, .notEmpty, .mediaUnavailable, .mediaOffline,
            .empty, .libraryFull, .resourceNotAvailable, .invalidOperation, .mediaIncompatible, .driveMediaMismatch,
            .cancelled, .resourceDisabled, .mediaNotAvailable, .invalidCleaner, .unableToClean, .resourceNotPresent,
            .cleanerSlotSet, .cleanerSlotNotSet, .cleanerCartridgeSpent, .cleanerCartridgeInstalled:
            .conflict
        case .timeout: .gatewayTimeout
        case .databaseFull, .diskFull: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .deviceNotAvailable, .notReady, .libraryOffline, .invalidHandle: .serviceUnavailable
        case .databaseFailure, .writeFault, .notEnoughMemory: .internalServerError
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"mediacatalogue\"" }
        let body = JSONModel.line(ErrorJSON(error)) + "\n"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Turns every error a route throws into an NTMS error body, so no framework
/// text or Swift error description reaches a client.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as NtmsError {
            throw APIError(error)
        } catch let error as HTTPError {
            switch error.status {
            case .contentTooLarge:
                throw APIError(
                    NtmsError(
                        .invalidParameter, "the body is larger than \(ServerLimits.maximumBodyBytes) bytes"),
                    status: .contentTooLarge)
            case .notFound:
                throw APIError(NtmsError(.objectNotFound, "no such route"), status: .notFound)
            case .methodNotAllowed:
                throw APIError(
                    NtmsError(.invalidParameter, "the route does not take that method"), status: error.status)
            default:
                throw APIError(NtmsError(.invalidParameter, "the request was refused"), status: error.status)
            }
        } catch {
            throw APIError(NtmsError(.databaseFailure, "the request failed unexpectedly"), status: .internalServerError)
        }
    }
}
