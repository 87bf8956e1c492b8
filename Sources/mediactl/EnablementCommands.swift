import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON

extension EnablementKind: ExpressibleByArgument {}

/// What `enable` and `disable` both take: the object, named as operators name it.
struct EnablementObject: ParsableArguments {
    @Argument(help: "What to act on: library, drive or medium.") var kind: EnablementKind
    @Argument(help: "The library (name or library-N), or the medium (bar code or medium-N).") var name: String
    @Argument(help: "For a drive: its number in the library, from 0.") var drive: UInt32?

    func target(in state: CatalogueState) throws(NtmsError) -> EnablementTarget {
        try NameResolver(state: state).enablementTarget(kind, name, drive: drive)
    }

    /// The object's route: `/v1/libraries/{l}`, `/v1/libraries/{l}/drives/{n}` or `/v1/media/{m}`.
    func path(_ action: String) throws(NtmsError) -> APIPath {
        switch kind {
        case .library:
            guard drive == nil else { throw NtmsError(.invalidParameter, "a library is named without a drive number") }
            return APIPath("/v1/libraries") + name + action
        case .drive:
            guard let drive else { throw NtmsError(.invalidParameter, "a drive is named by its library and number") }
            return APIPath("/v1/libraries") + name + "drives" + String(drive) + action
        case .medium:
            guard drive == nil else { throw NtmsError(.invalidParameter, "a medium is named without a drive number") }
            return APIPath("/v1/media") + name + action
        }
    }
}

struct Disable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a library, drive or medium out of use (DisableNtmsObject).",
        discussion: """
            A disabled library does no robot work (ERROR_DEVICE_NOT_AVAILABLE) and its media are not allocated;
            a disabled drive is never mounted into (ERROR_RESOURCE_DISABLED); a disabled medium is neither
            allocated, mounted nor ejected (ERROR_MEDIA_NOT_AVAILABLE). Examples:
              mediactl disable drive Robot 1 --service "replace the drive"
              mediactl disable medium A00042
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var object: EnablementObject
    @Option(help: "Also raise a DEVICESERVICE operator request with this message (\"\": a default one).")
    var service: String?

    func run() async throws {
        if try await options.onServer({ client in
            let body: EnablementJSON = try await client.send(
                .POST, try object.path("disable"), body: DisableBody(service: service))
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let target = try object.target(in: catalogue.snapshot.state)
        let request = try await options.session(catalogue).disable(target, serviceMessage: service)
        let body = EnablementJSON(target, serviceRequest: request, catalogue.snapshot.state)
        Output.emit(body, json: options.json, text: body.text)
    }
}

struct Enable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a disabled library, drive or medium back in use (EnableNtmsObject).")

    @OptionGroup var options: StoreOptions
    @OptionGroup var object: EnablementObject

    func run() async throws {
        if try await options.onServer({ client in
            let body: EnablementJSON = try await client.send(.POST, try object.path("enable"))
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let target = try object.target(in: catalogue.snapshot.state)
        try await options.session(catalogue).enable(target)
        let body = EnablementJSON(target, catalogue.snapshot.state)
        Output.emit(body, json: options.json, text: body.text)
    }
}

extension EnablementJSON {
    /// `drive 1 of Robot disabled; request-12 asks for service`
    var text: String {
        let object =
            switch object_type {
            case "drive": "drive \(drive.map(String.init) ?? "?") of \(library_name ?? library ?? "?")"
            case "library": "library \(library_name ?? library ?? "?")"
            default: "medium \(barcode ?? medium ?? "?")"
            }
        return "\(object) \(enabled ? "enabled" : "disabled")"
            + (service_request.map { "; \($0) asks an operator to service it" } ?? "")
    }
}
