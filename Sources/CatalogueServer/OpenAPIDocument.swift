import CatalogueJSON
import Foundation

/// The OpenAPI 3.1 document of the API, generated from the route table and
/// the JSON model's schema (`docs/schema/v1/mediactl.schema.json`), whose
/// definitions become its component schemas. `docs/openapi.json` is this
/// document; a test keeps the two equal.
public enum OpenAPIDocument {
    /// The document as pretty-printed JSON with sorted keys.
    public static func json(modelSchema: Data) throws -> Data {
        let model = try JSONSerialization.jsonObject(with: modelSchema) as? [String: Any] ?? [:]
        var schemas = (model["$defs"] as? [String: Any] ?? [:]).mapValues { rewriteReferences($0) }
        schemas.merge(apiSchemas) { model, _ in model }
        var paths: [String: [String: Any]] = [:]
        for route in CatalogueServer.routes {
            var operation: [String: Any] = [
                "summary": route.summary,
                "description": "Needs: \(route.access).",
                "operationId": operationID(route),
                "parameters": route.parameters.map {
                    ["name": $0, "in": "path", "required": true, "schema": ["type": "string"]] as [String: Any]
                }
                    + route.query.map {
                        [
                            "name": $0.name, "in": "query", "required": false, "description": $0.meaning,
                            "schema": ["type": "string"],
                        ] as [String: Any]
                    },
                "responses": responses(route),
            ]
            if let body = route.body {
                operation["requestBody"] = [
                    "required": true,
                    "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(body)"]]],
                ]
            }
            paths[route.path, default: [:]][route.method.rawValue] = operation
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "MediaCatalogue",
                "version": CatalogueServer.version,
                "description":
                    "RSM's media services over HTTP: every CLI command and query. Errors are an HTTP status and "
                    + "{\"error\",\"code\",\"message\"} with the NTMS error's Win32 name and number.",
            ],
            "servers": [["url": "/"]],
            "security": [["bearer": [String]()], ["unixPeer": [String]()]],
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": [
                    "bearer": [
                        "type": "http", "scheme": "bearer", "description": "a token from `mediactl token create`",
                    ],
                    "unixPeer": [
                        "type": "mutualTLS",
                        "description":
                            "on the Unix socket the kernel names the peer (SO_PEERCRED); no header is needed",
                    ],
                ],
            ],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    private static func operationID(_ route: APIRouteDescription) -> String {
        route.method.rawValue
            + route.path.split(separator: "/").dropFirst().map { part in
                let word = part.hasPrefix("{") ? "By" + part.dropFirst().dropLast().capitalized : part.capitalized
                return word.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
            }.joined()
    }

    private static func responses(_ route: APIRouteDescription) -> [String: Any] {
        let item: [String: Any] = ["$ref": "#/components/schemas/\(route.response)"]
        let schema: [String: Any] = route.listing ? ["type": "array", "items": item] : item
        let media =
            switch route.path {
            case "/v1/events": "text/event-stream"
            case "/metrics": "text/plain"
            default: "application/json"
            }
        let success = route.created ? "201" : "200"
        var answers: [String: Any] = [
            "default": [
                "description": "an NTMS error",
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/error"]]],
            ]
        ]
        answers[success] = ["description": "success", "content": [media: ["schema": schema]]]
        return answers
    }

    /// The model schema refers to `#/$defs/x`; in the document that is `#/components/schemas/x`.
    private static func rewriteReferences(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            var out: [String: Any] = [:]
            for (key, inner) in object {
                if key == "$ref", let text = inner as? String {
                    out[key] = text.replacingOccurrences(of: "#/$defs/", with: "#/components/schemas/")
                } else {
                    out[key] = rewriteReferences(inner)
                }
            }
            return out
        case let array as [Any]: return array.map(rewriteReferences)
        default: return value
        }
    }

    /// The schemas of the API's own bodies and answers.
    static var apiSchemas: [String: Any] {
        func object(_ properties: [String: Any], required: [String]) -> [String: Any] {
            ["type": "object", "additionalProperties": false, "properties": properties, "required": required]
        }
        let string: [String: Any] = ["type": "string"]
        let integer: [String: Any] = ["type": "integer", "minimum": 0]
        let boolean: [String: Any] = ["type": "boolean"]
        let strings: [String: Any] = ["type": "array", "items": string]
        let settings: [String: Any] = [
            "mtx_path": string, "inventory_before_status": boolean, "offline_before_unload": boolean,
            "drive_devices": ["type": "object", "additionalProperties": string],
            "status_timeout": integer, "move_timeout": integer, "inventory_timeout": integer,
        ]
        return [
            "MediaTypeBody": object(
                ["name": string, "sides": ["type": "integer", "minimum": 1, "maximum": 2]],
                required: ["name", "sides"]),
            "LibraryBody": object(
                [
                    "name": string, "slots": integer, "drives": integer, "ports": integer,
                    "driver": ["enum": ["simulated", "mtx"]], "device": string, "no_check": boolean,
                ],
                required: ["name"]),
            "ChangerBody": object(
                settings.merging([
                    "driver": ["enum": ["simulated", "mtx"]], "device": string, "no_check": boolean,
                ]) { first, _ in first }, required: ["driver"]),
            "ChangerSettingsBody": object(settings, required: []),
            "PoolBody": object(
                [
                    "path": string, "media_type": string, "from_scratch": boolean, "to_scratch": boolean,
                    "max_allocates": integer,
                ],
                required: ["path"]),
            "PoolPolicyBody": object(
                ["from_scratch": boolean, "to_scratch": boolean, "max_allocates": integer], required: []),
            "MediumBody": object(
                [
                    "media_type": string, "barcode": string, "library": string, "slot": integer,
                    "label": ["enum": ["free", "import", "none"]],
                ],
                required: ["media_type", "barcode"]),
            "AllocationBody": object(
                [
                    "pool": string, "side": string, "new": boolean, "next": string, "error_if_unavailable": boolean,
                    "timeout_ms": ["type": "integer", "minimum": 0, "maximum": 4_294_967_295],
                ],
                required: ["pool"]),
            "MoveBody": object(["pool": string, "change_type": boolean], required: ["pool"]),
            "SwapBody": object(["with": string], required: ["with"]),
            "OnMediaLabelBody": object(["type": string, "id": string, "info": string], required: ["type", "id"]),
            "OperatorRequestBody": object(
                [
                    "type": ["enum": ["NEWMEDIA", "CLEANER", "DEVICESERVICE", "MOVEMEDIA", "MESSAGE"]],
                    "message": string,
                    "pool": string, "medium": string, "library": string,
                ],
                required: ["message"]),
            "MountBody": object(
                [
                    "side": string, "drive": integer,
                    "timeout_ms": ["type": "integer", "minimum": 0, "maximum": 4_294_967_295],
                    "priority": ["type": "integer", "minimum": -15, "maximum": 15],
                ],
                required: ["side"]),
            "LibraryRequestOrderBody": object(["first": boolean, "before": string], required: []),
            "DismountBody": object(["medium": string, "deferred": boolean], required: ["medium"]),
            "InjectBody": object(
                [
                    "port": integer, "barcode": string, "media_type": string,
                    "label": ["enum": ["free", "import", "none"]], "label_type": string, "label_id": string,
                    "label_info": string,
                ],
                required: ["port", "barcode", "media_type"]),
            "EjectBody": object(["port": integer], required: []),
            "DisableBody": object(["service": string], required: []),
            "CleanerSlotBody": object(["slot": integer], required: ["slot"]),
            "CleanerInjectBody": object(
                ["port": integer, "barcode": string, "uses": integer], required: ["port", "barcode"]),
            "CleanerEjectBody": object(["port": integer], required: ["port"]),
            "CleaningIntervalBody": object(["mounts": integer], required: ["mounts"]),
            "InventoryBody": object(["media_type": string], required: []),
            "AccessChangeBody": object(
                [
                    "user": string, "group": string, "everyone": boolean,
                    "rights": ["type": "array", "items": ["enum": ["use", "modify", "control", "all"]]],
                    "pool": string, "library": string,
                ],
                required: []),
            "TokenBody": object(
                ["principal": string, "groups": strings, "expires": ["type": "string", "format": "date-time"]],
                required: ["principal"]),
            "ping": object(["ok": boolean], required: ["ok"]),
            "openapi": ["type": "object", "description": "an OpenAPI 3.1 document"],
            "metrics": ["type": "string", "description": "Prometheus text exposition format 0.0.4"],
        ]
    }
}
