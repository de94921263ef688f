/*
 * The block classifier's text features and model file: see bmodel.h.
 */
#include "bmodel.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
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

/* The trees' logit: a fixed number of comparisons a tree, no branch on
 * the model's shape, so a few hundred trees cost less than the block's
 * features did. */
static double s_trees_logit(const struct pl_bmodel *m, const struct pl_bfeat *f)
{
    unsigned inner = (1u << m->depth) - 1;
    double z = m->base;
    for (unsigned t = 0; t < m->ntrees; t++) {
        const uint8_t *fe = m->feat + (size_t)t * inner;
        const float *cut = m->cut + (size_t)t * inner;
        unsigned k = 0;
        for (unsigned d = 0; d < m->depth; d++)
            k = 2 * k + 1 + (f->d[fe[k]] >= cut[k]);
        z += m->leaf[(size_t)t * (inner + 1) + (k - inner)];
    }
    return z;
}

double pl_bmodel_prob(const struct pl_bmodel *m, const struct pl_bfeat *f)
{
    double z = m->ntrees ? s_trees_logit(m, f) : pl_bmodel_logit(m->w, f);
    return 1.0 / (1.0 + exp(-z));
}

/* --- the stacked model's context features -------------------------------- */

static int s_by_key(const void *a, const void *b)
{
    uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* The length-weighted mean of p over the blocks a .. b-1 but i, from the
 * prefix sums lp (len * p) and l (len); -1 when they hold no text. */
static float s_window(const double *lp, const double *l, size_t a, size_t b, size_t i)
{
    double w = l[b] - l[a] - (l[i + 1] - l[i]), v = lp[b] - lp[a] - (lp[i + 1] - lp[i]);
    return w > 0 ? (float)(v / w) : -1;
}

/* The mean of p over the other blocks of each block's shape, by
 * length, into out (-1: none); O(n log n). */
static int s_shape_means(size_t n, const double *p, const size_t *len, const uint64_t *key,
                         float *out)
{
    uint64_t(*k)[2] = malloc((n ? n : 1) * sizeof(*k));
    if (!k)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        k[i][0] = key[i];
        k[i][1] = i;
    }
    qsort(k, n, sizeof(*k), s_by_key);
    for (size_t a = 0, b; a < n; a = b) {
        double lp = 0, l = 0;
        for (b = a; b < n && k[b][0] == k[a][0]; b++) {
            lp += (double)len[k[b][1]] * p[k[b][1]];
            l += (double)len[k[b][1]];
        }
        for (size_t j = a; j < b; j++) {
            size_t i = k[j][1];
            double wl = l - (double)len[i], wlp = lp - (double)len[i] * p[i];
            out[i] = b - a > 1 && wl > 0 ? (float)(wlp / wl) : -1;
        }
    }
    free(k);
    return 0;
}

/* Block i's features, stride bytes apart from f on. */
static struct pl_bfeat *s_at(struct pl_bfeat *f, size_t stride, size_t i)
{
    return (struct pl_bfeat *)(void *)((char *)f + i * stride);
}

int pl_bm_stack(size_t n, const double *p, const size_t *len, const int *inside,
                const uint64_t *key, struct pl_bfeat *f, size_t stride)
{
    double *lp = malloc(2 * (n + 1) * sizeof(*lp));
    float *shape = malloc((n ? n : 1) * sizeof(*shape));
    if (!lp || !shape || s_shape_means(n, p, len, key, shape) != 0) {
        free(lp);
        free(shape);
        return -ENOMEM;
    }
    double *l = lp + n + 1, total = 0, good = 0, in_lp = 0, in_l = 0, out_lp = 0, out_l = 0;
    lp[0] = l[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double w = (double)len[i];
        lp[i + 1] = lp[i] + w * p[i];
        l[i + 1] = l[i] + w;
        total += w;
        good += p[i] >= 0.5 ? w : 0;
        in_lp += inside[i] ? w * p[i] : 0;
        in_l += inside[i] ? w : 0;
        out_lp += inside[i] ? 0 : w * p[i];
        out_l += inside[i] ? 0 : w;
    }
    /* The nearest other block the first model keeps, before and after. */
    size_t last = SIZE_MAX, good_before = 0;
    for (size_t i = 0; i < n; i++) {
        float *x = s_at(f, stride, i)->d + PL_BM_DENSE;
        x[0] = (float)p[i];
        x[1] = i ? (float)p[i - 1] : -1;
        x[2] = i + 1 < n ? (float)p[i + 1] : -1;
        x[3] = s_window(lp, l, i >= 3 ? i - 3 : 0, i + 4 < n ? i + 4 : n, i);
        x[4] = s_window(lp, l, i >= 10 ? i - 10 : 0, i + 11 < n ? i + 11 : n, i);
        double mx = -1;
        for (size_t j = i >= 3 ? i - 3 : 0; j < n && j <= i + 3; j++)
            if (j != i && p[j] > mx)
                mx = p[j];
        x[5] = (float)mx;
        x[6] = shape[i];
        x[7] = in_l > 0 ? (float)(in_lp / in_l) : -1;
        x[8] = total > 0 ? (float)(good / total) : 0;
        x[9] = good > 0 ? (float)((double)good_before / good) : -1;
        x[10] = last == SIZE_MAX ? 1 : (float)(log1p((double)(i - last)) / 6);
        x[11] = out_l > 0 ? (float)(out_lp / out_l) : -1;
        if (p[i] >= 0.5) {
            last = i;
            good_before += len[i];
        }
    }
    /* The distance counts the nearest kept block on either side. */
    last = SIZE_MAX;
    for (size_t i = n; i-- > 0;) {
        float *x = s_at(f, stride, i)->d + PL_BM_DENSE;
        if (last != SIZE_MAX) {
            float d = (float)(log1p((double)(last - i)) / 6);
            if (d < x[10])
                x[10] = d;
        }
        if (p[i] >= 0.5)
            last = i;
    }
    free(lp);
    free(shape);
    return 0;
}

int pl_bmodel_probs(const struct pl_bmodel *m, size_t n, struct pl_bfeat *f, size_t stride,
                    const size_t *len, const int *inside, const uint64_t *key, double *p)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pl_bmodel_prob(m, s_at(f, stride, i));
    if (pl_bm_stack(n, p, len, inside, key, f, stride) != 0)
        return -ENOMEM;
    for (size_t i = 0; m->stack && i < n; i++)
        p[i] = pl_bmodel_prob(m->stack, s_at(f, stride, i));
    return 0;
}

struct pl_bmodel *pl_bmodel_new_trees(unsigned ntrees, unsigned depth)
{
    if (ntrees < 1 || ntrees > PL_BM_MAXTREES || depth < 1 || depth > PL_BM_MAXDEPTH)
        return NULL;
    size_t inner = (size_t)ntrees * ((1u << depth) - 1), leaves = (size_t)ntrees << depth;
    /* One block: the struct, the cuts and leaves (floats), the features. */
    size_t at_cut = (sizeof(struct pl_bmodel) + sizeof(float) - 1) / sizeof(float) * sizeof(float);
    size_t at_feat = at_cut + (inner + leaves) * sizeof(float);
    struct pl_bmodel *m = calloc(1, at_feat + inner);
    if (!m)
        return NULL;
    m->ntrees = ntrees;
    m->depth = depth;
    m->cut = (const float *)((char *)m + at_cut);
    m->leaf = m->cut + inner;
    m->feat = (const uint8_t *)m + at_feat;
    return m;
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

/* The next line as a finite number into *v; 0 or PL_EINPUT. */
static int s_number(const char *text, size_t body, size_t *at, double *v)
{
    char line[256], *end;
    if (!s_line(text, body, at, line, sizeof(line)))
        return PL_EINPUT;
    *v = strtod(line, &end);
    return end == line || !isfinite(*v) ? PL_EINPUT : 0;
}

/* Version 1: PL_BM_DIM weights. */
static int s_parse_weights(const char *text, size_t body, size_t *at, struct pl_bmodel **out,
                           char *why, size_t n)
{
    struct pl_bmodel *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    for (unsigned k = 0; k < PL_BM_DIM; k++)
        if (s_number(text, body, at, &m->w[k]) != 0) {
            free(m);
            snprintf(why, n, "weight %u of %d is missing or not a number", k + 1, PL_BM_DIM);
            return PL_EINPUT;
        }
    for (unsigned k = PL_BM_DENSE; k < PL_BM_DIM; k++)
        m->uses_hash |= m->w[k] != 0;
    *out = m;
    return 0;
}

/* Version 2: the "trees" line, the splits and the leaves, over dim
 * features. */
static int s_parse_trees(const char *text, size_t body, size_t *at, unsigned dim,
                         struct pl_bmodel **out, char *why, size_t n)
{
    char line[256];
    unsigned nt = 0, depth = 0;
    double base = 0;
    if (!s_line(text, body, at, line, sizeof(line)) ||
        sscanf(line, "trees %u %u %lf", &nt, &depth, &base) != 3 || !isfinite(base) || nt < 1 ||
        nt > PL_BM_MAXTREES || depth < 1 || depth > PL_BM_MAXDEPTH) {
        snprintf(why, n, "no \"trees NUMBER DEPTH BASE\" line with 1 to %d trees of depth 1 to %d",
                 PL_BM_MAXTREES, PL_BM_MAXDEPTH);
        return PL_EINPUT;
    }
    struct pl_bmodel *m = pl_bmodel_new_trees(nt, depth);
    if (!m)
        return -ENOMEM;
    m->base = base;
    size_t inner = (size_t)nt * ((1u << depth) - 1), leaves = (size_t)nt << depth;
    uint8_t *feat = (uint8_t *)m->feat;
    float *cut = (float *)m->cut, *leaf = (float *)m->leaf;
    for (size_t k = 0; k < inner; k++) {
        unsigned fe = 0;
        double c = 0;
        if (!s_line(text, body, at, line, sizeof(line)) || sscanf(line, "%u %lf", &fe, &c) != 2 ||
            fe >= dim || !(fabs(c) <= 3.5e38)) {
            free(m);
            snprintf(why, n, "split %zu of %zu is missing, or its feature or cut is out of range",
                     k + 1, inner);
            return PL_EINPUT;
        }
        feat[k] = (uint8_t)fe;
        /* A split that never sends a block right has FLT_MAX for its cut,
         * which %.9g writes a little above FLT_MAX. */
        cut[k] = c > FLT_MAX ? FLT_MAX : c < -FLT_MAX ? -FLT_MAX : (float)c;
    }
    for (size_t k = 0; k < leaves; k++) {
        double v = 0;
        if (s_number(text, body, at, &v) != 0 || !(fabs(v) <= FLT_MAX)) {
            free(m);
            snprintf(why, n, "leaf %zu of %zu is missing or not a number", k + 1, leaves);
            return PL_EINPUT;
        }
        leaf[k] = (float)v;
    }
    *out = m;
    return 0;
}

/* Version 4's middle part: a line "stack", then the stacked model's
 * trees over PL_BM_ALL features, into m->stack. */
static int s_parse_stack(const char *text, size_t body, size_t *at, struct pl_bmodel *m, char *why,
                         size_t n)
{
    char line[256];
    if (!s_line(text, body, at, line, sizeof(line)) || strcmp(line, "stack") != 0)
        return s_bad(why, n, "no \"stack\" line");
    return s_parse_trees(text, body, at, PL_BM_ALL, &m->stack, why, n);
}

/* Version 3's last part: a line "dumps DROP ADD", then the dump model's
 * trees as s_parse_trees reads them, into m->dumps. */
static int s_parse_dumps(const char *text, size_t body, size_t *at, struct pl_bmodel *m, char *why,
                         size_t n)
{
    char line[256];
    double thr = 0, add = 0;
    if (!s_line(text, body, at, line, sizeof(line)) ||
        sscanf(line, "dumps %lf %lf", &thr, &add) != 2 || !(thr >= 0 && thr <= 1) ||
        !(add >= 0 && add <= 1))
        return s_bad(why, n, "no \"dumps DROP ADD\" line with both from 0 to 1");
    int rc = s_parse_trees(text, body, at, PL_BM_DENSE, &m->dumps, why, n);
    if (rc == 0) {
        m->dumps->threshold = thr;
        m->dumps->add_threshold = add;
    }
    /* Version 4: the dump model's own stacked model may follow. */
    size_t peek = *at;
    if (rc == 0 && m->stack && s_line(text, body, &peek, line, sizeof(line)) &&
        !strcmp(line, "stack"))
        rc = s_parse_stack(text, body, at, m->dumps, why, n);
    return rc;
}

void pl_bmodel_free(struct pl_bmodel *m)
{
    if (m) {
        free(m->stack);
        pl_bmodel_free(m->dumps);
    }
    free(m);
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
    int trees = (version == PL_BM_VERSION || version == PL_BM_VERSION_DUMPS ||
                 version == PL_BM_VERSION_TREES) &&
                dim == PL_BM_DENSE;
    if (!trees && !(version == PL_BM_VERSION_LR && dim == PL_BM_DIM)) {
        snprintf(why, n,
                 "model version %u with %u features; this build reads versions %d (trees for "
                 "pages, stacked trees and dumps), %d (trees for pages and dumps) and %d (trees "
                 "for pages) with %d and version %d (logistic regression) with %d",
                 version, dim, PL_BM_VERSION, PL_BM_VERSION_DUMPS, PL_BM_VERSION_TREES, PL_BM_DENSE,
                 PL_BM_VERSION_LR, PL_BM_DIM);
        return PL_EINPUT;
    }
    double thr = 0, add = 0;
    if (!s_line(text, body, &at, line, sizeof(line)) ||
        sscanf(line, "threshold %lf %lf", &thr, &add) != 2 || !(thr >= 0 && thr <= 1) ||
        !(add >= 0 && add <= 1))
        return s_bad(why, n, "no \"threshold DROP ADD\" line with both from 0 to 1");
    struct pl_bmodel *m = NULL;
    int rc = trees ? s_parse_trees(text, body, &at, PL_BM_DENSE, &m, why, n)
                   : s_parse_weights(text, body, &at, &m, why, n);
    if (rc == 0 && version == PL_BM_VERSION)
        rc = s_parse_stack(text, body, &at, m, why, n);
    if (rc == 0 && (version == PL_BM_VERSION || version == PL_BM_VERSION_DUMPS))
        rc = s_parse_dumps(text, body, &at, m, why, n);
    if (rc == 0 && at != body)
        rc = s_bad(why, n, "more lines than the model's before the checksum");
    if (rc != 0) {
        pl_bmodel_free(m);
        return rc;
    }
    m->threshold = thr;
    m->add_threshold = add;
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

/* Ends a model file's text in b with its checksum line and writes it to f;
 * rc is what building the text returned so far. Frees b. Returns 0 or
 * -EIO. */
static int s_finish_file(FILE *f, struct pl_buf *b, int rc)
{
    if (rc == 0) {
        char line[64];
        snprintf(line, sizeof(line), "checksum %016" PRIx64 "\n", pl_hash(b->data, b->len));
        rc |= pl_buf_append(b, line, strlen(line));
    }
    if (rc == 0 && fwrite(b->data, 1, b->len, f) != b->len)
        rc = -EIO;
    free(b->data);
    return rc ? -EIO : 0;
}

int pl_bmodel_write(FILE *f, const double *w, double threshold, double add_threshold)
{
    struct pl_buf b = { 0 };
    char line[64];
    int rc = 0;
    snprintf(line, sizeof(line), "pressline-blocks %d %d\nthreshold %.6g %.6g\n", PL_BM_VERSION_LR,
             PL_BM_DIM, threshold, add_threshold);
    rc |= pl_buf_append(&b, line, strlen(line));
    for (int k = 0; k < PL_BM_DIM && rc == 0; k++) {
        snprintf(line, sizeof(line), "%.9g\n", w[k] == 0 ? 0.0 : w[k]);
        rc |= pl_buf_append(&b, line, strlen(line));
    }
    return s_finish_file(f, &b, rc);
}

/* Appends the "trees" line, the splits and the leaves of m to b. */
static int s_put_trees(struct pl_buf *b, const struct pl_bmodel *m)
{
    char line[96];
    snprintf(line, sizeof(line), "trees %u %u %.9g\n", m->ntrees, m->depth, m->base);
    int rc = pl_buf_append(b, line, strlen(line));
    size_t inner = (size_t)m->ntrees * ((1u << m->depth) - 1),
           leaves = (size_t)m->ntrees << m->depth;
    /* %.9g gives a float back exactly: the cuts compare the same after a
     * round trip through the file. */
    for (size_t k = 0; k < inner && rc == 0; k++) {
        snprintf(line, sizeof(line), "%u %.9g\n", m->feat[k], (double)m->cut[k]);
        rc |= pl_buf_append(b, line, strlen(line));
    }
    for (size_t k = 0; k < leaves && rc == 0; k++) {
        snprintf(line, sizeof(line), "%.9g\n", m->leaf[k] == 0 ? 0.0 : (double)m->leaf[k]);
        rc |= pl_buf_append(b, line, strlen(line));
    }
    return rc;
}

int pl_bmodel_write_trees(FILE *f, const struct pl_bmodel *m)
{
    struct pl_buf b = { 0 };
    char line[96];
    if (m->stack && !m->dumps)
        return -EIO; /* version 4 has both */
    snprintf(line, sizeof(line), "pressline-blocks %d %d\nthreshold %.6g %.6g\n",
             m->stack   ? PL_BM_VERSION
             : m->dumps ? PL_BM_VERSION_DUMPS
                        : PL_BM_VERSION_TREES,
             PL_BM_DENSE, m->threshold, m->add_threshold);
    int rc = pl_buf_append(&b, line, strlen(line));
    rc |= s_put_trees(&b, m);
    if (m->stack) {
        rc |= pl_buf_append(&b, "stack\n", 6);
        rc |= s_put_trees(&b, m->stack);
    }
    if (m->dumps) {
        snprintf(line, sizeof(line), "dumps %.6g %.6g\n", m->dumps->threshold,
                 m->dumps->add_threshold);
        rc |= pl_buf_append(&b, line, strlen(line));
        rc |= s_put_trees(&b, m->dumps);
        if (m->dumps->stack) {
            if (!m->stack)
                rc = -EIO; /* only version 4 has one */
            rc |= pl_buf_append(&b, "stack\n", 6);
            rc |= s_put_trees(&b, m->dumps->stack);
        }
    }
    return s_finish_file(f, &b, rc);
}
