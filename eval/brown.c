/*
 * Brown clusters by exact merges in a window: see brown.h.
 *
 * With counts n(a, b) of cluster bigrams, n(a) of cluster tokens and N
 * tokens, q(a, b) = p(a, b) log(p(a, b) / (p(a) p(b))) sums to the mutual
 * information. Merging s and t into u loses
 *   L(s, t) = sum over other k of d_k(s, t) + q(s,s) + q(s,t) + q(t,s) + q(t,t) - q(u,u),
 *   d_k(s, t) = q(k,s) + q(s,k) + q(k,t) + q(t,k) - q(k,u) - q(u,k).
 * L of every pair is kept; when a cluster k comes or goes, each other
 * pair's L changes by its d_k alone, so a step costs O(c^2), not O(c^3).
 */
#include "brown.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Word bigrams, both ways: right[roff[w] .. roff[w+1]) are the words after
 * w with their counts, left[...] those before it. */
struct bigrams {
    uint32_t *roff, *loff;
    uint32_t *rw, *lw;
    double *rc, *lc;
};

/* The window: S = c + 1 slots of clusters. */
struct window {
    uint32_t S;
    double inv_n;
    double *n2, *q, *L; /* [S][S]: bigram counts, q, merge losses (L[i][j], i < j) */
    double *cnt;        /* tokens of each slot's words */
    uint32_t *node;     /* the tree node each slot stands for */
    uint32_t *size;     /* words in the slot */
    uint8_t *active;
    uint32_t *head, *next; /* each slot's words: a list through next[word] */
    int32_t *slot_of;      /* each word's slot, -1 before it enters */
    uint32_t *parent;      /* tree: parent of each node (UINT32_MAX at the root) */
    uint8_t *side;         /* 0 left child, 1 right */
    /* When the last word has entered: each word's cluster as a tree node.
     * Paths are those of these c clusters in the tree the last merges
     * build (Liang's output); the merges inside a cluster are not. */
    uint32_t *cluster_of;
};

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Counts the stream's bigrams into b (sorted by first then second word;
 * the left lists by counting sort). Returns 0, -EINVAL or -ENOMEM. */
static int s_bigrams(const uint32_t *ids, size_t n, uint32_t V, struct bigrams *b)
{
    size_t np = 0;
    uint64_t *pairs = malloc((n ? n : 1) * sizeof(*pairs));
    if (!pairs)
        return -ENOMEM;
    for (size_t i = 0; i + 1 < n; i++) {
        if ((ids[i] >= V && ids[i] != PL_BROWN_NONE) ||
            (ids[i + 1] >= V && ids[i + 1] != PL_BROWN_NONE)) {
            free(pairs);
            return -EINVAL;
        }
        if (ids[i] != PL_BROWN_NONE && ids[i + 1] != PL_BROWN_NONE)
            pairs[np++] = (uint64_t)ids[i] << 32 | ids[i + 1];
    }
    qsort(pairs, np, sizeof(*pairs), s_cmp_u64);
    size_t nu = 0;
    for (size_t i = 0; i < np; i++)
        nu += i == 0 || pairs[i] != pairs[i - 1];
    b->roff = calloc((size_t)V + 1, sizeof(uint32_t));
    b->loff = calloc((size_t)V + 2, sizeof(uint32_t));
    b->rw = malloc((nu ? nu : 1) * sizeof(uint32_t));
    b->lw = malloc((nu ? nu : 1) * sizeof(uint32_t));
    b->rc = malloc((nu ? nu : 1) * sizeof(double));
    b->lc = malloc((nu ? nu : 1) * sizeof(double));
    if (!b->roff || !b->loff || !b->rw || !b->lw || !b->rc || !b->lc) {
        free(pairs);
        return -ENOMEM;
    }
    size_t u = 0;
    for (size_t i = 0; i < np; i++) {
        if (i == 0 || pairs[i] != pairs[i - 1]) {
            b->rw[u] = (uint32_t)pairs[i];
            b->rc[u] = 0;
            b->roff[(pairs[i] >> 32) + 1]++;
            b->loff[(uint32_t)pairs[i] + 2]++;
            u++;
        }
        b->rc[u - 1] += 1;
    }
    for (uint32_t w = 0; w < V; w++) {
        b->roff[w + 1] += b->roff[w];
        b->loff[w + 2] += b->loff[w + 1];
    }
    /* Left lists: walk the pairs in order, so each list is sorted too. */
    for (uint32_t a = 0; a < V; a++)
        for (uint32_t k = b->roff[a]; k < b->roff[a + 1]; k++) {
            uint32_t at = b->loff[b->rw[k] + 1]++;
            b->lw[at] = a;
            b->lc[at] = b->rc[k];
        }
    free(pairs);
    return 0;
}

static void s_bigrams_free(struct bigrams *b)
{
    free(b->roff);
    free(b->loff);
    free(b->rw);
    free(b->lw);
    free(b->rc);
    free(b->lc);
}

static inline double s_q(double nab, double na, double nb, double inv_n)
{
    /* p(a,b) log(p(a,b) / (p(a) p(b))) with p = count / N */
    return nab > 0 ? nab * inv_n * log(nab / (na * nb * inv_n)) : 0;
}

#define N2(w, a, b) ((w)->n2[(size_t)(a) * (w)->S + (b)])
#define Q(w, a, b) ((w)->q[(size_t)(a) * (w)->S + (b)])
#define LOSS(w, a, b) ((w)->L[(size_t)(a) * (w)->S + (b)])

/* d_k(i, j): what cluster k adds to the loss of merging i and j. */
static double s_d(const struct window *w, uint32_t k, uint32_t i, uint32_t j)
{
    double nu = w->cnt[i] + w->cnt[j];
    return Q(w, k, i) + Q(w, i, k) + Q(w, k, j) + Q(w, j, k) -
           s_q(N2(w, k, i) + N2(w, k, j), w->cnt[k], nu, w->inv_n) -
           s_q(N2(w, i, k) + N2(w, j, k), nu, w->cnt[k], w->inv_n);
}

/* L(i, j) from scratch. */
static double s_loss(const struct window *w, uint32_t i, uint32_t j)
{
    double l = 0;
    for (uint32_t k = 0; k < w->S; k++)
        if (w->active[k] && k != i && k != j)
            l += s_d(w, k, i, j);
    double nu = w->cnt[i] + w->cnt[j];
    double nuu = N2(w, i, i) + N2(w, i, j) + N2(w, j, i) + N2(w, j, j);
    return l + Q(w, i, i) + Q(w, i, j) + Q(w, j, i) + Q(w, j, j) - s_q(nuu, nu, nu, w->inv_n);
}

/* q of slot s with every active slot, both ways. */
static void s_q_row(struct window *w, uint32_t s)
{
    for (uint32_t k = 0; k < w->S; k++) {
        if (!w->active[k])
            continue;
        Q(w, s, k) = s_q(N2(w, s, k), w->cnt[s], w->cnt[k], w->inv_n);
        Q(w, k, s) = s_q(N2(w, k, s), w->cnt[k], w->cnt[s], w->inv_n);
    }
}

/* Adds (sign 1) or takes away (-1) cluster k's part of every pair's loss
 * that involves neither k nor skip. */
static void s_update_pairs(struct window *w, uint32_t k, uint32_t skip, double sign)
{
    for (uint32_t i = 0; i < w->S; i++) {
        if (!w->active[i] || i == k || i == skip)
            continue;
        for (uint32_t j = i + 1; j < w->S; j++)
            if (w->active[j] && j != k && j != skip)
                LOSS(w, i, j) += sign * s_d(w, k, i, j);
    }
}

/* L of every pair with slot s, from scratch. */
static void s_losses_of(struct window *w, uint32_t s)
{
    for (uint32_t j = 0; j < w->S; j++)
        if (w->active[j] && j != s) {
            double l = s_loss(w, s < j ? s : j, s < j ? j : s);
            LOSS(w, s < j ? s : j, s < j ? j : s) = l;
        }
}

/* Word v enters free slot s: its bigram counts with the words already in
 * the window, as counts of their slots. */
static void s_enter(struct window *w, const struct bigrams *b, const double *count, uint32_t v,
                    uint32_t s)
{
    for (uint32_t k = 0; k < w->S; k++)
        N2(w, s, k) = N2(w, k, s) = 0;
    w->slot_of[v] = (int32_t)s;
    w->active[s] = 1;
    w->cnt[s] = count[v];
    w->node[s] = v;
    w->size[s] = 1;
    w->head[s] = v;
    w->next[v] = UINT32_MAX;
    for (uint32_t k = b->roff[v]; k < b->roff[v + 1]; k++)
        if (w->slot_of[b->rw[k]] >= 0)
            N2(w, s, w->slot_of[b->rw[k]]) += b->rc[k];
    for (uint32_t k = b->loff[v]; k < b->loff[v + 1]; k++)
        if (w->slot_of[b->lw[k]] >= 0 && b->lw[k] != v)
            N2(w, w->slot_of[b->lw[k]], s) += b->lc[k];
    s_q_row(w, s);
}

/* Merges slots a < b: the tree gets a node over them (a left, b right);
 * the merged cluster stays in the slot with more words. */
static void s_merge(struct window *w, uint32_t a, uint32_t b, uint32_t *nodes)
{
    s_update_pairs(w, a, b, -1);
    s_update_pairs(w, b, a, -1);
    uint32_t nid = (*nodes)++;
    w->parent[w->node[a]] = nid;
    w->side[w->node[a]] = 0;
    w->parent[w->node[b]] = nid;
    w->side[w->node[b]] = 1;
    uint32_t s = w->size[a] >= w->size[b] ? a : b, t = s == a ? b : a;
    double self = N2(w, s, s) + N2(w, s, t) + N2(w, t, s) + N2(w, t, t);
    for (uint32_t k = 0; k < w->S; k++) {
        N2(w, s, k) += N2(w, t, k);
        N2(w, k, s) += N2(w, k, t);
        N2(w, t, k) = N2(w, k, t) = 0;
        Q(w, t, k) = Q(w, k, t) = 0;
    }
    N2(w, s, s) = self;
    w->cnt[s] += w->cnt[t];
    w->node[s] = nid;
    for (uint32_t x = w->head[t], nx; x != UINT32_MAX; x = nx) {
        nx = w->next[x];
        w->slot_of[x] = (int32_t)s;
        w->next[x] = w->head[s];
        w->head[s] = x;
    }
    w->size[s] += w->size[t];
    w->active[t] = 0;
    s_q_row(w, s);
    s_update_pairs(w, s, s, 1);
    s_losses_of(w, s);
}

/* The active pair of least loss (ties to the lowest slots). */
static void s_best(const struct window *w, uint32_t *a, uint32_t *b)
{
    double best = INFINITY;
    for (uint32_t i = 0; i < w->S; i++) {
        if (!w->active[i])
            continue;
        for (uint32_t j = i + 1; j < w->S; j++)
            if (w->active[j] && LOSS(w, i, j) < best) {
                best = LOSS(w, i, j);
                *a = i;
                *b = j;
            }
    }
}

static void s_window_free(struct window *w)
{
    free(w->n2);
    free(w->q);
    free(w->L);
    free(w->cnt);
    free(w->node);
    free(w->size);
    free(w->active);
    free(w->head);
    free(w->next);
    free(w->slot_of);
    free(w->parent);
    free(w->side);
    free(w->cluster_of);
}

static int s_window_init(struct window *w, uint32_t V, uint32_t c)
{
    memset(w, 0, sizeof(*w));
    w->S = c + 1;
    size_t SS = (size_t)w->S * w->S;
    w->n2 = calloc(SS, sizeof(double));
    w->q = calloc(SS, sizeof(double));
    w->L = calloc(SS, sizeof(double));
    w->cnt = calloc(w->S, sizeof(double));
    w->node = calloc(w->S, sizeof(uint32_t));
    w->size = calloc(w->S, sizeof(uint32_t));
    w->active = calloc(w->S, 1);
    w->head = calloc(w->S, sizeof(uint32_t));
    w->next = calloc(V, sizeof(uint32_t));
    w->slot_of = malloc((size_t)V * sizeof(int32_t));
    w->parent = malloc(2 * (size_t)V * sizeof(uint32_t));
    w->side = calloc(2 * (size_t)V, 1);
    w->cluster_of = malloc((size_t)V * sizeof(uint32_t));
    if (!w->n2 || !w->q || !w->L || !w->cnt || !w->node || !w->size || !w->active || !w->head ||
        !w->next || !w->slot_of || !w->parent || !w->side || !w->cluster_of)
        return -ENOMEM;
    memset(w->slot_of, 0xff, (size_t)V * sizeof(int32_t));
    memset(w->parent, 0xff, 2 * (size_t)V * sizeof(uint32_t));
    return 0;
}

/* Each word's path: the sides from the root down to its cluster's node,
 * the first PL_BROWN_MAX_DEPTH of them. */
static void s_paths(const struct window *w, uint32_t V, struct pl_brown_path *out)
{
    for (uint32_t v = 0; v < V; v++) {
        uint32_t depth = 0, i = 0;
        uint32_t top = w->cluster_of[v];
        for (uint32_t x = top; w->parent[x] != UINT32_MAX; x = w->parent[x])
            depth++;
        uint32_t len = depth < PL_BROWN_MAX_DEPTH ? depth : PL_BROWN_MAX_DEPTH;
        uint64_t p = 0;
        for (uint32_t x = top; w->parent[x] != UINT32_MAX; x = w->parent[x], i++) {
            uint32_t from_root = depth - 1 - i;
            if (from_root < len)
                p |= (uint64_t)w->side[x] << (len - 1 - from_root);
        }
        out[v] = (struct pl_brown_path){ p, len };
    }
}

int pl_brown_train(const uint32_t *ids, size_t n, uint32_t V, uint32_t c, struct pl_brown_path *out)
{
    if (c < 2 || V == 0)
        return -EINVAL;
    struct bigrams b = { 0 };
    struct window w;
    double *count = calloc(V, sizeof(double));
    int rc = count ? s_bigrams(ids, n, V, &b) : -ENOMEM;
    if (rc == 0)
        rc = s_window_init(&w, V, c);
    else
        memset(&w, 0, sizeof(w));
    if (rc != 0)
        goto out;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != PL_BROWN_NONE) {
            count[ids[i]] += 1;
            total += 1;
        }
    for (uint32_t v = 0; v < V; v++)
        if (count[v] == 0)
            count[v] = 1; /* a word never seen still needs a place */
    w.inv_n = 1.0 / (total > 0 ? total : 1);
    uint32_t first = V < c ? V : c, nodes = V, active = first;
    int snapped = 0;
    for (uint32_t v = 0; v < first; v++)
        s_enter(&w, &b, count, v, v);
    for (uint32_t s = 0; s < first; s++)
        s_q_row(&w, s);
    for (uint32_t i = 0; i < first; i++)
        for (uint32_t j = i + 1; j < first; j++)
            LOSS(&w, i, j) = s_loss(&w, i, j);
    for (uint32_t v = first; active > 1 || v < V;) {
        if (v == V && !snapped) {
            for (uint32_t x = 0; x < V; x++)
                w.cluster_of[x] = w.node[w.slot_of[x]];
            snapped = 1;
        }
        if (v < V) {
            uint32_t s = 0;
            while (w.active[s])
                s++;
            s_enter(&w, &b, count, v, s);
            s_update_pairs(&w, s, s, 1);
            s_losses_of(&w, s);
            active++;
            v++;
        }
        uint32_t a = 0, bb = 1;
        s_best(&w, &a, &bb);
        s_merge(&w, a, bb, &nodes);
        active--;
    }
    if (!snapped) /* a single word */
        w.cluster_of[0] = 0;
    s_paths(&w, V, out);
out:
    s_window_free(&w);
    s_bigrams_free(&b);
    free(count);
    return rc;
}
