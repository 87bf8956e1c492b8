import CatalogueDomain
import CatalogueEngine
import CatalogueJSON

// The text form of the JSON model's objects: one line each. Every field that
// came from the log is escaped by `Output.terminalText`, line by line.

extension LocationJSON {
    var text: String {
        guard let number else { return kind }
        return "\(library_name ?? library ?? "?") \(kind) \(number)"
    }
}

extension LibraryJSON {
    var text: String {
        "\(id)  \(name)  \(type)  slots \(slots)  drives \(drives)  ports \(ports)"
            + (changer.map { "  changer \($0)" + (device.map { " \($0)" } ?? "") } ?? "")
            + (needs_inventory ? "  NEEDS INVENTORY" : "") + (enabled ? "" : "  DISABLED")
            + (door_open ? "  DOOR OPEN" : "")
            + (cleaner_slot.map { "  cleaner slot \($0)" } ?? "")
            + (cleaner.map { "  cleaner \($0.barcode) (\($0.uses_left.map { "\($0) uses left" } ?? "unlimited"))" }
                ?? "")
            + (cleaning_interval > 0 ? "  clean every \(cleaning_interval) mounts" : "")
            + (changer_settings.map { "\n  " + $0.text } ?? "")
    }
}

extension ChangerSettingsJSON {
    /// `mtx /usr/sbin/mtx  inventory before status  offline before unload (0 /dev/nst0)  timeouts: status 360 s, …`
    var text: String {
        var parts = ["mtx " + (mtx_path ?? "from the PATH or /usr/sbin")]
        if inventory_before_status { parts.append("inventory before status") }
        if offline_before_unload {
            parts.append(
                "offline before unload ("
                    + drive_devices.map { "drive \($0.drive) \($0.device)" }.joined(separator: ", ") + ")")
        }
        parts.append(
            "timeouts: status \(status_timeout_seconds) s, move \(move_timeout_seconds) s, "
                + "inventory \(inventory_timeout_seconds) s")
        return parts.joined(separator: "  ")
    }
}

extension PoolJSON {
    var text: String {
        var flags: [String] = []
        if from_scratch { flags.append("from-scratch") }
        if to_scratch { flags.append("to-scratch") }
        if max_allocates > 0 { flags.append("max-allocates \(max_allocates)") }
        return "\(id)  \(path)  \(type)  \(media_type_name ?? "folder")  media \(media)"
            + (flags.isEmpty ? "" : "  " + flags.joined(separator: " "))
    }
}

extension SideJSON {
    var text: String {
        "\(id)  \(barcode):\(side_letter)  \(state)  allocations \(allocate_count)" + (lmid.map { "  \($0)" } ?? "")
            + (on_media_label.map { "  label \($0.type) \($0.id)" + ($0.info.isEmpty ? "" : " (\($0.info))") } ?? "")
    }
}

extension MediumJSON {
    var text: String {
        "\(id)  \(barcode)  \(media_type_name)  \(pool)  \(location.text)"
            + (physical_state == "IDLE" ? "" : " (\(physical_state))") + "  "
            + sides.map { "\($0.side_letter)=\($0.state)" }.joined(separator: " ") + (enabled ? "" : "  DISABLED")
    }
}

extension LogicalMediumJSON {
    var text: String { "\(lmid)  \(barcode):\(side_letter)  \(pool)" + (exclusive ? "  exclusive" : "") }
}

extension AllocationJSON {
    var text: String { "\(lmid)  \(barcode):\(side_letter)  \(pool)  (from \(allocated_from))" }
}

extension DriveJSON {
    var text: String {
        let holds = barcode.map { code in side_letter.map { "\(code):\($0)" } ?? code } ?? ""
        return "drive \(drive)  \(state)  \(holds)  mounts \(mounts)" + (enabled ? "" : "  DISABLED")
            + (consecutive_failures > 0 ? "  failures in a row \(consecutive_failures)" : "")
            + (needs_cleaning ? "  NEEDS CLEANING" : "")
    }
}

extension SlotJSON {
    var text: String {
        "\(element) \(number)  " + (barcode.map { "\($0)  \(physical_state ?? "")" } ?? "empty")
    }
}

extension RequestJSON {
    // Text from the log is escaped field by field, so none of it can forge a line.
    var text: String {
        "\(id)  \(type)  \(state)  \(submitted)  \(TextRules.escaped(application))/\(TextRules.escaped(user))  "
            + TextRules.escaped(message) + (close_reason.map { "  (\($0))" } ?? "")
    }
}

extension ExportJSON {
    var text: String {
        let rows = tables.map { "\($0.name) \($0.rows)" }.joined(separator: ", ")
        return
            "exported the catalogue as of event \(sequence) to \(TextRules.escaped(destination)) (\(format)): \(rows)"
    }
}

/// A logged event in both forms: its JSON object and its text line.
struct EventView {
    let json: EventJSON
    let text: String

    /// Made from the JSON model, so the same event reads alike from the store files and from a server.
    init(_ json: EventJSON) {
        self.json = json
        // Every field came from the log: escaped, so no stored text can drive the terminal or forge a line.
        let details = json.fields.map { ($0.key, Self.text($0.value)) }.filter { !$0.1.isEmpty }
            .sorted { $0.0 < $1.0 }.map { "\($0.0)=\(TextRules.escaped($0.1))" }
        text =
            "\(json.sequence)  \(json.time)  \(TextRules.escaped(json.application))/\(TextRules.escaped(json.user))  "
            + "\(json.event)  " + details.joined(separator: " ")
    }

    /// A field's value as one line: lists comma-separated, a location as
    /// `library-2 slot 3`, a record in braces, nothing for an absent value.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): "\(flag)"
        case .integer(let number): "\(number)"
        case .unsigned(let number): "\(number)"
        case .double(let number): "\(number)"
        case .string(let string): string
        case .array(let values): values.map(text).joined(separator: ",")
        case .object(let fields):
            if case .string(let kind)? = fields["kind"], fields.keys.contains("number") {
                if case .string(let library)? = fields["library"], case .integer(let number)? = fields["number"] {
                    "\(library) \(kind) \(number)"
                } else {
                    kind
                }
            } else {
                "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))" }.joined(separator: " ")
                    + "}"
            }
        }
    }
}

extension InventoryJSON {
    /// The differences, one per line, as an operator reads them.
    var text: String {
        var lines = ["found where expected: \(confirmed)"]
        lines += moved.map { "moved         \($0.barcode)  \($0.from.text) -> \($0.to.text)" }
        lines += missing.map { "missing       \($0.barcode)  (now offline)" }
        lines += registered.map { "new           \($0.barcode)  \($0.medium)" }
        lines += unidentified.map {
            "unidentified  \($0.location.text)  \($0.barcode ?? "(no label)"): \($0.reason)"
        }
        lines += warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }
}
