/* MinHash over word shingles; see sketch.h. */
#include "sketch.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* One multiply-xorshift per hash function: h_i(x) = pl_mix64(x ^ seed_i),
 * with seeds drawn once from a fixed generator, so sketches stored by one
 * build compare with those of the next. */
static uint64_t s_seeds[PL_SKETCH_K];
static pthread_once_t s_seeds_once = PTHREAD_ONCE_INIT;

static void s_make_seeds(void)
{
    for (int i = 0; i < PL_SKETCH_K; i++)
        s_seeds[i] = pl_mix64(0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1));
}

static bool s_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The hash of one line's words, appended to *w (cap grows). */
struct s_words {
    uint64_t *v;
    size_t n, cap;
};

static int s_push(struct s_words *w, uint64_t h)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        uint64_t *v = realloc(w->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = h;
    return 0;
}

static void s_add_shingle(struct pl_sketch *sk, uint64_t h)
{
    for (int i = 0; i < PL_SKETCH_K; i++) {
        uint64_t v = pl_mix64(h ^ s_seeds[i]);
        if (v < sk->min[i])
            sk->min[i] = v;
    }
    sk->shingles++;
}

/* Shingles one line's words when the line is long enough. */
static void s_line(struct pl_sketch *sk, const struct s_words *w)
{
    if (w->n < PL_SKETCH_MIN_LINE_WORDS)
        return;
    for (size_t i = 0; i + 2 < w->n; i++) {
        uint64_t h = pl_mix64(w->v[i] * 31 + pl_mix64(w->v[i + 1] * 17 + w->v[i + 2]));
        s_add_shingle(sk, h);
    }
}

int pl_sketch_text(const char *text, size_t len, struct pl_sketch *sk)
{
    struct s_words w = { 0 };
    char low[64];
    pthread_once(&s_seeds_once, s_make_seeds);
    for (int i = 0; i < PL_SKETCH_K; i++)
        sk->min[i] = UINT64_MAX;
    sk->shingles = 0;
    size_t i = 0;
    while (i < len) {
        if (text[i] == '\n') {
            s_line(sk, &w);
            w.n = 0;
            i++;
            continue;
        }
        if (!s_word_byte((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && s_word_byte((unsigned char)text[j]))
            j++;
        size_t n = pl_lower(text + i, j - i, low, sizeof(low));
        if (s_push(&w, pl_hash(low, n)) != 0) {
            free(w.v);
            return -ENOMEM;
        }
        i = j;
    }
    s_line(sk, &w);
    free(w.v);
    return 0;
}

double pl_sketch_similarity(const struct pl_sketch *a, const struct pl_sketch *b)
{
    if (!a->shingles || !b->shingles)
        return 0.0;
    int same = 0;
    for (int i = 0; i < PL_SKETCH_K; i++)
        same += a->min[i] == b->min[i];
    return (double)same / PL_SKETCH_K;
}

int64_t pl_sketch_band_key(const struct pl_sketch *sk, int b)
{
    uint64_t h = pl_mix64(0x51ed27ULL + (uint64_t)b);
    for (int r = 0; r < PL_SKETCH_ROWS; r++)
        h = pl_mix64(h ^ sk->min[b * PL_SKETCH_ROWS + r]);
    return (int64_t)(h >> 1);
}
