/*
 * The article id's SHA-256: libcrypto's (what pl_content_id uses) against
 * libsodium's crypto_hash_sha256 (what it used before 2026-12-02), on
 * texts of 1, 4 and 16 KB, ROUNDS digests of each size each way (the
 * first byte changed every round). Prints microseconds per digest; the
 * last digests of the two ways are checked equal.
 *   build/bin/hash_bench [ROUNDS]   (default 20000 digests per size and way)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "benchkit.h"

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (rounds < 1 || sodium_init() < 0) {
        fprintf(stderr, "usage: hash_bench [ROUNDS >= 1]\n");
        return 2;
    }
    static const size_t sizes[] = { 1024, 4096, 16384 };
    char *text = malloc(16384);
    if (!text)
        return 1;
    for (size_t i = 0; i < 16384; i++)
        text[i] = (char)('a' + (i * 7919) % 26);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct pl_source src;
        unsigned char h[crypto_hash_sha256_BYTES];
        double t0 = pl_bench_now();
        for (long r = 0; r < rounds; r++) {
            text[0] = (char)('a' + r % 26); /* a new text every round */
            pl_content_id(text, sizes[k], &src);
        }
        double t1 = pl_bench_now();
        for (long r = 0; r < rounds; r++) {
            text[0] = (char)('a' + r % 26);
            crypto_hash_sha256(h, (const unsigned char *)text, sizes[k]);
        }
        double t2 = pl_bench_now();
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
        if (strcmp(hex, src.sha256) != 0) {
            fprintf(stderr, "hash_bench: the two digests differ at %zu bytes\n", sizes[k]);
            free(text);
            return 1;
        }
        printf("%6zu bytes: libcrypto %.2f us, libsodium %.2f us per digest (%ld each)\n", sizes[k],
               (t1 - t0) * 1e6 / (double)rounds, (t2 - t1) * 1e6 / (double)rounds, rounds);
    }
    free(text);
    return 0;
}
