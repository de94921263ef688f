/*
 * The block classifier's text features and model file: see bmodel.h.
 */
#include "bmodel.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errcode.h"
#include "text.h"

/* German function words; English ones come from pl_is_stopword. Sorted
 * only for reading. */
static const char *const s_de_stop[] = {
    "aber",  "als", "am",   "an",   "auch", "auf",   "aus",   "bei", "bis",  "das",   "dass",
    "dem",   "den", "der",  "des",  "die",  "doch",  "durch", "ein", "eine", "einem", "einen",
    "einer", "es",  "für",  "hat",  "ich",  "im",    "in",    "ist", "mit",  "nach",  "nicht",
    "noch",  "nur", "oder", "sich", "sie",  "sind",  "so",    "um",  "und",  "von",   "vor",
    "war",   "was", "wie",  "wir",  "wird", "wurde", "zu",    "zum", "zur",  "über",  NULL
};

static int s_stop(const char *w, size_t n)
{
    if (pl_is_stopword(w, n))
        return 1;
    for (size_t i = 0; s_de_stop[i]; i++)
        if (s_de_stop[i][0] == w[0] && !strncmp(s_de_stop[i], w, n) && !s_de_stop[i][n])
            return 1;
    return 0;
}

void pl_bfeat_hash(struct pl_bfeat *f, char kind, const char *token, size_t n, float value)
{
    if (f->no_hash || f->nh >= PL_BM_MAXH || n == 0)
        return;
    uint64_t h = pl_hash(token, n) ^ ((uint64_t)(unsigned char)kind * 0x9e3779b97f4a7c15u);
    h ^= h >> 29;
    f->hv[f->nh] = value;
    f->h[f->nh++] = (uint16_t)(h % PL_BM_BUCKETS);
}

static float s_clip(double v)
{
    return (float)(v < 0 ? 0 : v > 1 ? 1 : v);
}

/* Word statistics of s: words, stopwords, capitalised words; the first
 * two words hashed (kind 'w'), and the first S_BAG words as a bag (kind
 * 'b', each 1/sqrt of their number, so that a long paragraph's words do not
 * outweigh its other features). */
#define S_BAG 40
static void s_words(struct pl_bfeat *f, const char *s, size_t n, size_t *words, size_t *stops,
                    size_t *caps)
{
    size_t bag_at = f->nh, bag = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (unsigned char)s[i] < 0x80 && !isalnum((unsigned char)s[i]))
            i++;
        size_t j = i;
        while (j < n && ((unsigned char)s[j] >= 0x80 || isalnum((unsigned char)s[j])))
            j++;
        if (j == i)
            break;
        char low[64];
        size_t ln = 0;
        int ascii = j - i < sizeof(low);
        for (size_t k = i; ascii && k < j; k++)
            ascii = (unsigned char)s[k] < 0x80;
        if (ascii) /* most words: no need for Unicode's case tables */
            for (size_t k = i; k < j; k++)
                low[ln++] = (char)tolower((unsigned char)s[k]);
        else
            ln = pl_lower(s + i, j - i, low, sizeof(low));
        *stops += (size_t)s_stop(low, ln);
        *caps += isupper((unsigned char)s[i]) != 0;
        if (*words < 2) {
            pl_bfeat_hash(f, 'w', low, ln, 1);
            bag_at = f->nh;
        } else if (*words < S_BAG && ln > 2) {
            pl_bfeat_hash(f, 'b', low, ln, 1);
            bag++;
        }
        (*words)++;
        i = j;
    }
    for (size_t k = bag_at; k < f->nh && bag; k++)
        f->hv[k] = (float)(1.0 / sqrt((double)bag));
}

void pl_bfeat_text(struct pl_bfeat *f, const char *s, size_t full)
{
    /* The shares are read from the first 1,000 bytes: as good a sample,
     * and a long paragraph costs no more than that. */
    size_t n = full < 1000 ? full : 1000;
    while (n < full && ((unsigned char)s[n] & 0xc0) == 0x80)
        n++;
    size_t words = 0, stops = 0, caps = 0, punct = 0, digits = 0, sentences = 0, bars = 0;
    s_words(f, s, n, &words, &stops, &caps);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        punct += c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?';
        digits += isdigit(c) != 0;
        bars += c == '|' || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa9);
        sentences += (c == '.' || c == '!' || c == '?') && (i + 1 == n || s[i + 1] == ' ');
    }
    size_t e = n;
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '"' || s[e - 1] == ')'))
        e--;
    double len = n ? (double)n : 1;
    f->d[0] = 1;
    f->d[1] = (float)(log1p((double)full) / 8);
    f->d[3] = s_clip(10.0 * (double)punct / len);
    f->d[4] = words ? (float)stops / (float)words : 0;
    f->d[5] = (float)(log1p((double)words) / 6);
    f->d[6] = (float)(log1p((double)sentences) / 3);
    f->d[7] = e > 0 && (s[e - 1] == '.' || s[e - 1] == '!' || s[e - 1] == '?');
    f->d[8] = s_clip(5.0 * (double)digits / len);
    f->d[9] = words ? (float)caps / (float)words : 0;
    f->d[10] = words < 4;
    f->d[11] = bars > 0;
}

/* Which of the block's own features its neighbours pass on: length, link
 * density, stopwords, a sentence end, heading, list item, inside the
 * container, short. */
static const int s_neigh[PL_BM_NEIGH] = { 1, 2, 4, 7, 26, 27, 13, 10 };

void pl_bfeat_neighbours(struct pl_bfeat *f, const struct pl_bfeat *prev,
                         const struct pl_bfeat *next)
{
    for (int k = 0; k < PL_BM_NEIGH; k++) {
        f->d[PL_BM_OWN + k] = prev ? prev->d[s_neigh[k]] : 0;
        f->d[PL_BM_OWN + PL_BM_NEIGH + k] = next ? next->d[s_neigh[k]] : 0;
    }
}

double pl_bmodel_logit(const double *w, const struct pl_bfeat *f)
{
    double z = 0;
    for (int k = 0; k < PL_BM_DENSE; k++)
        z += w[k] * f->d[k];
    for (unsigned k = 0; k < f->nh; k++)
        z += w[PL_BM_DENSE + f->h[k]] * f->hv[k];
    return z;
}

double pl_bmodel_prob(const struct pl_bmodel *m, const struct pl_bfeat *f)
{
    return 1.0 / (1.0 + exp(-pl_bmodel_logit(m->w, f)));
}

/* --- the file ------------------------------------------------------------ */

static int s_bad(char *why, size_t n, const char *what)
{
    snprintf(why, n, "%s", what);
    return PL_EINPUT;
}

/* The next line of text[*at..len) into line (cap bytes); 0 at the end. */
static int s_line(const char *text, size_t len, size_t *at, char *line, size_t cap)
{
    if (*at >= len)
        return 0;
    const char *nl = memchr(text + *at, '\n', len - *at);
    size_t k = nl ? (size_t)(nl - (text + *at)) : len - *at;
    if (k >= cap)
        k = cap - 1;
    memcpy(line, text + *at, k);
    line[k] = '\0';
    *at += (nl ? (size_t)(nl - (text + *at)) + 1 : len - *at);
    return 1;
}

int pl_bmodel_parse(const char *text, size_t len, struct pl_bmodel **out, char *why, size_t n)
{
    *out = NULL;
    const char *tail = NULL;
    for (size_t i = len; i-- > 0;)
        if ((i == 0 || text[i - 1] == '\n') && len - i > 9 && !memcmp(text + i, "checksum ", 9)) {
            tail = text + i;
            break;
        }
    if (!tail)
        return s_bad(why, n, "no checksum line: not a block model file, or cut short");
    char want[32];
    snprintf(want, sizeof(want), "checksum %016" PRIx64, pl_hash(text, (size_t)(tail - text)));
    if (strncmp(tail, want, strlen(want)) != 0)
        return s_bad(why, n, "checksum mismatch: the file is corrupt or was edited");
    size_t body = (size_t)(tail - text), at = 0;
    char line[256];
    unsigned version = 0, dim = 0;
    if (!s_line(text, body, &at, line, sizeof(line)) ||
        sscanf(line, "pressline-blocks %u %u", &version, &dim) != 2)
        return s_bad(why, n, "no \"pressline-blocks VERSION DIM\" first line");
    if (version != PL_BM_VERSION || dim != PL_BM_DIM) {
        snprintf(why, n, "model version %u with %u weights; this build reads version %d with %d",
                 version, dim, PL_BM_VERSION, PL_BM_DIM);
        return PL_EINPUT;
    }
    struct pl_bmodel *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    if (!s_line(text, body, &at, line, sizeof(line)) ||
        sscanf(line, "threshold %lf %lf", &m->threshold, &m->add_threshold) != 2 ||
        !(m->threshold >= 0 && m->threshold <= 1) ||
        !(m->add_threshold >= 0 && m->add_threshold <= 1)) {
        free(m);
        return s_bad(why, n, "no \"threshold DROP ADD\" line with both from 0 to 1");
    }
    for (unsigned k = 0; k < dim; k++) {
        char *end;
        if (!s_line(text, body, &at, line, sizeof(line)) ||
            ((m->w[k] = strtod(line, &end)), end == line) || !isfinite(m->w[k])) {
            free(m);
            snprintf(why, n, "weight %u of %u is missing or not a number", k + 1, dim);
            return PL_EINPUT;
        }
    }
    for (unsigned k = PL_BM_DENSE; k < dim; k++)
        m->uses_hash |= m->w[k] != 0;
    if (at != body) {
        free(m);
        return s_bad(why, n, "more lines than weights before the checksum");
    }
    *out = m;
    return 0;
}

int pl_bmodel_load(const char *path, struct pl_bmodel **out, char *why, size_t n)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        char e[128] = "";
        int err = errno;
        if (strerror_r(err, e, sizeof(e)) != 0)
            e[0] = '\0';
        snprintf(why, n, "cannot open %s: %s", path, e);
        return PL_EINPUT;
    }
    struct pl_buf b = { 0 };
    char chunk[65536];
    size_t k;
    int rc = 0;
    while (rc == 0 && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (b.len + k > ((size_t)1 << 24))
            rc = s_bad(why, n, "over 16 MB: not a block model file");
        else if (pl_buf_append(&b, chunk, k) != 0)
            rc = -ENOMEM;
    if (rc == 0 && ferror(f))
        rc = s_bad(why, n, "read error");
    fclose(f);
    if (rc == 0)
        rc = pl_bmodel_parse(b.data ? b.data : "", b.len, out, why, n);
    free(b.data);
    return rc;
}

int pl_bmodel_write(FILE *f, const double *w, double threshold, double add_threshold)
{
    struct pl_buf b = { 0 };
    char line[64];
    int rc = 0;
    snprintf(line, sizeof(line), "pressline-blocks %d %d\nthreshold %.6g %.6g\n", PL_BM_VERSION,
             PL_BM_DIM, threshold, add_threshold);
    rc |= pl_buf_append(&b, line, strlen(line));
    for (int k = 0; k < PL_BM_DIM && rc == 0; k++) {
        snprintf(line, sizeof(line), "%.9g\n", w[k] == 0 ? 0.0 : w[k]);
        rc |= pl_buf_append(&b, line, strlen(line));
    }
    if (rc == 0) {
        snprintf(line, sizeof(line), "checksum %016" PRIx64 "\n", pl_hash(b.data, b.len));
        rc |= pl_buf_append(&b, line, strlen(line));
    }
    if (rc == 0 && fwrite(b.data, 1, b.len, f) != b.len)
        rc = -EIO;
    free(b.data);
    return rc ? -EIO : 0;
}
