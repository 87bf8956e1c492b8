#ifndef MEDIACATALOGUE_SHA256_PAIR_H
#define MEDIACATALOGUE_SHA256_PAIR_H

#include <stddef.h>

/// SHA-256 of `first` followed by `second`, written to `digest` (32 bytes).
/// The hashing state lives on the stack: no allocation per call.
void mc_sha256_pair(const void *first, size_t first_count, const void *second, size_t second_count,
                    unsigned char *digest);

#endif
