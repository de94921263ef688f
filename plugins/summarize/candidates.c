/* The summarizer's sentences and candidates; see candidates.h. */
#include "candidates.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int s_starts_with_bullet(const char *s)
{
    return strncmp(s, "\xe2\x80\xa2", 3) == 0 || strncmp(s, "- ", 2) == 0 ||
           strncmp(s, "* ", 2) == 0 || strncmp(s, "\xc2\xb7", 2) == 0;
}

/* Whether a quotation is open after p[0..n), given whether one was open
 * before: straight double quotes toggle, curly ones open and close. */
static int s_quote_state(const char *p, size_t n, int open)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            open = !open;
        else if (i + 2 < n && (unsigned char)p[i] == 0xe2 && (unsigned char)p[i + 1] == 0x80) {
            if ((unsigned char)p[i + 2] == 0x9c) /* “ */
                open = 1;
            else if ((unsigned char)p[i + 2] == 0x9d) /* ” */
                open = 0;
        }
    }
    return open;
}

/* A full sentence that closes with . or ! (optionally inside a quote), of
 * a sensible length, not a heading, and not a list item unless bullets are
 * allowed. */
static int s_is_candidate(const char *t, const struct pl_summary_sent *s, int bullets)
{
    const char *p = t + s->start;
    size_t n = s->end - s->start;
    if (s->words < 6 || s->words > 80 || (!bullets && s_starts_with_bullet(p)))
        return 0;
    size_t e = n;
    while (e > 0 &&
           (p[e - 1] == '"' || p[e - 1] == ')' || p[e - 1] == '\'' ||
            (e >= 3 && (unsigned char)p[e - 1] == 0x9d && (unsigned char)p[e - 3] == 0xe2) ||
            (e >= 3 && (unsigned char)p[e - 1] == 0x99 && (unsigned char)p[e - 3] == 0xe2)))
        e -= ((unsigned char)p[e - 1] >= 0x80) ? 3 : 1;
    return e > 0 && (p[e - 1] == '.' || p[e - 1] == '!');
}

/* Whether a line break lies between sentence s-1 and sentence s. */
static int s_new_line(const char *t, const struct pl_summary_sent *ss, size_t s)
{
    return memchr(t + ss[s - 1].end, '\n', ss[s].start - ss[s - 1].end) != NULL;
}

/* "The goal? To unravel ...": an answer to a rhetorical question in the
 * same paragraph means nothing on its own. */
static int s_answers_question(const char *t, const struct pl_summary_sent *ss, size_t s)
{
    return s > 0 && t[ss[s - 1].end - 1] == '?' && !s_new_line(t, ss, s);
}

/* Counts the words of tokens [a, b) of sentence se, notes a number and
 * copies the content words' ids. Returns 0 or -ENOMEM. */
static int s_read_tokens(struct pl_summary_sent *se, const struct pl_tokens *k, const long *ids,
                         size_t a, size_t b)
{
    se->terms = malloc((b - a + 1) * sizeof(long));
    if (!se->terms)
        return -ENOMEM;
    for (size_t i = a; i < b; i++) {
        if (k->v[i].kind == PL_TOK_WORD || k->v[i].kind == PL_TOK_ABBREV)
            se->words++;
        if (k->v[i].kind == PL_TOK_NUMBER)
            se->number = 1;
        if (ids[i] >= 0)
            se->terms[se->nterms++] = ids[i];
    }
    se->para_first = a < k->n && (k->v[a].flags & PL_TF_PARA) != 0;
    return 0;
}

int pl_summary_sentences(const char *t, const struct pl_tokens *k, const struct pl_spans *sp,
                         const long *ids, struct pl_summary_sent *ss)
{
    size_t ti = 0;
    int quote = 0; /* inside a quotation at this point of the paragraph */
    for (size_t s = 0; s < sp->n; s++) {
        struct pl_summary_sent *se = &ss[s];
        se->start = sp->v[s].start;
        se->end = sp->v[s].end;
        size_t a = ti;
        while (ti < k->n && k->v[ti].start < se->end)
            ti++;
        if (s_read_tokens(se, k, ids, a, ti) != 0)
            return -ENOMEM;
        se->candidate = s_is_candidate(t, se, 0) && !s_answers_question(t, ss, s);
        /* A sentence that starts or ends inside a quotation of several
         * sentences is a piece of someone's speech, not a statement that
         * stands alone; its quote marks would not balance either. A
         * quotation does not run on past its paragraph. */
        if (s > 0 && s_new_line(t, ss, s))
            quote = 0;
        int at_start = quote;
        quote = s_quote_state(t + se->start, se->end - se->start, quote);
        if (at_start || quote)
            se->candidate = 0;
    }
    return 0;
}

void pl_summary_list_items(const char *t, struct pl_summary_sent *ss, size_t ns)
{
    for (size_t s = 0; s < ns; s++)
        if (ss[s].candidate)
            return;
    for (size_t s = 0; s < ns; s++) {
        struct pl_summary_sent *se = &ss[s];
        if (!s_starts_with_bullet(t + se->start) || !s_is_candidate(t, se, 1))
            continue;
        /* The item without its bullet. */
        const char *p = t + se->start;
        size_t skip = (unsigned char)p[0] >= 0x80 ? ((unsigned char)p[0] >= 0xe0 ? 3 : 2) : 1;
        while (skip < se->end - se->start && p[skip] == ' ')
            skip++;
        se->start += (uint32_t)skip;
        se->candidate = 1;
    }
}

/* The sentence of ss[0..ns) that byte `at` lies in, or ns. */
static size_t s_sentence_at(const struct pl_summary_sent *ss, size_t ns, double at)
{
    size_t lo = 0, hi = ns;
    while (lo < hi) { /* first sentence ending after at */
        size_t mid = (lo + hi) / 2;
        if ((double)ss[mid].end <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ns && (double)ss[lo].start <= at ? lo : ns;
}

/* Notes entity e in sentence se once. */
static void s_note_entity(struct pl_summary_sent *se, size_t e)
{
    for (int i = 0; i < se->nents; i++)
        if (se->ents[i] == e)
            return;
    if (se->nents < PL_SUMMARY_SENT_ENTS && e <= UINT16_MAX)
        se->ents[se->nents++] = (uint16_t)e;
}

void pl_summary_count_mentions(const cJSON *entities, struct pl_summary_sent *ss, size_t ns)
{
    const cJSON *e;
    size_t ei = 0;
    cJSON_ArrayForEach(e, entities)
    {
        ei++;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(e, "type");
        if (cJSON_IsString(ty) && !strcmp(ty->valuestring, "DATE"))
            continue;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "mentions"))
        {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "start");
            if (!cJSON_IsNumber(a) || a->valuedouble < 0)
                continue;
            size_t s = s_sentence_at(ss, ns, a->valuedouble);
            if (s < ns) {
                ss[s].mentions++;
                s_note_entity(&ss[s], ei - 1);
            }
        }
    }
}
