/*
 * The name tagger: see ner.h.
 *
 * Features are hashed: a template id mixed with the hash of what it looks at
 * (a word, a shape, a cluster id...) picks one of 2^hash_bits rows of
 * PL_NER_TAGS weights. Collisions cost a little accuracy and save the
 * dictionary; the dev figures in the README are with hashing.
 *
 * Model file (little-endian, as mapped on x86-64 and arm64): a 160-byte
 * header, then 64-byte aligned sections: per stage the transition scores
 * (float, (PL_NER_TAGS + 1) x PL_NER_TAGS) and the weights (int16,
 * 2^hash_bits x PL_NER_TAGS, value = int16 x scale), the lexicon and the
 * gazetteer (open-addressed tables of pl_ner_lex / pl_ner_phr).
 */
#include "ner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errcode.h"
#include "text.h"

/* Version 1: BIO tags (9); version 2 (since 2026-12-02): BILOU (17). */
#define MAGIC_V1 "PLNER01\n"
#define MAGIC_V2 "PLNER02\n"
#define MAGIC (PL_NER_BILOU ? MAGIC_V2 : MAGIC_V1)

const char *const pl_ner_list_names[PL_NER_K_LISTS] = { "WNPER",   "WNLOC", "WNORG", "CITY",
                                                        "COUNTRY", "NAT",   "",      "" };
#define ENDIAN_MARK 0x01020304u

struct header {
    char magic[8];
    uint32_t endian, hash_bits, groups, stages, ntags, max_phrase;
    float scale[PL_NER_STAGES];
    uint64_t lex_slots, phr_slots;
    uint64_t off_trans[PL_NER_STAGES], off_w[PL_NER_STAGES], off_lex, off_phr, size;
    /* The Brown cluster table; both 0 in a model without one (written
     * before there were such tables, when these were reserved zeros). */
    uint64_t off_brown, brown_slots;
    uint64_t reserved[4];
};
_Static_assert(sizeof(struct header) == 160, "model header layout");
_Static_assert(sizeof(struct pl_ner_lex) == 16, "lexicon slot layout");
_Static_assert(sizeof(struct pl_ner_phr) == 16, "gazetteer slot layout");
_Static_assert(sizeof(struct pl_ner_brown) == 16, "Brown slot layout");

uint64_t pl_ner_key(const char *s, size_t n)
{
    return pl_mix64(pl_hash(s, n)) | 1;
}

uint64_t pl_ner_cased_key(const char *s, size_t n)
{
    /* An even mask: the key stays odd (never an empty slot's 0). */
    return pl_ner_key(s, n) ^ 0x6a09e667f3bcc908ull;
}

/* --- model file -------------------------------------------------------- */

static size_t s_trans_len(void)
{
    return (PL_NER_TAGS + 1) * PL_NER_TAGS * sizeof(float);
}
static size_t s_align(size_t x)
{
    return (x + 63) & ~(size_t)63;
}

int pl_ner_model_open(const char *path, struct pl_ner_model **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        char eb[128];
        snprintf(err, errlen, "cannot open the NER model %s: %s", path,
                 strerror_r(e, eb, sizeof(eb)));
        return -e;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size < (off_t)sizeof(struct header)) {
        close(fd);
        snprintf(err, errlen, "the NER model %s is not a model file (too short)", path);
        return PL_EINPUT;
    }
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        int e = errno;
        char eb[128];
        snprintf(err, errlen, "cannot map the NER model %s: %s", path,
                 strerror_r(e, eb, sizeof(eb)));
        return -e;
    }
    const struct header *h = map;
    const char *why = NULL;
    if (memcmp(h->magic, MAGIC_V1, 8) == 0 && PL_NER_BILOU)
        why = "of version 1 (BIO tags), and this tagger reads version 2 (BILOU tags): retrain it "
              "with tools/train-ner.sh";
    else if (memcmp(h->magic, MAGIC_V2, 8) == 0 && !PL_NER_BILOU)
        why = "of version 2 (BILOU tags), and this tagger, built with PL_NER_BILOU=0, reads "
              "version 1 (BIO tags)";
    else if (memcmp(h->magic, MAGIC, 8) != 0)
        why = "not a pressline NER model (bad magic)";
    else if (h->endian != ENDIAN_MARK)
        why = "written on a machine of the other byte order";
    else if (h->ntags != PL_NER_TAGS)
        why = "made for another tag set";
    else if (h->hash_bits < 10 || h->hash_bits > 26 || h->stages < 1 || h->stages > PL_NER_STAGES ||
             h->size != len)
        why = "damaged (header fields out of range or wrong size)";
    size_t wlen = h->hash_bits <= 26 ? ((size_t)1 << h->hash_bits) * PL_NER_TAGS * 2 : 0;
    for (uint32_t s = 0; !why && s < h->stages; s++) {
        if (h->off_trans[s] % 64 || h->off_trans[s] > len ||
            len - h->off_trans[s] < s_trans_len() || h->off_w[s] % 64 || h->off_w[s] > len ||
            len - h->off_w[s] < wlen || !isfinite(h->scale[s]))
            why = "damaged (a weight section lies outside the file)";
    }
    if (!why && (h->lex_slots & (h->lex_slots - 1) || h->phr_slots & (h->phr_slots - 1) ||
                 h->lex_slots == 0 || h->phr_slots == 0 || h->off_lex % 64 || h->off_phr % 64 ||
                 h->off_lex > len || h->off_phr > len ||
                 (len - h->off_lex) / sizeof(struct pl_ner_lex) < h->lex_slots ||
                 (len - h->off_phr) / sizeof(struct pl_ner_phr) < h->phr_slots))
        why = "damaged (a table lies outside the file)";
    if (!why && h->brown_slots &&
        (h->brown_slots & (h->brown_slots - 1) || h->off_brown % 64 || h->off_brown > len ||
         (len - h->off_brown) / sizeof(struct pl_ner_brown) < h->brown_slots))
        why = "damaged (the Brown table lies outside the file)";
    if (!why && (h->groups & PL_NER_G_BROWN) && !h->brown_slots)
        why = "damaged (Brown cluster features without their table)";
    if (!why && (h->groups & ~(uint32_t)PL_NER_G_ALL))
        why = "made with feature groups this version does not know";
    if (why) {
        snprintf(err, errlen, "the NER model %s is %s", path, why);
        munmap(map, len);
        return PL_EINPUT;
    }
    struct pl_ner_model *m = calloc(1, sizeof(*m));
    if (!m) {
        munmap(map, len);
        snprintf(err, errlen, "out of memory opening the NER model %s", path);
        return -ENOMEM;
    }
    const char *base = map;
    m->hash_bits = h->hash_bits;
    m->groups = h->groups;
    m->stages = h->stages;
    for (uint32_t s = 0; s < h->stages; s++) {
        m->trans[s] = (const float *)(const void *)(base + h->off_trans[s]);
        m->w[s] = (const int16_t *)(const void *)(base + h->off_w[s]);
        m->scale[s] = h->scale[s];
    }
    m->lex = (const struct pl_ner_lex *)(const void *)(base + h->off_lex);
    m->lex_mask = h->lex_slots - 1;
    m->phr = (const struct pl_ner_phr *)(const void *)(base + h->off_phr);
    m->phr_mask = h->phr_slots - 1;
    m->max_phrase = h->max_phrase;
    if (h->brown_slots) {
        m->brown = (const struct pl_ner_brown *)(const void *)(base + h->off_brown);
        m->brown_mask = h->brown_slots - 1;
    }
    m->map = map;
    m->map_len = len;
    /* The tagger reads every page of the tables it touches at random. */
    madvise(map, len, MADV_WILLNEED);
    *out = m;
    return 0;
}

/* Whether the kernel gives huge pages to a region that asks for them:
 * transparent huge pages "always" or "madvise", not "never". */
static bool s_thp_available(void)
{
    char buf[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return false;
    bool ok = fgets(buf, sizeof(buf), f) && !strstr(buf, "[never]");
    fclose(f);
    return ok;
}

/* A pointer into the old mapping, at the same offset in the new one. */
static const void *s_rebase(const void *p, const void *from, const void *to)
{
    return p ? (const char *)to + ((const char *)p - (const char *)from) : NULL;
}

int pl_ner_model_huge(struct pl_ner_model *m)
{
    if (!m->map || m->huge)
        return m->huge ? 0 : -EINVAL;
    if (!s_thp_available())
        return -ENOTSUP;
    const size_t huge = (size_t)2 << 20;
    size_t len = (m->map_len + huge - 1) / huge * huge;
    /* One huge page more, to start the copy on a 2 MB boundary; the slack
     * before and after the aligned region is given back at once. */
    char *raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return -errno;
    char *at = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    size_t head = (size_t)(at - raw);
    if (head)
        munmap(raw, head);
    if (huge - head)
        munmap(at + len, huge - head);
    /* madvise can succeed and the kernel still supply small pages (memory
     * too fragmented, khugepaged later): the copy is correct either way,
     * only slower; /proc/PID/smaps's AnonHugePages says what was given. */
    if (madvise(at, len, MADV_HUGEPAGE) != 0) {
        int e = errno;
        munmap(at, len);
        return -e;
    }
    memcpy(at, m->map, m->map_len);
    if (mprotect(at, len, PROT_READ) != 0) {
        int e = errno;
        munmap(at, len);
        return -e;
    }
    for (uint32_t s = 0; s < m->stages; s++) {
        m->trans[s] = s_rebase(m->trans[s], m->map, at);
        m->w[s] = s_rebase(m->w[s], m->map, at);
    }
    m->lex = s_rebase(m->lex, m->map, at);
    m->phr = s_rebase(m->phr, m->map, at);
    m->brown = s_rebase(m->brown, m->map, at);
    munmap(m->map, m->map_len);
    m->map = at;
    m->map_len = len;
    m->huge = true;
    return 0;
}

void pl_ner_model_close(struct pl_ner_model **mp)
{
    if (!mp || !*mp)
        return;
    if ((*mp)->map)
        munmap((*mp)->map, (*mp)->map_len);
    free(*mp);
    *mp = NULL;
}

static int s_write_all(FILE *f, const void *p, size_t n, size_t *pos)
{
    if (n && fwrite(p, 1, n, f) != n)
        return -EIO;
    *pos += n;
    static const char zeros[64];
    size_t pad = s_align(*pos) - *pos;
    if (pad && fwrite(zeros, 1, pad, f) != pad)
        return -EIO;
    *pos += pad;
    return 0;
}

int pl_ner_model_write(const struct pl_ner_model *m, const char *path)
{
    struct header h = { .endian = ENDIAN_MARK,
                        .hash_bits = m->hash_bits,
                        .groups = m->groups,
                        .stages = m->stages,
                        .ntags = PL_NER_TAGS,
                        .max_phrase = m->max_phrase,
                        .lex_slots = m->lex_mask + 1,
                        .phr_slots = m->phr_mask + 1 };
    memcpy(h.magic, MAGIC, 8);
    size_t rows = (size_t)1 << m->hash_bits, nw = rows * PL_NER_TAGS;
    size_t pos = s_align(sizeof(h));
    for (uint32_t s = 0; s < m->stages; s++) {
        h.off_trans[s] = pos;
        pos += s_align(s_trans_len());
        h.off_w[s] = pos;
        pos += s_align(nw * sizeof(int16_t));
        float mx = 0;
        for (size_t i = 0; i < nw; i++)
            if (fabsf(m->wf[s][i]) > mx)
                mx = fabsf(m->wf[s][i]);
        h.scale[s] = mx > 0 ? mx / 32767.0f : 1.0f;
    }
    h.off_lex = pos;
    pos += s_align((m->lex_mask + 1) * sizeof(struct pl_ner_lex));
    h.off_phr = pos;
    pos += s_align((m->phr_mask + 1) * sizeof(struct pl_ner_phr));
    if (m->brown) {
        h.off_brown = pos;
        h.brown_slots = m->brown_mask + 1;
        pos += s_align((m->brown_mask + 1) * sizeof(struct pl_ner_brown));
    }
    h.size = pos;

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    int16_t *q = malloc(nw * sizeof(*q));
    if (!tmp || !q) {
        free(tmp);
        free(q);
        return -ENOMEM;
    }
    snprintf(tmp, plen + 8, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = f ? 0 : -errno;
    size_t at = 0;
    if (!rc)
        rc = s_write_all(f, &h, sizeof(h), &at);
    for (uint32_t s = 0; !rc && s < m->stages; s++) {
        rc = s_write_all(f, m->trans[s], s_trans_len(), &at);
        for (size_t i = 0; i < nw; i++)
            q[i] = (int16_t)lrintf(m->wf[s][i] / h.scale[s]);
        if (!rc)
            rc = s_write_all(f, q, nw * sizeof(*q), &at);
    }
    if (!rc)
        rc = s_write_all(f, m->lex, (m->lex_mask + 1) * sizeof(struct pl_ner_lex), &at);
    if (!rc)
        rc = s_write_all(f, m->phr, (m->phr_mask + 1) * sizeof(struct pl_ner_phr), &at);
    if (!rc && m->brown)
        rc = s_write_all(f, m->brown, (m->brown_mask + 1) * sizeof(struct pl_ner_brown), &at);
    if (f && fclose(f) != 0 && !rc)
        rc = -EIO;
    if (!rc && at != pos)
        rc = -EIO;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    free(tmp);
    free(q);
    return rc;
}

/* --- per-token inputs ---------------------------------------------------- */

enum {
    F_CAP = 1u << 0,        /* first letter upper case */
    F_ALLCAPS = 1u << 1,    /* letters all upper case (two or more) */
    F_LOWER = 1u << 2,      /* letters all lower case */
    F_DIGIT = 1u << 3,      /* holds a digit */
    F_LETTER = 1u << 4,     /* holds a letter */
    F_INIT = 1u << 5,       /* first token of its sentence (or after an opening quote) */
    F_DOC_LOWER = 1u << 6,  /* written all in lower case elsewhere in the document */
    F_DOC_CAPMID = 1u << 7, /* capitalised mid-sentence elsewhere in an ordinary sentence */
};

enum { SENT_PLAIN = 0, SENT_CAPS = 1, SENT_TITLE = 2 };

/* Lines where a capital says little: most words capitalised (a title-case
 * heading, a byline) or written in capitals (a CoNLL headline). */
enum { HEAD_NONE = 0, HEAD_TITLE = 1, HEAD_CAPS = 2 };

struct pl_ner_tokinfo {
    uint64_t word, lower, shape, sshape;
    uint64_t pre[4], suf[4];
    uint64_t key;    /* pl_ner_key of the lower-cased word */
    uint32_t sb, se; /* its sentence: tokens [sb, se) */
    uint16_t c[PL_NER_CLUSTER_LEVELS];
    uint16_t cc[PL_NER_CLUSTER_LEVELS]; /* cased clusters (PL_NER_G_CCLUSTER) */
    uint16_t freq;
    uint8_t casep;  /* how often capitalised mid-sentence (pl_ner_lex.freq's high byte) */
    uint64_t bpath; /* Brown path (len bits) */
    uint8_t blen;   /* 0: the word has none */
    uint16_t gaz;   /* bit 2k: a gazetteer phrase of kind k starts here; 2k+1: continues */
    /* Per generated list: the longest match over this token, as
     * 8 * position (1 B, 2 I, 3 E, 4 S) + length in tokens (at most 7); 0: none. */
    uint8_t list[PL_NER_K_LISTS];
    uint8_t flags;
    uint8_t sent; /* SENT_* */
    /* The sentence's shape (s_sentence_shape) and whether capitals are the
     * rule in it (HEAD_*), for PL_NER_G_HEAD. */
    uint16_t sshp;
    uint8_t head;
    /* The occurrences of the same word (key) in the document, in order, as
     * a list: the first one's index and the next one's, + 1 (0: none);
     * PL_NER_G_NONLOCAL only. */
    uint32_t occ_first, occ_next;
    /* stage 2 (pl_ner_doc_set_stage1) */
    uint8_t other;  /* bit t: another occurrence was tagged type t; bit 4: left O */
    uint8_t inlong; /* bit t: part of a multi-word name of type t elsewhere */
    uint8_t major;  /* 1 + the type most often given to this word, or 0 */
    /* PL_NER_G_NONLOCAL: per type t (4: O), bits 3t..3t+2 the share of the
     * other occurrences tagged t (0 none, 1 under a third, 2 under two
     * thirds, 3 under all, 4 all); the type (1 + t, 5 for O) most often
     * given to the occurrences before this one (0: none before); and the
     * tag of the document's first occurrence (PL_NER_TAGS when this is it). */
    uint16_t share;
    uint8_t before;
    uint8_t first_tag;
};

/* The slot of key in an open-addressing table of mask + 1 slots of stride
 * bytes, each starting with its uint64_t key (0: empty), or NULL. At most
 * one pass over the table: a damaged file may have no free slot. */
static const void *s_probe(const void *slots, size_t stride, uint64_t mask, uint64_t key)
{
    if (!slots)
        return NULL;
    const unsigned char *base = slots;
    for (uint64_t i = key & mask, left = mask + 1; left--; i = (i + 1) & mask) {
        uint64_t k;
        memcpy(&k, base + i * stride, sizeof(k));
        if (k == key)
            return base + i * stride;
        if (!k)
            return NULL;
    }
    return NULL;
}

static const struct pl_ner_lex *s_lex_get(const struct pl_ner_model *m, uint64_t key)
{
    return s_probe(m->lex, sizeof(*m->lex), m->lex_mask, key);
}

static const struct pl_ner_brown *s_brown_get(const struct pl_ner_model *m, uint64_t key)
{
    return s_probe(m->brown, sizeof(*m->brown), m->brown_mask, key);
}

static uint32_t s_phr_get(const struct pl_ner_model *m, uint64_t key)
{
    const struct pl_ner_phr *p = s_probe(m->phr, sizeof(*m->phr), m->phr_mask, key);
    return p ? p->kinds : 0;
}

static char s_class(int32_t cp)
{
    if (cp < 0)
        return '?';
    if (pl_cp_is_upper(cp))
        return 'X';
    if (pl_cp_is_lower(cp) || pl_cp_is_letter(cp))
        return 'x';
    if (pl_cp_is_digit(cp))
        return 'd';
    return cp < 128 ? (char)cp : '?';
}

/* The unlabeled text is PTB-tokenized: its brackets and quotes are spelled
 * differently from running text. */
static const char *s_ptb(const char *low, size_t n)
{
    static const char *const map[][2] = { { "(", "-lrb-" },        { ")", "-rrb-" },
                                          { "[", "-lsb-" },        { "]", "-rsb-" },
                                          { "{", "-lcb-" },        { "}", "-rcb-" },
                                          { "\"", "''" },          { "\xe2\x80\x9c", "``" },
                                          { "\xe2\x80\x9d", "''" } };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strlen(map[i][0]) == n && memcmp(map[i][0], low, n) == 0)
            return map[i][1];
    return NULL;
}

static void s_token_info(const struct pl_ner_model *m, const struct pl_ner_tok *t,
                         struct pl_ner_tokinfo *ti)
{
    char low[128], shape[32], sshape[16];
    size_t ln = pl_lower(t->s, t->n, low, sizeof(low));
    size_t sn = 0, ssn = 0, run = 0, letters = 0, upper = 0, lower = 0, digits = 0;
    size_t cps[5] = { 0 }; /* byte offsets of the first 4 code points in low */
    size_t ncp = 0;
    char last = 0;
    size_t adv;
    for (size_t i = 0; i < t->n; i += adv) {
        int32_t cp = pl_utf8_decode(t->s + i, t->n - i, &adv);
        char c = s_class(cp);
        letters += c == 'X' || c == 'x';
        upper += c == 'X';
        lower += c == 'x';
        digits += c == 'd';
        run = c == last ? run + 1 : 1;
        if (run <= 4 && sn < sizeof(shape))
            shape[sn++] = c;
        if (c != last && ssn < sizeof(sshape))
            sshape[ssn++] = c;
        last = c;
    }
    for (size_t i = 0; i < ln && ncp < 5; i += adv) {
        cps[ncp++] = i;
        pl_utf8_decode(low + i, ln - i, &adv);
    }
    ti->word = pl_hash(t->s, t->n);
    ti->lower = pl_hash(low, ln);
    ti->shape = pl_hash(shape, sn);
    ti->sshape = pl_hash(sshape, ssn);
    for (size_t k = 0; k < 4; k++) {
        /* prefix/suffix of k + 1 characters; the whole word when shorter */
        size_t pn = k + 1 < ncp ? cps[k + 1] : ln;
        ti->pre[k] = pl_hash(low, pn);
        size_t sb = ln, cnt = 0;
        while (sb > 0 && cnt <= k) {
            sb--;
            if (((unsigned char)low[sb] & 0xc0) != 0x80)
                cnt++;
        }
        ti->suf[k] = pl_hash(low + sb, ln - sb);
    }
    ti->key = pl_ner_key(low, ln);
    uint8_t f = 0;
    if (letters) {
        f |= F_LETTER;
        size_t adv0;
        int32_t cp0 = 0;
        for (size_t i = 0; i < t->n; i += adv0) {
            cp0 = pl_utf8_decode(t->s + i, t->n - i, &adv0);
            if (pl_cp_is_letter(cp0))
                break;
        }
        if (pl_cp_is_upper(cp0))
            f |= F_CAP;
        if (upper == letters && letters >= 2)
            f |= F_ALLCAPS;
        if (lower == letters)
            f |= F_LOWER;
    }
    if (digits)
        f |= F_DIGIT;
    ti->flags = f;
    const char *ptb = s_ptb(low, ln);
    uint64_t lkey = ptb ? pl_ner_key(ptb, strlen(ptb)) : ti->key;
    const struct pl_ner_lex *lx = s_lex_get(m, lkey);
    const struct pl_ner_brown *br = s_brown_get(m, lkey);
    ti->bpath = br ? br->path : 0;
    ti->blen = br ? (uint8_t)br->len : 0;
    for (int k = 0; k < PL_NER_CLUSTER_LEVELS; k++)
        ti->c[k] = lx ? lx->c[k] : PL_NER_NO_CLUSTER;
    const struct pl_ner_lex *cx =
        m->groups & PL_NER_G_CCLUSTER ? s_lex_get(m, pl_ner_cased_key(t->s, t->n)) : NULL;
    for (int k = 0; k < PL_NER_CLUSTER_LEVELS; k++)
        ti->cc[k] = cx ? cx->c[k] : PL_NER_NO_CLUSTER;
    ti->freq = lx ? lx->freq & 0xff : 0xffff;
    ti->casep = lx ? (uint8_t)(lx->freq >> 8) : 0;
}

/* A small set of word keys with a value, for the document-level features. */
struct kmap {
    uint64_t *k;
    uint32_t *v;
    size_t mask;
};

static int s_kmap_init(struct kmap *s, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    s->k = calloc(cap, sizeof(*s->k));
    s->v = calloc(cap, sizeof(*s->v));
    s->mask = cap - 1;
    if (s->k && s->v)
        return 0;
    /* Nothing is left for the caller to free. */
    free(s->k);
    free(s->v);
    s->k = NULL;
    s->v = NULL;
    return -ENOMEM;
}

static void s_kmap_free(struct kmap *s)
{
    free(s->k);
    free(s->v);
}

static uint32_t *s_kmap_at(struct kmap *s, uint64_t key)
{
    for (size_t i = key & s->mask;; i = (i + 1) & s->mask) {
        if (s->k[i] == key)
            return &s->v[i];
        if (!s->k[i]) {
            s->k[i] = key;
            return &s->v[i];
        }
    }
}

static uint32_t s_kmap_get(const struct kmap *s, uint64_t key)
{
    for (size_t i = key & s->mask;; i = (i + 1) & s->mask) {
        if (s->k[i] == key)
            return s->v[i];
        if (!s->k[i])
            return 0;
    }
}

static int s_is_open_quote(const struct pl_ner_tok *t)
{
    return (t->n == 1 && (t->s[0] == '"' || t->s[0] == '(' || t->s[0] == '\'')) ||
           (t->n == 2 && t->s[0] == '`') ||
           (t->n == 3 && (!memcmp(t->s, "\xe2\x80\x9c", 3) || !memcmp(t->s, "\xe2\x80\x98", 3)));
}

/* Tokens [i, j] match the generated lists of the bits of lists: each
 * token keeps, per list, its place in the longest match over it. */
static void s_list_match(struct pl_ner_doc *doc, size_t i, size_t j, uint32_t lists)
{
    size_t len = j - i + 1;
    uint8_t lc = (uint8_t)(len < 7 ? len : 7);
    for (int l = 0; l < PL_NER_K_LISTS; l++) {
        if (!(lists & (1u << l)))
            continue;
        for (size_t x = i; x <= j; x++) {
            uint8_t *v = &doc->info[x].list[l];
            if (*v && (*v & 7) >= lc)
                continue;
            unsigned pos = len == 1 ? 4 : x == i ? 1 : x == j ? 3 : 2;
            *v = (uint8_t)(8 * pos + lc);
        }
    }
}

static void s_gazetteer(struct pl_ner_doc *doc, size_t sb, size_t se)
{
    const struct pl_ner_model *m = doc->m;
    char buf[512];
    for (size_t i = sb; i < se; i++) {
        struct pl_ner_tokinfo *ti = &doc->info[i];
        if (!(ti->flags & F_CAP))
            continue;
        size_t o = 0;
        for (size_t j = i; j < se && j - i < m->max_phrase; j++) {
            const struct pl_ner_tok *t = &doc->tok[j];
            if (o + t->n + 1 >= sizeof(buf))
                break;
            if (j > i)
                buf[o++] = ' ';
            o += pl_lower(t->s, t->n, buf + o, sizeof(buf) - o);
            uint32_t kinds = s_phr_get(m, pl_ner_key(buf, o));
            if (!kinds)
                break;
            if (kinds >> 8)
                s_list_match(doc, i, j, kinds >> 8);
            for (int k = 0; k < PL_NER_K_KINDS; k++) {
                if (!(kinds & (1u << k)))
                    continue;
                doc->info[i].gaz |= (uint16_t)(1u << (2 * k));
                for (size_t x = i + 1; x <= j; x++)
                    doc->info[x].gaz |= (uint16_t)(1u << (2 * k + 1));
            }
            if (!(kinds & PL_NER_K_PREFIX))
                break;
        }
    }
}

static int s_is_close_quote(const struct pl_ner_tok *t)
{
    return (t->n == 1 && (t->s[0] == '"' || t->s[0] == ')' || t->s[0] == '\'')) ||
           (t->n == 2 && t->s[0] == '\'' && t->s[1] == '\'') ||
           (t->n == 3 && (!memcmp(t->s, "\xe2\x80\x9d", 3) || !memcmp(t->s, "\xe2\x80\x99", 3)));
}

/* How sentence [sb, se) ends: 0 without punctuation (a heading, a table
 * row), 1 with a full stop, 2 with another (? ! : ;), closing quotes and
 * brackets skipped. */
static unsigned s_sentence_end(const struct pl_ner_tok *tok, size_t sb, size_t se)
{
    size_t e = se;
    while (e > sb + 1 && s_is_close_quote(&tok[e - 1]))
        e--;
    const struct pl_ner_tok *t = &tok[e - 1];
    if (t->n == 1 && t->s[0] == '.')
        return 1;
    if (t->n == 1 && strchr("?!:;", t->s[0]))
        return 2;
    if (t->n == 3 && !memcmp(t->s, "...", 3))
        return 1;
    return 0;
}

/* The shape of sentence [sb, se), the same for each of its tokens: its
 * length in words (1, 2, 3, 4-6, 7-12, more), the share of its words that
 * start with a capital (under 30 %, under 60 %, under all, all), whether
 * four in five or more are in capitals, how it ends (s_sentence_end) and whether it holds
 * a digit; and whether capitals are the rule in it (HEAD_*). A heading
 * ("Frozen Properties and Tightened Visas") and a byline ("Peter
 * Blackburn") share most of this; the words' other features tell them
 * apart, learned from the headlines and lines of the training data. */
static void s_sentence_shape(struct pl_ner_doc *doc, size_t sb, size_t se)
{
    size_t words = 0, caps = 0, allcaps = 0, digits = 0;
    for (size_t i = sb; i < se; i++) {
        uint8_t f = doc->info[i].flags;
        digits += (f & F_DIGIT) != 0;
        if (!(f & F_LETTER))
            continue;
        words++;
        caps += (f & F_CAP) != 0;
        allcaps += (f & F_ALLCAPS) != 0;
    }
    unsigned len = words <= 3 ? (unsigned)words : words <= 6 ? 4 : words <= 12 ? 5 : 6;
    unsigned capb = 0, upper = words >= 2 && allcaps * 10 >= words * 8;
    if (words && caps == words)
        capb = 3;
    else if (caps * 10 >= words * 6)
        capb = 2;
    else if (caps * 10 >= words * 3)
        capb = 1;
    unsigned end = s_sentence_end(doc->tok, sb, se);
    uint16_t shp = (uint16_t)((((len * 4 + capb) * 2 + upper) * 3 + end) * 2 + (digits != 0));
    uint8_t head = upper ? HEAD_CAPS : capb >= 2 && words >= 2 ? HEAD_TITLE : HEAD_NONE;
    for (size_t i = sb; i < se; i++) {
        doc->info[i].sshp = shp;
        doc->info[i].head = head;
    }
}

/* Links the occurrences of each word with letters in the document, in
 * order (occ_first, occ_next). Returns 0 or -ENOMEM. */
static int s_occurrences(struct pl_ner_doc *doc)
{
    struct kmap last;
    if (s_kmap_init(&last, doc->n) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < doc->n; i++) {
        struct pl_ner_tokinfo *ti = &doc->info[i];
        if (!(ti->flags & F_LETTER))
            continue;
        uint32_t *v = s_kmap_at(&last, ti->key);
        if (*v)
            doc->info[*v - 1].occ_next = (uint32_t)i + 1;
        *v = (uint32_t)i + 1;
    }
    /* The first of each list: a second pass, from the front, carries it. */
    for (size_t i = 0; i < doc->n; i++) {
        struct pl_ner_tokinfo *ti = &doc->info[i];
        if (!(ti->flags & F_LETTER))
            continue;
        if (!ti->occ_first)
            ti->occ_first = (uint32_t)i + 1;
        if (ti->occ_next)
            doc->info[ti->occ_next - 1].occ_first = ti->occ_first;
    }
    s_kmap_free(&last);
    return 0;
}

/* In a title-case line the capitals are the line's style, not the
 * words': a word that cased news never capitalises mid-sentence (case
 * class 1 in the lexicon, from pl_train_ner --cased) is read as if written
 * in lower case, the truecasing of Lita et al. 2003, so that "Frozen
 * Properties and Tightened Visas" reads as a heading, not as a name (also
 * lowering the words capitalised under a tenth of the time was no better
 * by CV: 91.09 against 91.12). Words usually capitalised (names) keep
 * their capitals, and so does a word cased news has not seen; a model
 * without case classes reads every line as written. Only an ASCII capital
 * is lowered, so the word's length, and every offset, stays. */
static void s_truecase(const struct pl_ner_model *m, const struct pl_ner_tok *tok,
                       struct pl_ner_tokinfo *info, size_t sb, size_t se)
{
    for (size_t i = sb; i < se; i++) {
        struct pl_ner_tokinfo *ti = &info[i];
        const struct pl_ner_tok *t = &tok[i];
        if (!(ti->flags & F_CAP) || (ti->flags & F_ALLCAPS) || ti->casep != 1 || t->n >= 128 ||
            t->s[0] < 'A' || t->s[0] > 'Z')
            continue;
        char low[128];
        memcpy(low, t->s, t->n);
        low[0] = (char)(low[0] - 'A' + 'a');
        struct pl_ner_tok lt = *t;
        lt.s = low;
        uint32_t keep_sb = ti->sb, keep_se = ti->se;
        s_token_info(m, &lt, ti);
        ti->sb = keep_sb;
        ti->se = keep_se;
    }
}

int pl_ner_doc_init(struct pl_ner_doc *doc, const struct pl_ner_model *m,
                    const struct pl_ner_tok *tok, size_t n)
{
    memset(doc, 0, sizeof(*doc));
    doc->m = m;
    doc->tok = tok;
    doc->n = n;
    doc->info = calloc(n + 1, sizeof(*doc->info));
    doc->s1 = calloc(n + 1, 1);
    if (!doc->info || !doc->s1) {
        pl_ner_doc_free(doc);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        s_token_info(m, &tok[i], &doc->info[i]);
    /* Sentences, their kind, and sentence-initial words. */
    for (size_t sb = 0; sb < n;) {
        size_t se = sb + 1;
        while (se < n && !tok[se].sent_start)
            se++;
        size_t words = 0, caps = 0, titled = 0, digits = 0;
        for (size_t i = sb; i < se; i++) {
            const struct pl_ner_tokinfo *ti = &doc->info[i];
            doc->info[i].sb = (uint32_t)sb;
            doc->info[i].se = (uint32_t)se;
            digits += (ti->flags & F_DIGIT) != 0;
            if (!(ti->flags & F_LETTER) || tok[i].n < 2)
                continue;
            words++;
            caps += (ti->flags & F_ALLCAPS) != 0;
            titled += (ti->flags & F_CAP) != 0 || tok[i].n <= 3;
        }
        uint8_t kind = SENT_PLAIN;
        if (words >= 2 && caps * 10 >= words * 8)
            kind = SENT_CAPS;
        else if (words >= 3 && titled == words)
            kind = SENT_TITLE;
        /* A title-case line (two words are enough here: a heading such as
         * "Looking Ahead") is truecased; one with figures is a table's or a
         * result's line (scores, telephone numbers, lists of names), not a
         * heading, and is read as written. */
        if ((kind == SENT_TITLE || (words == 2 && titled == 2)) && digits == 0)
            s_truecase(m, tok, doc->info, sb, se);
        size_t first = sb;
        while (first < se && s_is_open_quote(&tok[first]))
            first++;
        for (size_t i = sb; i < se; i++) {
            doc->info[i].sent = kind;
            if (i <= first || s_is_open_quote(&tok[i - 1]))
                doc->info[i].flags |= F_INIT;
        }
        if (m->groups & (PL_NER_G_GAZ | PL_NER_G_LISTS))
            s_gazetteer(doc, sb, se);
        if (m->groups & PL_NER_G_HEAD)
            s_sentence_shape(doc, sb, se);
        sb = se;
    }
    if ((m->groups & PL_NER_G_NONLOCAL) && s_occurrences(doc) != 0) {
        pl_ner_doc_free(doc);
        return -ENOMEM;
    }
    if (m->groups & PL_NER_G_DOC) {
        struct kmap seen;
        if (s_kmap_init(&seen, n) != 0) {
            pl_ner_doc_free(doc);
            return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const struct pl_ner_tokinfo *ti = &doc->info[i];
            if (ti->flags & F_LOWER)
                *s_kmap_at(&seen, ti->key) |= F_DOC_LOWER;
            else if ((ti->flags & F_CAP) && !(ti->flags & F_INIT) && ti->sent == SENT_PLAIN)
                *s_kmap_at(&seen, ti->key) |= F_DOC_CAPMID;
        }
        for (size_t i = 0; i < n; i++)
            doc->info[i].flags |= (uint8_t)s_kmap_get(&seen, doc->info[i].key);
        s_kmap_free(&seen);
    }
    return 0;
}

void pl_ner_doc_free(struct pl_ner_doc *doc)
{
    free(doc->info);
    free(doc->s1);
    doc->info = NULL;
    doc->s1 = NULL;
}

/* The 0..4 bucket of k in total (see pl_ner_tokinfo.share). */
static unsigned s_share(unsigned k, unsigned total)
{
    if (!k)
        return 0;
    return k == total ? 4 : 3 * k < total ? 1 : 3 * k < 2 * total ? 2 : 3;
}

/* Extended prediction history: for each word with letters, what the first
 * stage gave its other occurrences (share, from cnt: per word, 6-bit
 * counts of each type and O, as pl_ner_doc_set_stage1 makes them), the
 * ones before it (before, counted on the way) and the first (first_tag).
 * Linear in the document's length. Returns 0 or -ENOMEM. */
static int s_history(struct pl_ner_doc *doc, const uint8_t *tags, const struct kmap *cnt)
{
    struct kmap run;
    if (s_kmap_init(&run, doc->n) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < doc->n; i++) {
        struct pl_ner_tokinfo *ti = &doc->info[i];
        ti->share = 0;
        ti->before = 0;
        ti->first_tag = PL_NER_TAGS;
        if (!(ti->flags & F_LETTER))
            continue;
        int own = pl_ner_tag_type(tags[i]);
        unsigned mine = own < 0 ? 4 : (unsigned)own;
        uint32_t v = s_kmap_get(cnt, ti->key), *r = s_kmap_at(&run, ti->key);
        unsigned all[5], total = 0, best = 0;
        for (unsigned k = 0; k < 5; k++) {
            all[k] = ((v >> (6 * k)) & 63) - (k == mine);
            total += all[k];
            unsigned before = (*r >> (6 * k)) & 63;
            if (before > best) {
                best = before;
                ti->before = (uint8_t)(1 + k);
            }
        }
        for (unsigned k = 0; k < 5; k++)
            ti->share |= (uint16_t)(s_share(all[k], total) << (3 * k));
        if (((*r >> (6 * mine)) & 63) < 63)
            *r += 1u << (6 * mine);
        if (ti->occ_first && ti->occ_first - 1 != i)
            ti->first_tag = doc->s1[ti->occ_first - 1];
    }
    s_kmap_free(&run);
    return 0;
}

int pl_ner_doc_set_stage1(struct pl_ner_doc *doc, const uint8_t *tags)
{
    size_t n = doc->n;
    memcpy(doc->s1, tags, n);
    struct kmap cnt, lng;
    if (s_kmap_init(&cnt, n) != 0 || s_kmap_init(&lng, n) != 0) {
        s_kmap_free(&cnt);
        return -ENOMEM;
    }
    /* Per word: how often each type (and O) was given, 6 bits each. */
    for (size_t i = 0; i < n; i++) {
        const struct pl_ner_tokinfo *ti = &doc->info[i];
        if (!(ti->flags & F_LETTER))
            continue;
        int t = pl_ner_tag_type(tags[i]);
        uint32_t *v = s_kmap_at(&cnt, ti->key);
        unsigned sh = 6u * (unsigned)(t < 0 ? 4 : t);
        if (((*v >> sh) & 63) < 63)
            *v += 1u << sh;
    }
    for (size_t i = 0; i < n;) {
        int t = pl_ner_tag_type(tags[i]);
        size_t j = pl_ner_span_end(tags, n, i);
        if (t >= 0 && j - i >= 2)
            for (size_t x = i; x < j; x++)
                *s_kmap_at(&lng, doc->info[x].key) |= 1u << t;
        i = j;
    }
    for (size_t i = 0; i < n; i++) {
        struct pl_ner_tokinfo *ti = &doc->info[i];
        ti->other = ti->inlong = ti->major = 0;
        if (!(ti->flags & F_LETTER))
            continue;
        uint32_t v = s_kmap_get(&cnt, ti->key);
        int own = pl_ner_tag_type(tags[i]);
        unsigned best = 0;
        for (int t = 0; t < 5; t++) {
            unsigned c = (v >> (6 * t)) & 63;
            if (t == (own < 0 ? 4 : own))
                c--;
            if (c)
                ti->other |= (uint8_t)(1u << t);
            if (t < 4 && c > best) {
                best = c;
                ti->major = (uint8_t)(1 + t);
            }
        }
        ti->inlong = (uint8_t)s_kmap_get(&lng, ti->key);
    }
    int rc = doc->m->groups & PL_NER_G_NONLOCAL ? s_history(doc, tags, &cnt) : 0;
    s_kmap_free(&cnt);
    s_kmap_free(&lng);
    return rc;
}

/* --- features ------------------------------------------------------------ */

enum tpl {
    T_BIAS = 1,
    T_WORD,
    T_LOW,
    T_LOWM1,
    T_LOWP1,
    T_LOWM2,
    T_LOWP2,
    T_BIM,
    T_BIP,
    T_PRE,
    T_SUF = T_PRE + 4,
    T_SHAPE = T_SUF + 4,
    T_SSHAPE,
    T_SHM1,
    T_SHP1,
    T_SHM2,
    T_SHP2,
    T_SH3,
    T_INIT,
    T_SENT,
    T_SENTLOW,
    T_INITLOW,
    T_C0,
    T_CM1 = T_C0 + 3,
    T_CP1,
    T_CM1B,
    T_CP1B,
    T_CSH,
    T_FREQ,
    T_GZ,
    T_GZM1,
    T_GZP1,
    T_GZSH,
    T_DOC,
    T_DOCSH,
    T_S1,
    T_S1M1,
    T_S1P1,
    T_S1BI,
    T_OTHER,
    T_INLONG,
    T_MAJOR,
    T_MAJSH,
    T_LIST,
    T_LISTSH,
    T_LISTM1,
    T_LISTP1,
    T_BROWN,
    T_BROWNM1 = T_BROWN + 4,
    T_BROWNP1,
    T_SSHP,
    T_SSHPLOW,
    T_HEADC1,
    T_HEADC2,
    T_HEADSUF,
    T_HEADFREQ,
    T_CASE,
    T_HEADCASE,
    T_AGGM1,
    T_AGGP1,
    T_AGGSHM1,
    T_AGGSHP1,
    T_SHARE,
    T_BEFORE,
    T_FIRSTTAG,
    T_CC0,
};

#define NONE_H 0x5bd1e9955bd1e995ull

struct fbuf {
    uint32_t *out;
    size_t n;
    unsigned shift;
};

static inline void s_f(struct fbuf *b, unsigned tpl, uint64_t v)
{
    if (b->n < PL_NER_MAX_FEATS)
        b->out[b->n++] = (uint32_t)(pl_mix64(v * 0x9e3779b97f4a7c15ull + tpl) >> b->shift);
}

static inline uint64_t s_pair(uint64_t a, uint64_t b)
{
    return pl_mix64(a) ^ (b * 0x2545f4914f6cdd1dull);
}

/* The first k bits of a Brown path (all of it when shorter), with their
 * count folded in so that "01" and "1" differ; a word without a path has
 * a value of its own. */
static uint64_t s_brown_prefix(const struct pl_ner_tokinfo *t, unsigned k)
{
    if (!t->blen)
        return NONE_H;
    unsigned n = t->blen < k ? t->blen : k;
    return (t->bpath >> (t->blen - n)) | (uint64_t)n << 56;
}

/* The generated lists' matches: of the token, with its length and with its
 * capitalisation (capfl), and the neighbours' lists and positions. */
static void s_list_features(struct fbuf *b, const struct pl_ner_tokinfo *t,
                            const struct pl_ner_tokinfo *m1, const struct pl_ner_tokinfo *p1,
                            unsigned capfl)
{
    for (unsigned l = 0; l < PL_NER_K_LISTS; l++) {
        if (t->list[l]) {
            s_f(b, T_LIST, s_pair(l, t->list[l]));
            s_f(b, T_LISTSH, s_pair(l, s_pair(t->list[l] >> 3, capfl)));
        }
        if (m1 && m1->list[l])
            s_f(b, T_LISTM1, s_pair(l, m1->list[l] >> 3));
        if (p1 && p1->list[l])
            s_f(b, T_LISTP1, s_pair(l, p1->list[l] >> 3));
    }
}

/* The sentence's shape and how often the word is capitalised mid-sentence
 * in cased news, each with the token's capitalisation (capfl); and, for a
 * capitalised word where capitals are the rule, what says whether it is a
 * name without its capital: that share again, the word, its clusters,
 * suffix and frequency in the (lower-cased) unlabeled news, under one id
 * for headlines in capitals and title-case lines alike, so that what the
 * training data's headlines teach carries over to headings. */
static void s_head_features(struct fbuf *b, const struct pl_ner_tokinfo *t, unsigned capfl)
{
    s_f(b, T_SSHP, s_pair(t->sshp, capfl));
    s_f(b, T_CASE, s_pair(t->casep, capfl));
    if (t->head == HEAD_NONE || !(t->flags & F_CAP))
        return;
    unsigned init = (t->flags & F_INIT) != 0;
    s_f(b, T_HEADCASE, s_pair(init, t->casep));
    s_f(b, T_SSHPLOW, s_pair(t->head, t->lower));
    s_f(b, T_HEADC1, s_pair(init, t->c[1]));
    s_f(b, T_HEADC2, s_pair(init, t->c[2]));
    s_f(b, T_HEADSUF, s_pair(init, t->suf[2]));
    s_f(b, T_HEADFREQ, s_pair(init, t->freq));
}

/* Context aggregation: the words and shapes beside the first
 * PL_NER_AGG other occurrences of a capitalised word t (token i) in the
 * document, each with the token's capitalisation (capfl). Four: by CV
 * on folds 0 and 1 (aggregating in both stages then), two and eight
 * scored lower, and so did aggregating lower-case words too. */
#define PL_NER_AGG 4
static void s_aggregate(struct fbuf *b, const struct pl_ner_doc *doc, size_t i, unsigned capfl)
{
    const struct pl_ner_tokinfo *t = &doc->info[i];
    if (!(t->flags & F_CAP))
        return;
    unsigned k = 0;
    for (uint32_t j = t->occ_first; j && k < PL_NER_AGG; j = doc->info[j - 1].occ_next) {
        size_t x = j - 1;
        if (x == i)
            continue;
        const struct pl_ner_tokinfo *o = &doc->info[x];
        const struct pl_ner_tokinfo *om1 = x > o->sb ? o - 1 : NULL;
        const struct pl_ner_tokinfo *op1 = x + 1 < o->se ? o + 1 : NULL;
        s_f(b, T_AGGM1, om1 ? om1->lower : NONE_H);
        s_f(b, T_AGGP1, op1 ? op1->lower : NONE_H);
        s_f(b, T_AGGSHM1, s_pair(om1 ? om1->sshape : NONE_H, capfl));
        s_f(b, T_AGGSHP1, s_pair(op1 ? op1->sshape : NONE_H, capfl));
        k++;
    }
}

/* Extended prediction history (stage two): see s_history. A word seen
 * once has none: the same CV F1 (91.32) as with features saying so, which
 * added a heading of the seeds to the organisations ("Looking Ahead"). */
static void s_history_features(struct fbuf *b, const struct pl_ner_tokinfo *t, unsigned capfl)
{
    if (!t->share)
        return;
    for (unsigned k = 0; k < 5; k++) {
        unsigned sh = (t->share >> (3 * k)) & 7;
        if (sh)
            s_f(b, T_SHARE, s_pair(k * 8 + sh, capfl));
    }
    s_f(b, T_BEFORE, s_pair(t->before, capfl));
    s_f(b, T_FIRSTTAG, s_pair(t->first_tag, capfl));
}

int pl_ner_is_word_feature(unsigned groups, size_t k)
{
    /* pl_ner_features' order: the bias, then with the word group the word,
     * its lower case, the four neighbours' lower case, the two bigrams. */
    return (groups & PL_NER_G_WORD) && (k == 1 || k == 2 || k == 7 || k == 8);
}

size_t pl_ner_features(const struct pl_ner_doc *doc, size_t i, int stage, uint32_t *out)
{
    const struct pl_ner_model *m = doc->m;
    const struct pl_ner_tokinfo *t = &doc->info[i];
    const struct pl_ner_tokinfo *m1 = i > t->sb ? t - 1 : NULL;
    const struct pl_ner_tokinfo *m2 = i >= t->sb + 2 ? t - 2 : NULL;
    const struct pl_ner_tokinfo *p1 = i + 1 < t->se ? t + 1 : NULL;
    const struct pl_ner_tokinfo *p2 = i + 2 < t->se ? t + 2 : NULL;
    struct fbuf b = { out, 0, 64 - m->hash_bits };
    unsigned g = m->groups;
    uint8_t capfl = t->flags & (F_CAP | F_ALLCAPS | F_LOWER | F_DIGIT | F_LETTER);

    s_f(&b, T_BIAS, 0);
    if (g & PL_NER_G_WORD) {
        s_f(&b, T_WORD, t->word);
        s_f(&b, T_LOW, t->lower);
        s_f(&b, T_LOWM1, m1 ? m1->lower : NONE_H);
        s_f(&b, T_LOWP1, p1 ? p1->lower : NONE_H);
        s_f(&b, T_LOWM2, m2 ? m2->lower : NONE_H);
        s_f(&b, T_LOWP2, p2 ? p2->lower : NONE_H);
        s_f(&b, T_BIM, s_pair(m1 ? m1->lower : NONE_H, t->lower));
        s_f(&b, T_BIP, s_pair(t->lower, p1 ? p1->lower : NONE_H));
    }
    if (g & PL_NER_G_AFFIX) {
        for (unsigned k = 0; k < 4; k++) {
            s_f(&b, T_PRE + k, t->pre[k]);
            s_f(&b, T_SUF + k, t->suf[k]);
        }
    }
    if (g & PL_NER_G_SHAPE) {
        s_f(&b, T_SHAPE, t->shape);
        s_f(&b, T_SSHAPE, t->sshape);
        s_f(&b, T_SHM1, m1 ? m1->shape : NONE_H);
        s_f(&b, T_SHP1, p1 ? p1->shape : NONE_H);
        s_f(&b, T_SHM2, m2 ? m2->sshape : NONE_H);
        s_f(&b, T_SHP2, p2 ? p2->sshape : NONE_H);
        s_f(&b, T_SH3,
            s_pair(s_pair(m1 ? m1->sshape : NONE_H, t->sshape), p1 ? p1->sshape : NONE_H));
        s_f(&b, T_INIT, s_pair((t->flags & F_INIT) != 0, t->sshape));
        s_f(&b, T_SENT, s_pair(t->sent, t->sshape));
        if (g & PL_NER_G_WORD) {
            if (t->sent != SENT_PLAIN)
                s_f(&b, T_SENTLOW, s_pair(t->sent, t->lower));
            if (t->flags & F_INIT)
                s_f(&b, T_INITLOW, t->lower);
        }
    }
    if (g & PL_NER_G_CLUSTER) {
        for (unsigned k = 0; k < PL_NER_CLUSTER_LEVELS; k++)
            s_f(&b, T_C0 + k, t->c[k]);
        s_f(&b, T_CM1, m1 ? m1->c[1] : 0x10000);
        s_f(&b, T_CP1, p1 ? p1->c[1] : 0x10000);
        s_f(&b, T_CM1B, m1 ? m1->c[2] : 0x10000);
        s_f(&b, T_CP1B, p1 ? p1->c[2] : 0x10000);
        s_f(&b, T_CSH, s_pair(t->c[2], capfl));
        s_f(&b, T_FREQ, s_pair(t->freq, capfl | (t->flags & F_INIT)));
    }
    if (g & PL_NER_G_CCLUSTER) {
        for (unsigned k = 0; k < PL_NER_CLUSTER_LEVELS; k++)
            s_f(&b, T_CC0 + k, t->cc[k]);
    }
    if (g & PL_NER_G_GAZ) {
        for (unsigned k = 0; k < 2 * PL_NER_K_KINDS; k++) {
            if (t->gaz & (1u << k)) {
                s_f(&b, T_GZ, k);
                s_f(&b, T_GZSH, s_pair(k, capfl | (t->flags & F_INIT)));
            }
            if (m1 && (m1->gaz & (1u << k)))
                s_f(&b, T_GZM1, k);
            if (p1 && (p1->gaz & (1u << k)))
                s_f(&b, T_GZP1, k);
        }
    }
    if (g & PL_NER_G_DOC) {
        uint64_t d = t->flags & (F_DOC_LOWER | F_DOC_CAPMID);
        s_f(&b, T_DOC, s_pair(d, capfl | (t->flags & F_INIT)));
        s_f(&b, T_DOCSH, s_pair(d, s_pair(t->sent, t->sshape)));
    }
    if (g & PL_NER_G_BROWN) {
        static const unsigned len[4] = { 4, 6, 10, 20 };
        for (unsigned k = 0; k < 4; k++)
            s_f(&b, T_BROWN + k, s_brown_prefix(t, len[k]));
        s_f(&b, T_BROWNM1, m1 ? s_brown_prefix(m1, 6) : 0x10000);
        s_f(&b, T_BROWNP1, p1 ? s_brown_prefix(p1, 6) : 0x10000);
    }
    if (g & PL_NER_G_LISTS)
        s_list_features(&b, t, m1, p1, capfl | (t->flags & F_INIT));
    if (g & PL_NER_G_HEAD)
        s_head_features(&b, t, capfl | (t->flags & F_INIT));
    if (stage == 1 && (g & PL_NER_G_STAGE2)) {
        const uint8_t *s1 = doc->s1;
        s_f(&b, T_S1, s1[i]);
        s_f(&b, T_S1M1, m1 ? s1[i - 1] : 99);
        s_f(&b, T_S1P1, p1 ? s1[i + 1] : 99);
        s_f(&b, T_S1BI, s_pair(s1[i], m1 ? s1[i - 1] : 99));
        for (unsigned k = 0; k < 5; k++)
            if (t->other & (1u << k))
                s_f(&b, T_OTHER, s_pair(k, capfl));
        for (unsigned k = 0; k < 4; k++)
            if (t->inlong & (1u << k))
                s_f(&b, T_INLONG, s_pair(k, capfl));
        s_f(&b, T_MAJOR, t->major);
        s_f(&b, T_MAJSH, s_pair(t->major, s_pair(t->sent, capfl | (t->flags & F_INIT))));
        /* Context aggregation in stage two only: in stage one too it made
         * the first stage's tags better (CV F1 89.73 -> 90.53) but the
         * second stage's worse (91.32 -> 91.01), which already sees the
         * first stage's tags across the document. */
        if (g & PL_NER_G_NONLOCAL) {
            s_aggregate(&b, doc, i, capfl | (t->flags & F_INIT));
            s_history_features(&b, t, capfl | (t->flags & F_INIT));
        }
    }
    return b.n;
}

/* --- decoding ------------------------------------------------------------ */

static int s_allowed(int from, int to)
{
    /* BILOU: a name opened by B-X goes on with I-X and ends with L-X. */
    if (from != PL_NER_TAGS && pl_ner_tag_goes_on(from))
        return to && !pl_ner_tag_is_b(to) && pl_ner_tag_type(from) == pl_ner_tag_type(to);
    if (to == 0 || pl_ner_tag_is_b(to))
        return 1;
    /* I-X (L-X): only after B-X or I-X */
    return !PL_NER_BILOU && from != PL_NER_TAGS && from != 0 &&
           pl_ner_tag_type(from) == pl_ner_tag_type(to);
}

void pl_ner_viterbi(const float *em, size_t n, const float *trans, uint8_t *tags, float *work)
{
    if (n == 0)
        return;
    float *score = work;                                 /* [n][T] */
    uint8_t *back = (uint8_t *)(work + n * PL_NER_TAGS); /* [n][T] */
    const float NEG = -1e30f;
    for (int t = 0; t < PL_NER_TAGS; t++)
        score[t] = s_allowed(PL_NER_TAGS, t) ? em[t] + trans[PL_NER_TAGS * PL_NER_TAGS + t] : NEG;
    for (size_t i = 1; i < n; i++) {
        const float *prev = score + (i - 1) * PL_NER_TAGS;
        for (int t = 0; t < PL_NER_TAGS; t++) {
            float best = NEG;
            int arg = 0;
            for (int f = 0; f < PL_NER_TAGS; f++) {
                if (!s_allowed(f, t))
                    continue;
                float s = prev[f] + trans[f * PL_NER_TAGS + t];
                if (s > best) {
                    best = s;
                    arg = f;
                }
            }
            score[i * PL_NER_TAGS + t] = best + em[i * PL_NER_TAGS + t];
            back[i * PL_NER_TAGS + t] = (uint8_t)arg;
        }
    }
    /* A sentence ends no name in the middle (BILOU: not on B-X or I-X). */
    int best = 0;
    for (int t = 1; t < PL_NER_TAGS; t++)
        if (!pl_ner_tag_goes_on(t) &&
            score[(n - 1) * PL_NER_TAGS + t] > score[(n - 1) * PL_NER_TAGS + best])
            best = t;
    for (size_t i = n; i-- > 0;) {
        tags[i] = (uint8_t)best;
        if (i)
            best = back[i * PL_NER_TAGS + best];
    }
}

static void s_emissions(const struct pl_ner_doc *doc, int stage, size_t a, size_t b, float *em)
{
    const struct pl_ner_model *m = doc->m;
    uint32_t fb[2][PL_NER_MAX_FEATS];
    if (m->wf[stage]) {
        for (size_t i = a; i < b; i++) {
            size_t nf = pl_ner_features(doc, i, stage, fb[0]);
            float *e = em + (i - a) * PL_NER_TAGS;
            for (int t = 0; t < PL_NER_TAGS; t++)
                e[t] = 0;
            for (size_t k = 0; k < nf; k++) {
                const float *w = m->wf[stage] + (size_t)fb[0][k] * PL_NER_TAGS;
                for (int t = 0; t < PL_NER_TAGS; t++)
                    e[t] += w[t];
            }
        }
        return;
    }
    /* The weight rows are read at random from tens of MB: most reads miss
     * the cache. The next token's features are computed, and their rows
     * fetched, before this token's are summed, so that the misses overlap
     * (half the tagger's time with 17 tags before). */
    const int16_t *W = m->w[stage];
    size_t nf = a < b ? pl_ner_features(doc, a, stage, fb[0]) : 0;
    for (size_t i = a; i < b; i++) {
        const uint32_t *f = fb[(i - a) & 1];
        uint32_t *next = fb[(i - a + 1) & 1];
        size_t nn = 0;
        if (i + 1 < b) {
            nn = pl_ner_features(doc, i + 1, stage, next);
            for (size_t k = 0; k < nn; k++) {
                const int16_t *r = W + (size_t)next[k] * PL_NER_TAGS;
                __builtin_prefetch(r);
                __builtin_prefetch(r + PL_NER_TAGS - 1);
            }
        }
        int32_t acc[PL_NER_TAGS] = { 0 };
        for (size_t k = 0; k < nf; k++) {
            const int16_t *w = W + (size_t)f[k] * PL_NER_TAGS;
            for (int t = 0; t < PL_NER_TAGS; t++)
                acc[t] += w[t];
        }
        float *e = em + (i - a) * PL_NER_TAGS;
        for (int t = 0; t < PL_NER_TAGS; t++)
            e[t] = (float)acc[t] * m->scale[stage];
        nf = nn;
    }
}

static int s_tag_stage(struct pl_ner_doc *doc, int stage, uint8_t *tags)
{
    size_t longest = 0;
    for (size_t sb = 0; sb < doc->n; sb = doc->info[sb].se)
        if (doc->info[sb].se - sb > longest)
            longest = doc->info[sb].se - sb;
    float *em = malloc(longest * PL_NER_TAGS * sizeof(float) * 3 + 64);
    if (!em)
        return -ENOMEM;
    for (size_t sb = 0; sb < doc->n; sb = doc->info[sb].se) {
        size_t se = doc->info[sb].se;
        s_emissions(doc, stage, sb, se, em);
        pl_ner_viterbi(em, se - sb, doc->m->trans[stage], tags + sb, em + longest * PL_NER_TAGS);
    }
    free(em);
    return 0;
}

struct s_name {
    uint64_t h; /* the word as written */
    uint32_t at;
    int type;
};

static int s_name_cmp(const void *x, const void *y)
{
    const struct s_name *p = x, *q = y;
    if (p->h != q->h)
        return p->h < q->h ? -1 : 1;
    return p->at < q->at ? -1 : p->at > q->at;
}

/* One-word names only: for longer ones the vote cost more by CV (README),
 * so they are never gathered. */
int pl_ner_vote(const struct pl_ner_tok *tok, size_t n, uint8_t *tags)
{
    size_t cnt = 0;
    for (size_t a = 0, b; a < n; a = b) {
        b = pl_ner_span_end(tags, n, a);
        cnt += tags[a] != 0 && b - a == 1;
    }
    if (cnt < 2)
        return 0;
    struct s_name *v = malloc(cnt * sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t a = 0, b; a < n; a = b) {
        b = pl_ner_span_end(tags, n, a);
        if (tags[a] && b - a == 1)
            v[k++] = (struct s_name){ pl_hash(tok[a].s, tok[a].n), (uint32_t)a,
                                      pl_ner_tag_type(tags[a]) };
    }
    qsort(v, k, sizeof(*v), s_name_cmp);
    for (size_t g = 0, e; g < k; g = e) {
        unsigned by[PL_NER_TYPES] = { 0 };
        for (e = g; e < k && v[e].h == v[g].h; e++)
            by[v[e].type]++;
        int best = -1;
        for (int t = 0; t < PL_NER_TYPES; t++)
            if (2 * by[t] > e - g)
                best = t;
        for (size_t x = g; best >= 0 && x < e; x++)
            tags[v[x].at] = (uint8_t)pl_ner_tag_make(best, pl_ner_tag_kind(tags[v[x].at]));
    }
    free(v);
    return 0;
}

int pl_ner_tag(struct pl_ner_doc *doc, uint8_t *tags)
{
    if (doc->n == 0)
        return 0;
    int rc = s_tag_stage(doc, 0, tags);
    if (!rc && doc->m->stages >= 2) {
        rc = pl_ner_doc_set_stage1(doc, tags);
        if (!rc)
            rc = s_tag_stage(doc, 1, tags);
    }
    if (!rc && (doc->m->groups & PL_NER_G_VOTE))
        rc = pl_ner_vote(doc->tok, doc->n, tags);
    return rc;
}
