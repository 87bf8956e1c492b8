extension CatalogueState {
    /// Folds ObjectDisabled and ObjectEnabled. A medium's or library's media
    /// leave or rejoin the allocation indexes with the flag.
    mutating func setEnabled(_ target: EnablementTarget, _ enabled: Bool, _ indexing: inout IndexMaintenance) {
        switch target {
        case .drive(let address):
            drives[address]?.enabled = enabled
            if enabled { drives[address]?.consecutiveFailures = 0 }
        case .medium(let id):
            changeMedium(id, &indexing) { state in
                if enabled { state.disabledMedia.remove(id) } else { state.disabledMedia.insert(id) }
            }
        case .library(let id):
            guard let library = libraries[id] else { return }
            changeMedia(mediaIDs(in: library), &indexing) { $0.libraries[id]?.enabled = enabled }
        }
    }

    /// The media in a library's slots, drives and ports, looked up element by
    /// element: as many lookups as the library has elements, not the catalogue media.
    func mediaIDs(in library: Library) -> [MediumID] {
        var found: [MediumID] = []
        for slot in 0..<library.slotCount {
            if let id = mediumAtLocation[.slot(library.id, slot + 1)] { found.append(id) }
        }
        for drive in 0..<library.driveCount {
            if let id = mediumAtLocation[.drive(library.id, drive)] { found.append(id) }
        }
        for port in 0..<library.portCount {
            if let id = mediumAtLocation[.port(library.id, port + 1)] { found.append(id) }
        }
        return found
    }
}
