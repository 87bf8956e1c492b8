// OpenSSL 3 marks the low-level SHA-256 calls deprecated in favour of EVP, but
// EVP allocates a context and dispatches through a provider on every digest;
// the chain hashes every record, so the stack context is worth keeping.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#include "sha256_pair.h"

void mc_sha256_pair(const void *first, size_t first_count, const void *second, size_t second_count,
                    unsigned char *digest) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, first, first_count);
    SHA256_Update(&context, second, second_count);
    SHA256_Final(digest, &context);
}
