import CatalogueDomain
import Foundation

/// A request body of the HTTP API, in the JSON model's field names: decoded
/// strictly, so a misspelt field is an error, not a default.
public protocol APIBody: Codable, Sendable {
    /// Every field the body may carry.
    static var fields: Set<String> { get }
}

extension APIBody {
    /// Decodes `data` in one pass, refusing what is not one JSON object of
    /// known fields of the right types.
    public static func decodeStrictly(_ data: Data) throws -> Self {
        do {
            return try JSONDecoder().decode(StrictBody<Self>.self, from: data.isEmpty ? Data("{}".utf8) : data).body
        } catch let error as NtmsError {
            throw error
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw NtmsError(.invalidParameter, "the body is not valid JSON")
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw NtmsError(.invalidParameter, "the body is not a JSON object")
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            throw NtmsError(.invalidParameter, "field \(Self.path(context)) must be \(Self.kind(type))")
        } catch let DecodingError.keyNotFound(key, _) {
            throw NtmsError(.invalidParameter, "field \(TextRules.preview(key.stringValue)) is missing")
        } catch let DecodingError.dataCorrupted(context) {
            throw NtmsError(.invalidParameter, "field \(Self.path(context)) is not valid")
        } catch {
            throw NtmsError(.invalidParameter, "the body does not fit this request")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return path.isEmpty ? "(the body)" : TextRules.preview(path)
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt32.Type, is UInt64.Type, is Int64.Type: "a whole number in range"
        case is [String].Type: "an array of strings"
        default: "of the documented type"
        }
    }
}

/// A body with its fields checked against the known ones before it is decoded.
private struct StrictBody<Body: APIBody>: Decodable {
    let body: Body

    init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = fields.filter({ !Body.fields.contains($0) }).sorted().first {
            throw NtmsError(
                .invalidParameter,
                "unknown field \"\(TextRules.preview(unknown))\"; this request takes "
                    + Body.fields.sorted().joined(separator: ", "))
        }
        body = try Body(from: decoder)
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

public struct MediaTypeBody: APIBody {
    public static let fields: Set<String> = ["name", "sides"]
    public var name: String
    public var sides: Int

    public init(name: String, sides: Int) {
        self.name = name
        self.sides = sides
    }
}

public struct LibraryBody: APIBody {
    public static let fields: Set<String> = ["name", "slots", "drives", "ports", "driver", "device", "no_check"]
    public var name: String
    /// Absent for an mtx changer: taken from the changer, as are the drives and ports.
    public var slots: Int?
    public var drives: Int?
    public var ports: Int?
    /// `simulated` or `mtx`.
    public var driver: String?
    public var device: String?
    /// True: do not compare the counts with an mtx changer (set-up before it is connected).
    public var no_check: Bool?

    public init(
        name: String, slots: Int? = nil, drives: Int? = nil, ports: Int? = nil, driver: String? = nil,
        device: String? = nil, no_check: Bool? = nil
    ) {
        self.name = name
        self.slots = slots
        self.drives = drives
        self.ports = ports
        self.driver = driver
        self.device = device
        self.no_check = no_check
    }
}

public struct ChangerBody: APIBody {
    public static let fields: Set<String> = Set(["driver", "device", "no_check"]).union(ChangerSettingsBody.fields)
    public var driver: String
    public var device: String?
    /// True: do not compare the library's counts with an mtx changer.
    public var no_check: Bool?
    /// mtx settings to set with the changer, in the same fields as
    /// `ChangerSettingsBody`: checked with it, so a refused setting attaches nothing.
    public var settings: ChangerSettingsBody?

    public init(driver: String, device: String? = nil, no_check: Bool? = nil, settings: ChangerSettingsBody? = nil) {
        self.driver = driver
        self.device = device
        self.no_check = no_check
        self.settings = settings
    }

    private enum CodingKeys: String, CodingKey { case driver, device, no_check }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        driver = try container.decode(String.self, forKey: .driver)
        device = try container.decodeIfPresent(String.self, forKey: .device)
        no_check = try container.decodeIfPresent(Bool.self, forKey: .no_check)
        // The settings' fields sit beside the changer's; none given is no settings.
        let settings = try ChangerSettingsBody(from: decoder)
        self.settings = settings == ChangerSettingsBody() ? nil : settings
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(driver, forKey: .driver)
        try container.encodeIfPresent(device, forKey: .device)
        try container.encodeIfPresent(no_check, forKey: .no_check)
        try settings?.encode(to: encoder)
    }
}

public struct ChangerSettingsBody: APIBody, Equatable {
    public static let fields: Set<String> = [
        "mtx_path", "inventory_before_status", "offline_before_unload", "drive_devices", "status_timeout",
        "move_timeout", "inventory_timeout",
    ]
    /// An absolute path; empty: `mtx` on the PATH, else in /usr/sbin.
    public var mtx_path: String?
    public var inventory_before_status: Bool?
    public var offline_before_unload: Bool?
    /// Tape devices by drive number (`"0": "/dev/nst0"`); an empty path removes one.
    public var drive_devices: [String: String]?
    /// Seconds; 0: the default.
    public var status_timeout: UInt32?
    public var move_timeout: UInt32?
    public var inventory_timeout: UInt32?

    public init(
        mtx_path: String? = nil, inventory_before_status: Bool? = nil, offline_before_unload: Bool? = nil,
        drive_devices: [String: String]? = nil, status_timeout: UInt32? = nil, move_timeout: UInt32? = nil,
        inventory_timeout: UInt32? = nil
    ) {
        self.mtx_path = mtx_path
        self.inventory_before_status = inventory_before_status
        self.offline_before_unload = offline_before_unload
        self.drive_devices = drive_devices
        self.status_timeout = status_timeout
        self.move_timeout = move_timeout
        self.inventory_timeout = inventory_timeout
    }

    /// `settings` with the fields given replaced and the drive devices given merged in.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a drive that is not a number.
    public func applied(to settings: ChangerSettings) throws(NtmsError) -> ChangerSettings {
        var settings = settings
        if let mtx_path { settings.mtxPath = mtx_path }
        if let inventory_before_status { settings.inventoryBeforeStatus = inventory_before_status }
        if let offline_before_unload { settings.offlineBeforeUnload = offline_before_unload }
        for (drive, device) in drive_devices ?? [:] {
            guard let number = UInt32(drive) else {
                throw NtmsError(
                    .invalidParameter, "drive_devices are keyed by drive number, not \"\(TextRules.preview(drive))\"")
            }
            settings.driveDevices[number] = device.isEmpty ? nil : device
        }
        if let status_timeout { settings.statusTimeout = status_timeout }
        if let move_timeout { settings.moveTimeout = move_timeout }
        if let inventory_timeout { settings.inventoryTimeout = inventory_timeout }
        return settings
    }
}

public struct PoolBody: APIBody {
    public static let fields: Set<String> = ["path", "media_type", "from_scratch", "to_scratch", "max_allocates"]
    public var path: String
    public var media_type: String?
    public var from_scratch: Bool?
    public var to_scratch: Bool?
    public var max_allocates: UInt32?

    public init(
        path: String, media_type: String? = nil, from_scratch: Bool? = nil, to_scratch: Bool? = nil,
        max_allocates: UInt32? = nil
    ) {
        self.path = path
        self.media_type = media_type
        self.from_scratch = from_scratch
        self.to_scratch = to_scratch
        self.max_allocates = max_allocates
    }
}

public struct PoolPolicyBody: APIBody {
    public static let fields: Set<String> = ["from_scratch", "to_scratch", "max_allocates"]
    public var from_scratch: Bool?
    public var to_scratch: Bool?
    public var max_allocates: UInt32?

    public init(from_scratch: Bool? = nil, to_scratch: Bool? = nil, max_allocates: UInt32? = nil) {
        self.from_scratch = from_scratch
        self.to_scratch = to_scratch
        self.max_allocates = max_allocates
    }
}

public struct MediumBody: APIBody {
    public static let fields: Set<String> = ["media_type", "barcode", "library", "slot", "label"]
    public var media_type: String
    public var barcode: String
    /// Absent: the medium is registered offline (on the shelf).
    public var library: String?
    public var slot: UInt32?
    /// `free`, `import` or `none`.
    public var label: String?

    public init(media_type: String, barcode: String, library: String? = nil, slot: UInt32? = nil, label: String? = nil)
    {
        self.media_type = media_type
        self.barcode = barcode
        self.library = library
        self.slot = slot
        self.label = label
    }
}

public struct AllocationBody: APIBody {
    public static let fields: Set<String> = ["pool", "side", "new", "next", "error_if_unavailable", "timeout_ms"]
    public var pool: String
    public var side: String?
    public var new: Bool?
    public var next: String?
    public var error_if_unavailable: Bool?
    /// Milliseconds to wait for media (0 or absent: do not wait; 4294967295: forever).
    public var timeout_ms: UInt32?

    public init(
        pool: String, side: String? = nil, new: Bool? = nil, next: String? = nil, error_if_unavailable: Bool? = nil,
        timeout_ms: UInt32? = nil
    ) {
        self.pool = pool
        self.side = side
        self.new = new
        self.next = next
        self.error_if_unavailable = error_if_unavailable
        self.timeout_ms = timeout_ms
    }
}

/// MoveToNtmsMediaPool; with `change_type`, ChangeNtmsMediaType.
public struct MoveBody: APIBody {
    public static let fields: Set<String> = ["pool", "change_type"]
    public var pool: String
    public var change_type: Bool?

    public init(pool: String, changeType: Bool? = nil) {
        self.pool = pool
        self.change_type = changeType
    }
}

/// SwapNtmsMedia: the other logical medium.
public struct SwapBody: APIBody {
    public static let fields: Set<String> = ["with"]
    public var with: String

    public init(with: String) {
        self.with = with
    }
}

public struct OperatorRequestBody: APIBody {
    public static let fields: Set<String> = ["type", "message", "pool", "medium", "library"]
    /// NEWMEDIA, CLEANER, DEVICESERVICE, MOVEMEDIA or MESSAGE (the default).
    public var type: String?
    public var message: String
    public var pool: String?
    public var medium: String?
    public var library: String?

    public init(
        type: String? = nil, message: String, pool: String? = nil, medium: String? = nil, library: String? = nil
    ) {
        self.type = type
        self.message = message
        self.pool = pool
        self.medium = medium
        self.library = library
    }
}

public struct MountBody: APIBody {
    public static let fields: Set<String> = ["side", "drive", "timeout_ms", "priority"]
    /// A side or a logical medium.
    public var side: String
    public var drive: UInt32?
    /// How long to wait in the library's queue for a busy drive or medium: absent or 0 fails at once, 4294967295 waits forever.
    public var timeout_ms: UInt32?
    /// The work item's priority, -15 to 15 (default 0).
    public var priority: Int?

    public init(side: String, drive: UInt32? = nil, timeout_ms: UInt32? = nil, priority: Int? = nil) {
        self.side = side
        self.drive = drive
        self.timeout_ms = timeout_ms
        self.priority = priority
    }
}

/// SetNtmsRequestOrder: `first`, or `before` another work item of the same library.
public struct LibraryRequestOrderBody: APIBody {
    public static let fields: Set<String> = ["first", "before"]
    public var first: Bool?
    public var before: String?

    public init(first: Bool? = nil, before: String? = nil) {
        self.first = first
        self.before = before
    }
}

public struct DismountBody: APIBody {
    public static let fields: Set<String> = ["medium", "deferred"]
    /// A medium or a logical medium.
    public var medium: String
    public var deferred: Bool?

    public init(medium: String, deferred: Bool? = nil) {
        self.medium = medium
        self.deferred = deferred
    }
}

/// InjectNtmsMedia; `label_type`, `label_id` and `label_info` are the on-media label read from the tape, when one was.
public struct InjectBody: APIBody {
    public static let fields: Set<String> = [
        "port", "barcode", "media_type", "label", "label_type", "label_id", "label_info",
    ]
    public var port: UInt32
    public var barcode: String
    public var media_type: String
    public var label: String?
    public var label_type: String?
    public var label_id: String?
    public var label_info: String?

    public init(
        port: UInt32, barcode: String, media_type: String, label: String? = nil,
        onMediaLabel: OnMediaIdentifier? = nil
    ) {
        self.port = port
        self.barcode = barcode
        self.media_type = media_type
        self.label = label
        label_type = onMediaLabel?.labelType
        label_id = onMediaLabel?.labelID
        label_info = onMediaLabel?.info
    }

    /// The on-media label given, or nil; a type without an id (or the reverse) is a mistake.
    public func onMediaLabel() throws(NtmsError) -> OnMediaIdentifier? {
        try OnMediaIdentifier.given(type: label_type, id: label_id, info: label_info)
    }
}

/// UpdateNtmsOmidInfo, and the label read from an injected cartridge.
public struct OnMediaLabelBody: APIBody {
    public static let fields: Set<String> = ["type", "id", "info"]
    public var type: String
    public var id: String
    public var info: String?

    public init(type: String, id: String, info: String? = nil) {
        self.type = type
        self.id = id
        self.info = info
    }

    public var identifier: OnMediaIdentifier { OnMediaIdentifier(labelType: type, labelID: id, info: info ?? "") }
}

public struct EjectBody: APIBody {
    public static let fields: Set<String> = ["port"]
    public var port: UInt32?

    public init(port: UInt32? = nil) {
        self.port = port
    }
}

/// DisableNtmsObject; `service` also raises a DEVICESERVICE request with that message ("" for a default one).
public struct DisableBody: APIBody {
    public static let fields: Set<String> = ["service"]
    public var service: String?

    public init(service: String? = nil) {
        self.service = service
    }
}

/// ReserveNtmsCleanerSlot.
public struct CleanerSlotBody: APIBody {
    public static let fields: Set<String> = ["slot"]
    public var slot: UInt32

    public init(slot: UInt32) { self.slot = slot }
}

/// InjectNtmsCleaner; no `uses`: unlimited.
public struct CleanerInjectBody: APIBody {
    public static let fields: Set<String> = ["port", "barcode", "uses"]
    public var port: UInt32
    public var barcode: String
    public var uses: UInt32?

    public init(port: UInt32, barcode: String, uses: UInt32?) {
        self.port = port
        self.barcode = barcode
        self.uses = uses
    }
}

/// EjectNtmsCleaner.
public struct CleanerEjectBody: APIBody {
    public static let fields: Set<String> = ["port"]
    public var port: UInt32

    public init(port: UInt32) { self.port = port }
}

/// Mounts between cleanings.
public struct CleaningIntervalBody: APIBody {
    public static let fields: Set<String> = ["mounts"]
    public var mounts: UInt32

    public init(mounts: UInt32) { self.mounts = mounts }
}

public struct InventoryBody: APIBody {
    public static let fields: Set<String> = ["media_type"]
    public var media_type: String?

    public init(media_type: String? = nil) {
        self.media_type = media_type
    }
}

public struct AccessChangeBody: APIBody {
    public static let fields: Set<String> = ["user", "group", "everyone", "rights", "pool", "library"]
    public var user: String?
    public var group: String?
    public var everyone: Bool?
    /// `use`, `modify`, `control` or `all`.
    public var rights: [String]?
    public var pool: String?
    public var library: String?

    public init(
        user: String? = nil, group: String? = nil, everyone: Bool? = nil, rights: [String]? = nil, pool: String? = nil,
        library: String? = nil
    ) {
        self.user = user
        self.group = group
        self.everyone = everyone
        self.rights = rights
        self.pool = pool
        self.library = library
    }
}

public struct TokenBody: APIBody {
    public static let fields: Set<String> = ["principal", "groups", "expires"]
    public var principal: String
    public var groups: [String]?
    /// ISO-8601; absent never expires.
    public var expires: String?

    public init(principal: String, groups: [String]? = nil, expires: String? = nil) {
        self.principal = principal
        self.groups = groups
        self.expires = expires
    }
}

public struct EmptyBody: APIBody {
    public static let fields: Set<String> = []
}

/// Request decoding as the fuzzer drives it: `data` decoded as every body
/// the API takes, each giving a body or an NTMS error.
public enum APIRequestDecoding {
    /// The outcome per body type: nil for a decoded body, else the error a client would get.
    public static func decodeEveryBody(_ data: Data) -> [NtmsError?] {
        let types: [any APIBody.Type] = [
            MediaTypeBody.self, LibraryBody.self, ChangerBody.self, ChangerSettingsBody.self, PoolBody.self,
            PoolPolicyBody.self,
            MediumBody.self, AllocationBody.self, MoveBody.self, SwapBody.self, OperatorRequestBody.self,
            MountBody.self, LibraryRequestOrderBody.self,
            DismountBody.self,
            InjectBody.self, OnMediaLabelBody.self, EjectBody.self, DisableBody.self, CleanerSlotBody.self,
            CleanerInjectBody.self, CleanerEjectBody.self,
            CleaningIntervalBody.self, InventoryBody.self,
            AccessChangeBody.self,
            TokenBody.self,
            EmptyBody.self,
        ]
        return types.map { type in
            do {
                _ = try type.decodeStrictly(data)
                return nil
            } catch let error as NtmsError {
                return error
            } catch {
                return NtmsError(.databaseFailure, "decoding threw a non-NTMS error: \(type)")
            }
        }
    }
}
