/*
 * clean: raw article bytes in, clean UTF-8 text out.
 *
 * Reads the document's "raw" (UTF-8 text) or "raw_base64" (bytes that were
 * not valid UTF-8 or held NUL) field, refuses binary data, replaces invalid
 * UTF-8 (counted), normalises to NFC and whitespace, finds the title and
 * removes the boilerplate scraped pages carry: "Also Read" lines and blocks,
 * "Recent News" teasers, lists of unrelated headlines after the story, agency
 * credits and date prefixes. Every removal is listed in "removed" with its
 * reason. Sets title, text, language, published (when a date prefix gave one),
 * removed, source.invalid_utf8; drops raw/raw_base64.
 *
 * Thread-safe: all state is read-only after init.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <utf8proc.h>

#include "decode.h"
#include "docjson.h"
#include "html.h"
#include "text.h"

struct clean_state {
    double max_invalid_ratio; /* share of bytes that may be invalid UTF-8 */
    double max_control_ratio; /* share of bytes that may be control chars */
    int min_headline_run;     /* headline-like lines in a row that form a list */
};

/* One line of the input after normalisation. */
struct block {
    char *s; /* NUL-terminated, owned */
    size_t len;
    int blank_before; /* a blank line separated it from the previous block */
    int bullet;
    const char *reason; /* non-NULL: removed, for this reason */
    int is_title;
    size_t last_width; /* characters in its last line as written, indent included */
    char *low;         /* s lower-cased, for the rules (s_lower_blocks) */
};

struct blocks {
    struct block *v;
    size_t n, cap;
};

static void s_blocks_free(struct blocks *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].s);
        free(b->v[i].low);
    }
    free(b->v);
}

static int s_blocks_push(struct blocks *b, const char *s, size_t len, int blank_before)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct block *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -ENOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    b->v[b->n++] = (struct block){ .s = c, .len = len, .blank_before = blank_before };
    return 0;
}

/* --- bytes to valid UTF-8 ----------------------------------------------- */

/* Counts invalid sequences and control characters in raw; with b, also
 * appends raw to it with every invalid sequence replaced by U+FFFD and
 * control characters dropped. Returns 0 or -ENOMEM. */
static int s_scan_utf8(const char *raw, size_t n, struct pl_buf *b, size_t *invalid,
                       size_t *control)
{
    size_t adv;
    *invalid = *control = 0;
    for (size_t i = 0; i < n; i += adv) {
        int32_t cp = pl_utf8_decode(raw + i, n - i, &adv);
        if (cp < 0) {
            (*invalid)++;
            if (b && pl_buf_append(b, "\xef\xbf\xbd", 3))
                return -ENOMEM;
            continue;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t' && cp != '\f') || cp == 0x7f ||
            (cp >= 0x80 && cp < 0xa0)) {
            (*control)++;
            continue; /* dropped: never part of article text */
        }
        if (b && pl_buf_append(b, raw + i, adv))
            return -ENOMEM;
    }
    return 0;
}

/* Copies raw into a new buffer, repaired as s_scan_utf8 says. */
static char *s_repair_utf8(const char *raw, size_t n, size_t *out_len, size_t *invalid,
                           size_t *control)
{
    struct pl_buf b = { 0 };
    if (s_scan_utf8(raw, n, &b, invalid, control) != 0 || pl_buf_terminate(&b) != 0) {
        free(b.data);
        return NULL;
    }
    *out_len = b.len;
    return b.data;
}

/* --- whitespace and lines ----------------------------------------------- */

/* Normalises one line: Unicode spaces to ' ', zero-width and soft hyphens
 * dropped, runs of spaces collapsed, ends trimmed. Writes into out (>= n+1). */
static size_t s_norm_line(const char *s, size_t n, char *out)
{
    size_t o = 0, adv;
    int space = 1; /* drop leading spaces */
    for (size_t i = 0; i < n; i += adv) {
        int32_t cp = pl_utf8_decode(s + i, n - i, &adv);
        if (cp == 0x200b || cp == 0xfeff || cp == 0x00ad || cp == 0x2060)
            continue;
        if (pl_cp_is_space(cp)) {
            if (!space)
                out[o++] = ' ';
            space = 1;
            continue;
        }
        memcpy(out + o, s + i, adv);
        o += adv;
        space = 0;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

static int s_is_bullet(const char *s)
{
    static const char *const marks[] = { "\xe2\x80\xa2", "\xc2\xb7",     "\xe2\x80\x93 ", "- ",
                                         "* ",           "\xe2\x96\xaa", "\xe2\x97\x8f" };
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strncmp(s, marks[i], strlen(marks[i])) == 0)
            return 1;
    /* "1. ", "2) " */
    size_t d = 0;
    while (isdigit((unsigned char)s[d]))
        d++;
    return d > 0 && d < 3 && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ';
}

/* Characters in t[0..n) without trailing white space. */
static size_t s_width(const char *t, size_t n)
{
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)t[i] & 0xc0) != 0x80;
    return w;
}

/* The width a text was hard-wrapped at (w3m -dump, mail, a terminal
 * copy), or 0: the longest line of 40 to 200 characters, when a quarter of
 * the lines of 40 or more come within 25 characters of it and hardly any
 * is longer. */
static size_t s_wrap_width(const char *t, size_t n)
{
    size_t widest = 0, lines = 0, near = 0, over = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n;) {
            size_t e = i;
            while (e < n && t[e] != '\n')
                e++;
            size_t w = s_width(t + i, e - i);
            if (pass == 0 && w <= 200 && w > widest)
                widest = w;
            if (pass == 1 && w >= 40) {
                lines++;
                near += w <= widest && w + 25 >= widest;
                over += w > widest;
            }
            i = e + 1;
        }
    }
    /* Paragraphs on one line each (lines over the width) mean no wrap. */
    return widest >= 40 && lines >= 4 && near * 4 >= lines && over * 20 <= lines ? widest : 0;
}

/* Characters in the first word of a normalised line. */
static size_t s_first_word_width(const char *line)
{
    size_t n = 0;
    while (line[n] && line[n] != ' ')
        n++;
    return s_width(line, n);
}

/* Splits text into blocks, one per non-empty line, joining hard-wrapped lines
 * (a line that continues in lower case on the next one, or, in text wrapped
 * at a fixed width, a line whose first word would not have fitted on the
 * one before; plain: the input was plain text, not a page's main text). */
static int s_split_blocks(const char *t, size_t n, int plain, struct blocks *out)
{
    size_t wrap = plain ? s_wrap_width(t, n) : 0;
    char *line = malloc(n + 1);
    if (!line)
        return -ENOMEM;
    int blank = 1, rc = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n' && t[e] != '\r')
            e++;
        size_t ln = s_norm_line(t + i, e - i, line);
        if (ln == 0) {
            blank = 1;
        } else {
            size_t adv;
            int32_t first = pl_utf8_decode(line, ln, &adv);
            struct block *prev = out->n ? &out->v[out->n - 1] : NULL;
            int cont = prev && !blank && !prev->bullet && !s_is_bullet(line) &&
                       pl_cp_is_lower(first) && prev->len > 0 &&
                       !strchr(".!?:\"", prev->s[prev->len - 1]);
            /* Wrapped at a fixed width: the word did not fit (list items
             * wrap too, their next line indented). */
            if (!cont && prev && !blank && wrap && !s_is_bullet(line) &&
                prev->last_width + 1 + s_first_word_width(line) > wrap)
                cont = 1;
            if (cont) {
                /* Hard-wrapped paragraph: join with one space. */
                char *s = realloc(prev->s, prev->len + 1 + ln + 1);
                if (!s) {
                    rc = -ENOMEM;
                    break;
                }
                s[prev->len] = ' ';
                memcpy(s + prev->len + 1, line, ln + 1);
                prev->s = s;
                prev->len += 1 + ln;
                prev->last_width = s_width(t + i, e - i);
            } else {
                if ((rc = s_blocks_push(out, line, ln, blank)) != 0)
                    break;
                out->v[out->n - 1].bullet = s_is_bullet(line);
                out->v[out->n - 1].last_width = s_width(t + i, e - i);
            }
            blank = 0;
        }
        if (e < n && t[e] == '\r' && e + 1 < n && t[e + 1] == '\n')
            e++;
        i = e + 1;
    }
    free(line);
    return rc;
}

/* --- judging blocks ----------------------------------------------------- */

/* Gives every block its lower-cased copy, once, for the rules below. */
static int s_lower_blocks(struct blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++) {
        struct block *b = &bl->v[i];
        size_t cap = b->len * 2 + 1; /* a few letters grow when lower-cased */
        b->low = malloc(cap);
        if (!b->low)
            return -ENOMEM;
        pl_lower(b->s, b->len, b->low, cap);
    }
    return 0;
}

struct words {
    int total;       /* words with a letter */
    int content;     /* words of 4+ letters or capitalised, not function words */
    int capitalised; /* content words starting upper case */
    int first_cap;
};

static void s_count_words(const char *s, size_t n, struct words *w)
{
    struct pl_tokens toks = { 0 };
    memset(w, 0, sizeof(*w));
    if (pl_tokenize(s, n, &toks) != 0) {
        free(toks.v);
        return;
    }
    for (size_t i = 0; i < toks.n; i++) {
        const struct pl_token *k = &toks.v[i];
        if (k->kind != PL_TOK_WORD && k->kind != PL_TOK_ABBREV)
            continue;
        w->total++;
        if (w->total == 1)
            w->first_cap = (k->flags & PL_TF_CAP) != 0;
        char low[64];
        size_t ln = pl_lower(s + k->start, k->end - k->start, low, sizeof(low));
        if (pl_is_stopword(low, ln) && !(w->total == 1))
            continue;
        w->content++;
        if (k->flags & PL_TF_CAP)
            w->capitalised++;
    }
    free(toks.v);
}

/* Does the line end in closing punctuation? A final dotted abbreviation
 * ("... Ambassador to the U.S.") does not close it. */
static int s_closed(const struct block *b)
{
    char last = b->s[b->len - 1];
    if (last == ':' || last == ';' || last == ',')
        return 1;
    if (last != '.')
        return 0;
    return !(b->len >= 4 && b->s[b->len - 3] == '.' && isalpha((unsigned char)b->s[b->len - 2]));
}

/* A headline: a short line in title case without closing punctuation. */
static int s_headline_like(const struct block *b)
{
    if (b->bullet || b->len == 0 || b->len > 220 || s_closed(b))
        return 0;
    struct words w;
    s_count_words(b->s, b->len, &w);
    if (w.total < 3 || w.total > 25 || !w.first_cap || w.content == 0)
        return 0;
    return w.capitalised * 10 >= w.content * 7;
}

static int s_ends_with_ellipsis(const struct block *b)
{
    return (b->len >= 3 && memcmp(b->s + b->len - 3, "...", 3) == 0) ||
           (b->len >= 3 && memcmp(b->s + b->len - 3, "\xe2\x80\xa6", 3) == 0);
}

/* Does low (a block lower-cased) start with one of the phrases, followed
 * by end, ':' '|' '-' or a dash? Returns the phrase length matched, or 0.
 * *alone is set when nothing but punctuation follows. */
static size_t s_starts_phrase(const char *low, const char *const *phrases, int *alone)
{
    for (const char *const *p = phrases; *p; p++) {
        size_t n = strlen(*p);
        if (strncmp(low, *p, n) != 0)
            continue;
        const char *r = low + n;
        while (*r == ' ')
            r++;
        if (*r == '\0') {
            *alone = 1;
            return n;
        }
        if (*r == ':' || *r == '|' || *r == '-' || strncmp(r, "\xe2\x80\x93", 3) == 0 ||
            strncmp(r, "\xe2\x80\x94", 3) == 0) {
            r += (*r == ':' || *r == '|' || *r == '-') ? 1 : 3;
            while (*r == ' ')
                r++;
            *alone = *r == '\0';
            return n;
        }
    }
    return 0;
}

/* Lines that point to another article ("Also read: ...", "Lesen Sie auch:
 * ..."), in the languages of the pages seen most. */
static const char *const s_also_read[] = {
    "also read",
    "read also",
    "read more",
    "see also",
    "also see",
    "also watch",
    "must read",
    "related",
    "related articles",
    "related stories",
    "related news",
    "related posts",
    "more stories",
    "more from",
    /* German */
    "lesen sie auch",
    "auch lesen",
    "lesen sie mehr",
    "lies auch",
    "siehe auch",
    "mehr dazu",
    "mehr zum thema",
    "auch interessant",
    "das k\xc3\xb6nnte sie auch interessieren",
    "weiterlesen",
    /* Spanish, French, Italian, Polish */
    "lea tambi\xc3\xa9n",
    "lee tambi\xc3\xa9n",
    "vea tambi\xc3\xa9n",
    "ver tambi\xc3\xa9n",
    "te puede interesar",
    "le puede interesar",
    "puedes ver",
    "te recomendamos",
    "leer m\xc3\xa1s",
    "lee m\xc3\xa1s",
    "dowiedz si\xc4\x99 wi\xc4\x99"
    "cej",
    "lire aussi",
    "\xc3\xa0 lire aussi",
    "voir aussi",
    "leggi anche",
    "czytaj te\xc5\xbc",
    "czytaj tak\xc5\xbc"
    "e",
    "zobacz tak\xc5\xbc"
    "e",
    "zobacz te\xc5\xbc",
    NULL,
};

/* Headings of other articles that end an article (s_final_heads too: the
 * comments, the author, the contacts). Matched only as a whole line. */
static const char *const s_end_heads[] = {
    "related articles",
    "related posts",
    "related stories",
    "related content",
    "more on this",
    "more on this story",
    "you may also like",
    "you might also like",
    "latest articles",
    "share this article",
    "share this",
    "das k\xc3\xb6nnte sie auch interessieren",
    "das k\xc3\xb6nnte dich auch interessieren",
    "mehr zum thema",
    "weitere artikel",
    "weitere beitr\xc3\xa4ge",
    "weitere nachrichten",
    "verwandte artikel",
    "verwandte beitr\xc3\xa4"
    "ge",
    "mehr themen",
    "weitere themen",
    "\xc3\xa4hnliche themen",
    "\xc3\xa4hnliche artikel",
    "\xc3\xa4hnliche beitr\xc3\xa4ge",
    "schon gelesen",
    "meistgelesen",
    "meistgelesene artikel",
    "notas relacionadas",
    "noticias relacionadas",
    "art\xc3\xad"
    "culos relacionados",
    "\xc3\xa0 lire aussi",
    "sur le m\xc3\xaame sujet",
    "articles similaires",
    "leggi anche",
    "articoli correlati",
    "czytaj te\xc5\xbc",
    "czytaj tak\xc5\xbc"
    "e",
    "temas relacionados",
    "das thema k\xc3\xb6nnte dich auch interessieren",
    "weitere artikel zum thema",
    "kommentierte artikel",
    "weitere beitr\xc3\xa4ge aus der kolumne",
    "weitere aktuelle themen",
    "vorschau auf den n\xc3\xa4"
    "chsten artikel",
    "noch mehr infos f\xc3\xbcr dich",
    "lesen sie auch die folgenden beitr\xc3\xa4ge",
    "\xc3\xbc"
    "ber diese reihe",
    NULL,
};

/* Lines of a page's controls and labels, not of its story; matched as a
 * whole line. */
static const char *const s_ui_lines[] = {
    "zur\xc3\xbc"
    "ck zu allen meldungen",
    "zur\xc3\xbc"
    "ck zur listenansicht",
    "zur\xc3\xbc"
    "ck zur \xc3\xbc"
    "bersicht",
    "quellen ausblenden",
    "valora esta noticia",
    "gef\xc3\xa4llt mir",
    "gef\xc3\xa4llt mir wird geladen...",
    "(noch keine bewertungen)",
    "noch keine bewertungen",
    "nur angemeldete benutzer k\xc3\xb6nnen kommentieren und bewerten.",
    "inhaltsverzeichnis",
    "table of contents",
    "back to top",
    "nach oben",
    "drucken",
    "print",
    "artikel drucken",
    "rezept drucken",
    "share",
    "teilen",
    "tweet",
    "loading...",
    "wird geladen...",
    "advertisement",
    "anzeige",
    "werbung",
    "publicidad",
    "zur startseite",
    NULL,
};

/* Headings after which no more story comes. */
static const char *const s_final_heads[] = {
    "kommentieren sie",
    "comments",
    "leave a comment",
    "leave a reply",
    "about the author",
    "kommentare",
    "kommentieren",
    "\xc3\xbc"
    "ber den autor",
    "\xc3\xbc"
    "ber die autorin",
    "comentarios",
    "commentaires",
    "commenti",
    "komentarze",
    "kontakt",
    "ansprechpartner",
    "ansprechpartnerin",
    "pressekontakt",
    NULL,
};

/* Is w[0..n) exactly one of words? */
static int s_word_in(const char *w, size_t n, const char *const *words)
{
    for (const char *const *p = words; *p; p++)
        if (strlen(*p) == n && memcmp(w, *p, n) == 0)
            return 1;
    return 0;
}

/* The length of the first of prefixes that low starts with, or 0. */
static size_t s_prefix_in(const char *low, const char *const *prefixes)
{
    for (const char *const *p = prefixes; *p; p++)
        if (strncmp(low, *p, strlen(*p)) == 0)
            return strlen(*p);
    return 0;
}

/* Is the block (low: lower-cased) one of phrases alone, with at most a
 * trailing ':' '?' or '!'? */
static int s_is_phrase_alone(const char *low, const char *const *phrases)
{
    size_t n = strlen(low);
    while (n > 0 &&
           (low[n - 1] == ':' || low[n - 1] == '?' || low[n - 1] == '!' || low[n - 1] == ' '))
        n--;
    return s_word_in(low, n, phrases);
}

/* "11 Kommentare", "3 comments", "1 comentario": the count over the
 * comments. */
static int s_is_comment_count(const struct block *b)
{
    size_t d = 0;
    while (d < b->len && isdigit((unsigned char)b->s[d]))
        d++;
    if (d == 0 || d > 5 || d >= b->len || b->s[d] != ' ')
        return 0;
    static const char *const words[] = { "comment",    "comments",    "kommentar",   "kommentare",
                                         "comentario", "comentarios", "commentaire", "commentaires",
                                         "commento",   "commenti",    "komentarz",   "komentarze",
                                         "komentarzy", "responses",   "replies",     NULL };
    return s_is_phrase_alone(b->low + d + 1, words);
}

static const char *const s_teaser_heads[] = {
    "recent news",       "latest news",
    "more news",         "top stories",
    "trending",          "trending now",
    "trending news",     "most read",
    "most popular",      "popular news",
    "you may also like", "you might also like",
    "recommended",       "recommended for you",
    "editor's picks",    "editor\xe2\x80\x99s picks",
    "don't miss",        "don\xe2\x80\x99t miss",
    "latest stories",    "in other news",
    "more stories",      NULL,
};

/* A picture or copyright credit line: "Foto: dpa", "© 2020 Reuters",
 * "Crédits photos : Bestimage", or a caption that carries one. Sources of
 * figures ("Quelle:") stay. */
static const char *const s_credit_starts[] = {
    "\xc2\xa9",
    "(c) ",
    "foto:",
    "fotos:",
    "foto :",
    "photo:",
    "photos:",
    "photo :",
    "photo credit",
    "bild:",
    "bilder:",
    "beitragsbild",
    "titelbild",
    "bildquelle",
    "cr\xc3\xa9"
    "dit photo",
    "cr\xc3\xa9"
    "dits photo",
    "credits:",
    "credit:",
    "image:",
    "image credit",
    "imagen:",
    "foto de portada",
    NULL,
};

/* A line of a post's categories or tags: "Kategorie: News", "Tags: a,
 * b", "This entry was posted in Allgemein." */
static int s_is_tag_line(const struct block *b)
{
    static const char *const starts[] = { "kategorie:",
                                          "kategorien:",
                                          "category:",
                                          "categories:",
                                          "tags:",
                                          "schlagw\xc3\xb6rter:",
                                          "schlagworte:",
                                          "themen:",
                                          "filed under",
                                          "posted in ",
                                          "this entry was posted in",
                                          "etiquetas:",
                                          NULL };
    return b->len < 200 && !b->bullet && s_prefix_in(b->low, starts) > 0;
}

/* Marks of a credit inside a line: a picture's caption ends with one. */
static const char *const s_credit_marks[] = { "\xc2\xa9", "(credit", "photograph by ", "photo: ",
                                              "foto: ",   "fotos: ", "bild: ",         "(reuters",
                                              "/afp",     "/ afp",   "/dpa",           "/ dpa",
                                              NULL };

static int s_is_credit_line(const struct block *b)
{
    if (b->len >= 250 || b->bullet)
        return 0;
    if (b->len < 160 && s_prefix_in(b->low, s_credit_starts))
        return 1;
    /* A caption: "Marco Odermatt, Ski-Star aus der Schweiz. © AFP". */
    for (const char *const *p = s_credit_marks; *p; p++)
        if (strstr(b->low, *p))
            return 1;
    return 0;
}

/* Calls to the reader that are not the story: follow us, subscribe,
 * support us, was this helpful, load more. Matched at the line's start. */
static const char *const s_cta_starts[] = {
    "follow us",
    "folgen sie uns",
    "folge uns",
    "folgt uns",
    "folge mir",
    "s\xc3\xadguenos",
    "siguenos",
    "abonnieren sie",
    "subscribe to",
    "sign up for",
    "jetzt abonnieren",
    "war der artikel",
    "war dieser artikel",
    "was this article helpful",
    "hat ihnen der artikel gefallen",
    "hat ihnen dieser artikel gefallen",
    "gef\xc3\xa4llt dir unser",
    "gef\xc3\xa4llt dir dieser",
    "gef\xc3\xa4llt ihnen",
    "lade weitere",
    "load more",
    "mehr laden",
    "help us",
    "unterst\xc3\xbc"
    "tzen sie",
    "support us",
    "werden sie mitglied",
    "become a member",
    "hazte miembro",
    "suscr\xc3\xad"
    "bete",
    "teilen sie diesen",
    "share this",
    "diesen artikel teilen",
    NULL,
};
static const char *const s_networks[] = { "twitter", "facebook", "instagram", "telegram",
                                          "youtube", "tiktok",   "linkedin",  NULL };

static int s_is_call_to_action(const struct block *b)
{
    if (b->len >= 300 || b->bullet)
        return 0;
    const char *low = b->low;
    if (s_prefix_in(low, s_cta_starts))
        return 1;
    /* "Follow The Gleaner on Twitter", "download the Nationnews apps" */
    int network = 0;
    for (const char *const *p = s_networks; *p; p++)
        network |= strstr(low, *p) != NULL;
    if (!strncmp(low, "follow ", 7) && strstr(low, " on ") && network)
        return 1;
    const char *d = strstr(low, "download the ");
    return d && strstr(d, " app");
}

/* A byline: "Von Tim Ehlers", "By Jane Slaughter on Thu, Nov 9, 2023":
 * a short line, a byline word, then a capitalised name. */
static const char *const s_byline_starts[] = {
    "von ",
    "by ",
    "autor: ",
    "autorin: ",
    "author: ",
    "text: ",
    "erstellt von ",
    "geschrieben von ",
    "posted by ",
    "written by ",
    "par ",
    "por ",
    "di ",
    "autor ",
    NULL,
};

static int s_is_byline(const struct block *b)
{
    if (b->len >= 100 || b->bullet || b->s[b->len - 1] == '.')
        return 0;
    size_t n = s_prefix_in(b->low, s_byline_starts); /* ASCII: the same bytes in s */
    if (!n)
        return 0;
    /* The name: up to five words, each capitalised or a particle
     * ("von", "de", "and"), up to a separator before a date or role.
     * "Von Risiken und Nebenwirkungen" is a heading, not a byline. */
    static const char *const particles[] = { "von", "van", "der", "de",  "da",  "di", "del",
                                             "la",  "le",  "y",   "and", "und", "&",  NULL };
    const char *q = b->s + n;
    int words = 0, caps = 0, joined = 0;
    while (*q && !strchr(",|/(\xc2\xb7", *q) && !isdigit((unsigned char)*q)) {
        while (*q == ' ')
            q++;
        const char *w = q;
        while (*q && *q != ' ' && !strchr(",|/(", *q))
            q++;
        size_t wl = (size_t)(q - w);
        if (!wl)
            break;
        static const char *const stops[] = { "on", "am",           "at",           "el", "il", "-",
                                             "|",  "\xe2\x80\x93", "\xe2\x80\x94", "//", NULL };
        if (s_word_in(w, wl, stops)) /* "By Jane Slaughter on Thu, …": the date follows */
            break;
        words++;
        int particle = s_word_in(w, wl, particles);
        joined |=
            (wl == 3 && (!strncmp(w, "und", 3) || !strncmp(w, "and", 3))) || (wl == 1 && *w == '&');
        size_t adv;
        int32_t cp = pl_utf8_decode(w, wl, &adv);
        if (!particle && (cp < 0 || pl_cp_is_lower(cp)))
            return 0;
        caps += !particle;
    }
    /* Two people are two full names: "Von Risiken und Nebenwirkungen"
     * is a heading. */
    return words >= 1 && words <= 5 && caps >= 1 && !(joined && words <= 3);
}

/* Words that may stand in a line that only dates the article. */
static const char *const s_date_words[] = {
    "published",
    "updated",
    "posted",
    "on",
    "at",
    "last",
    "modified",
    "stand",
    "erstellt",
    "ver\xc3\xb6"
    "ffentlicht",
    "aktualisiert",
    "zuletzt",
    "ge\xc3\xa4"
    "ndert",
    "am",
    "um",
    "uhr",
    "publicado",
    "el",
    "a",
    "las",
    "pubblicato",
    "il",
    "alle",
    "ore",
    "publi\xc3\xa9",
    "le",
    "\xc3\xa0",
    "opublikowano",
    "pm",
    "h",
    "gmt",
    "utc",
    "cet",
    "cest",
    "mez",
    "mesz",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januar",
    "j\xc3\xa4"
    "nner",
    "februar",
    "m\xc3\xa4"
    "rz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "settembre",
    "ottobre",
    "dicembre",
    "janvier",
    "f\xc3\xa9vrier",
    "mars",
    "avril",
    "juin",
    "juillet",
    "ao\xc3\xbb"
    "t",
    "septembre",
    "octobre",
    "d\xc3\xa9"
    "cembre",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lunes",
    "martes",
    "mi\xc3\xa9rcoles",
    "jueves",
    "viernes",
    "s\xc3\xa1"
    "bado",
    "domingo",
    "publiziert",
    "ver\xc3\xb6"
    "ffentlichung",
    "letzte",
    "\xc3\xa4nderung",
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "wrze\xc5\x9bnia",
    "pa\xc5\xba"
    "dziernika",
    "listopada",
    "grudnia",
    NULL,
};

/* A line that only dates the article: "12.12.2022 | 06:46", "Stand:
 * 07.11.2023, 07:30 Uhr", "Published: Tuesday, April 26, 2022". */
static int s_is_dateline(const struct block *b)
{
    if (b->len >= 80 || b->bullet)
        return 0;
    int digits = 0, year = 0;
    const char *p = b->low;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80)
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
            p++;
        size_t n = (size_t)(p - w);
        if (isdigit((unsigned char)*w)) {
            size_t d = 0;
            while (d < n && isdigit((unsigned char)w[d]))
                d++;
            if (d < n && !(n - d <= 2 &&
                           (w[d] == 'h' || !strncmp(w + d, "st", 2) || !strncmp(w + d, "nd", 2) ||
                            !strncmp(w + d, "rd", 2) || !strncmp(w + d, "th", 2))))
                return 0;
            if (d == 3 || d > 4) /* a phone number or an amount, not a date */
                return 0;
            digits++;
            year |= d == 4;
            continue;
        }
        if (!s_word_in(w, n, s_date_words))
            return 0;
    }
    return digits >= 2 && year;
}

static int s_is_agency_credit(const char *s)
{
    const char *p = s;
    if (*p == '(' || *p == '[')
        p++;
    if (strncasecmp(p, "with inputs from", 16) == 0 || strncasecmp(p, "with input from", 15) == 0 ||
        strncasecmp(p, "inputs from", 11) == 0)
        return strlen(s) < 120;
    return 0;
}

/* " date 2025-04-10 Title" -> length of the prefix to drop, and the date. */
static size_t s_date_prefix(const char *s, char date[11])
{
    if (strncasecmp(s, "date ", 5) != 0)
        return 0;
    const char *d = s + 5;
    for (int i = 0; i < 10; i++) {
        int want_dash = i == 4 || i == 7;
        if (want_dash ? d[i] != '-' : !isdigit((unsigned char)d[i]))
            return 0;
    }
    if (d[10] != ' ' && d[10] != '\0')
        return 0;
    memcpy(date, d, 10);
    date[10] = '\0';
    return (size_t)(d + 10 - s) + (d[10] == ' ');
}

static void s_mark_boilerplate(struct blocks *bl, const struct clean_state *st)
{
    /* The end of the article: a heading of related articles, comments or
     * contacts after 200 bytes of the story (blocks of 100 bytes or more: a
     * menu of short lines is no story); it and all that follows go. */
    size_t story = 0;
    for (size_t i = 0; i < bl->n; i++) {
        struct block *b = &bl->v[i];
        if (b->reason || b->is_title)
            continue;
        int final = s_is_phrase_alone(b->low, s_final_heads);
        if (story >= 200 &&
            (final || s_is_phrase_alone(b->low, s_end_heads) || s_is_comment_count(b))) {
            /* "More on this" over a few links, then two paragraphs of the
             * story again: a box inside the article, not its end (comments
             * and contacts end it whatever follows). */
            size_t j = i + 1;
            while (j < bl->n && j - i <= 8 && (bl->v[j].reason || bl->v[j].len < 100))
                j++;
            size_t prose = 0;
            for (size_t k = j; k < bl->n && k < j + 3; k++)
                prose += !bl->v[k].reason && bl->v[k].len >= 150 && strchr(bl->v[k].s, '.');
            if (!final && j - i <= 8 && prose >= 2) {
                for (size_t k = i; k < j; k++)
                    if (!bl->v[k].reason)
                        bl->v[k].reason = "also-read";
                i = j - 1;
                continue;
            }
            for (j = i; j < bl->n; j++)
                if (!bl->v[j].reason)
                    bl->v[j].reason = "after-article";
            break;
        }
        story += b->len >= 100 ? b->len : 0;
    }
    /* Section headings that introduce lists of other articles. */
    for (size_t i = 0; i < bl->n; i++) {
        struct block *b = &bl->v[i];
        if (b->reason || b->is_title)
            continue;
        int alone = 0;
        if (s_starts_phrase(b->low, s_also_read, &alone)) {
            b->reason = "also-read";
            if (alone) /* "ALSO READ" heading: the headlines under it go too */
                for (size_t j = i + 1; j < bl->n && s_headline_like(&bl->v[j]); j++)
                    bl->v[j].reason = "also-read";
            continue;
        }
        alone = 0;
        if (s_starts_phrase(b->low, s_teaser_heads, &alone) && alone) {
            b->reason = "teaser";
            for (size_t j = i + 1; j < bl->n; j++) {
                struct block *t = &bl->v[j];
                if (!s_headline_like(t) && !s_ends_with_ellipsis(t))
                    break;
                t->reason = "teaser";
            }
            continue;
        }
        if (s_is_phrase_alone(b->low, s_ui_lines) || s_is_tag_line(b))
            b->reason = "page-furniture";
        else if (s_is_agency_credit(b->s))
            b->reason = "agency-credit";
        else if (s_is_credit_line(b))
            b->reason = "credit";
        else if (s_is_call_to_action(b))
            b->reason = "call-to-action";
        else if (s_is_byline(b))
            b->reason = "byline";
        else if (s_is_dateline(b))
            b->reason = "dateline";
    }

    /* Runs of unrelated headlines: min_headline_run or more in a row
     * anywhere, or two or more at the very end after the story. */
    size_t i = 0;
    while (i < bl->n) {
        if (bl->v[i].reason || bl->v[i].is_title || !s_headline_like(&bl->v[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < bl->n && !bl->v[j].reason && s_headline_like(&bl->v[j]))
            j++;
        size_t run = j - i;
        int at_end = 1;
        for (size_t k = j; k < bl->n; k++)
            if (!bl->v[k].reason)
                at_end = 0;
        if ((int)run >= st->min_headline_run || (at_end && run >= 2))
            for (size_t k = i; k < j; k++)
                bl->v[k].reason = "headline-list";
        i = j;
    }
    /* A lone teaser line ending in "..." at the very end (a cut-off preview). */
}

/* --- text dumps of web pages -------------------------------------------- */

/* Does a unit (a block, or a run of list items) read like the story: long
 * enough, with a sentence end, and not a list of short items? */
static long s_paragraph_score(const struct blocks *bl, size_t from, size_t to)
{
    size_t len = 0, bullets = 0, ends = 0, n = 0;
    for (size_t i = from; i < to; i++) {
        const struct block *b = &bl->v[i];
        if (b->reason)
            continue;
        n++;
        len += b->len;
        bullets += b->bullet != 0;
        for (size_t k = 0; k < b->len; k++)
            ends += (b->s[k] == '.' || b->s[k] == '!' || b->s[k] == '?') &&
                    (k + 1 == b->len || b->s[k + 1] == ' ' || b->s[k + 1] == '"');
    }
    if (n == 0)
        return 0;
    /* Prose: sentences of some length; a list of long items counts half. */
    if (len >= 120 && ends >= 1 && len / (ends ? ends : 1) >= 25)
        return bullets * 2 > n ? (long)(len / 2) : (long)len;
    return -(long)(len > 30 ? len : 30);
}

/* The run of v[lo..hi) with the largest sum (Kadane): [*a, *b), its sum. */
static long s_best_run(const long *v, size_t lo, size_t hi, size_t *a, size_t *b)
{
    long best = 0, run = 0;
    size_t from = lo;
    *a = *b = lo;
    for (size_t p = lo; p < hi; p++) {
        if (run <= 0) {
            run = 0;
            from = p;
        }
        run += v[p];
        if (run > best) {
            best = run;
            *a = from;
            *b = p + 1;
        }
    }
    return best;
}

/* Keeps (keep[p] = 1) the best run of v[lo..hi) when its sum reaches
 * floor, then looks for more on either side of it: a story cut in two by a
 * gallery or a box of links. */
static void s_keep_runs(const long *v, size_t lo, size_t hi, long floor, char *keep, int depth)
{
    size_t a, b;
    if (depth > 8 || lo >= hi || s_best_run(v, lo, hi, &a, &b) < floor)
        return;
    for (size_t p = a; p < b; p++)
        keep[p] = 1;
    s_keep_runs(v, lo, a, floor, keep, depth + 1);
    s_keep_runs(v, b, hi, floor, keep, depth + 1);
}

/* A text dump of a web page (w3m -dump, a browser's select-all and copy)
 * holds menus, link lists and footers around the story. Keeps the runs of
 * blocks with the most prose net of what is not prose -- the best, and
 * others of at least a fifth of it -- with the headline just above, and
 * marks the rest "outside-article". Does nothing to text that is mostly
 * story. Returns 1 when it marked the text as a page. */
static int s_mark_page_region(struct blocks *bl)
{
    size_t *start = malloc((bl->n + 1) * sizeof(*start));
    long *v = malloc((bl->n + 1) * sizeof(*v));
    char *keep = calloc(bl->n + 1, 1);
    int page = 0;
    if (!start || !v || !keep)
        goto out;
    /* Units: each block (a line, or a paragraph joined from wrapped
     * lines), a run of list items together. Blank lines are not trusted:
     * a browser's copy can have none, a dump has them everywhere. */
    size_t np = 0;
    for (size_t i = 0; i < bl->n; i++)
        if (i == 0 || !(bl->v[i].bullet && bl->v[i - 1].bullet))
            start[np++] = i;
    start[np] = bl->n;
    long neg = 0;
    size_t short_lines = 0;
    for (size_t p = 0; p < np; p++) {
        v[p] = s_paragraph_score(bl, start[p], start[p + 1]);
        if (v[p] < 0) {
            neg -= v[p];
            for (size_t i = start[p]; i < start[p + 1]; i++)
                short_lines += !bl->v[i].reason;
        }
    }
    size_t a, b;
    long best = s_best_run(v, 0, np, &a, &b);
    /* Mostly story already (an article file: fewer than 8 short lines
     * outside paragraphs of prose, or under a fifth of the text): leave it
     * to the other rules. */
    if (best <= 0 || short_lines < 8 || neg * 5 < best)
        goto out;
    page = 1;
    long floor = best / 5 > 150 ? best / 5 : 150;
    s_keep_runs(v, 0, np, floor < best ? floor : best, keep, 0); /* the best run always */
    for (size_t p = 0; p < np; p++) {
        if (!keep[p] || (p > 0 && keep[p - 1] == 1))
            continue;
        /* The headline and dek just above a run: up to two short blocks,
         * not list items. */
        for (size_t k = 0, q = p; k < 2 && q > 0; k++, q--) {
            size_t h = q - 1;
            const struct block *c = &bl->v[start[h]];
            size_t words = 1;
            for (size_t x = 0; x < c->len; x++)
                words += c->s[x] == ' ';
            /* "Menu", "Sign in": a label, not a headline. */
            if (keep[h] || start[h + 1] - start[h] != 1 || c->bullet || c->len > 250 || words < 3)
                break;
            keep[h] = 2;
        }
    }
    for (size_t p = 0; p < np; p++) {
        /* Inside a run, a list of short items is a box of links. */
        if (keep[p] == 1 && v[p] < 0 && start[p + 1] - start[p] >= 2)
            keep[p] = 0;
        if (keep[p])
            continue;
        for (size_t i = start[p]; i < start[p + 1]; i++)
            if (!bl->v[i].reason) {
                bl->v[i].reason = "outside-article";
                bl->v[i].is_title = 0;
            }
    }
out:
    free(start);
    free(v);
    free(keep);
    return page;
}

/* --- title -------------------------------------------------------------- */

static void s_find_title(struct blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++) {
        struct block *b = &bl->v[i];
        if (b->reason)
            continue;
        if (b->bullet || b->len > 250 || s_closed(b))
            return;
        struct words w;
        s_count_words(b->s, b->len, &w);
        if (w.total == 0 || w.total > 30 || i + 1 >= bl->n)
            return;
        b->is_title = 1;
        return;
    }
}

/* --- language ----------------------------------------------------------- */

struct lang {
    const char *code;
    const char *const *words;
};

static const char *const s_en[] = { "the", "and", "of", "to", "in",   "is",  "that", "for", "with",
                                    "was", "on",  "as", "by", "have", "has", "it",   NULL };
static const char *const s_de[] = { "der", "die", "und", "das",  "ist", "nicht", "mit", "den",
                                    "von", "zu",  "ein", "eine", "auf", "sich",  "dem", NULL };
static const char *const s_fr[] = { "le", "la",   "les", "et",  "est", "des", "une", "dans",
                                    "du", "pour", "que", "qui", "sur", "pas", "au",  NULL };
static const char *const s_es[] = { "el",  "los",  "las", "y",  "es", "del", "una",  "por",
                                    "con", "para", "que", "se", "su", "al",  "como", NULL };
static const char *const s_it[] = { "il",  "di",  "che", "e",   "della", "per", "una", "sono",
                                    "non", "con", "gli", "nel", "alla",  "del", "le",  NULL };
static const char *const s_nl[] = { "de", "het", "een",  "en",   "van", "is",  "dat", "niet",
                                    "op", "met", "voor", "zijn", "ook", "aan", "bij", NULL };
static const char *const s_pt[] = { "o",  "os", "as",  "e",    "do",  "da",  "dos", "das",
                                    "em", "um", "uma", "para", "com", "não", "que", NULL };

static const struct lang s_langs[] = {
    { "en", s_en }, { "de", s_de }, { "fr", s_fr }, { "es", s_es },
    { "it", s_it }, { "nl", s_nl }, { "pt", s_pt },
};

/* Guesses the language from function-word frequencies; "und" (ISO 639-2
 * for undetermined) when no language stands out. A statistical detector
 * replaces this when more languages matter. */
static const char *s_language(const char *t, size_t n)
{
    struct pl_tokens toks = { 0 };
    int hits[sizeof(s_langs) / sizeof(s_langs[0])] = { 0 };
    int words = 0;
    if (pl_tokenize(t, n, &toks) == 0) {
        for (size_t i = 0; i < toks.n && words < 2000; i++) {
            if (toks.v[i].kind != PL_TOK_WORD)
                continue;
            words++;
            char low[32];
            pl_lower(t + toks.v[i].start, toks.v[i].end - toks.v[i].start, low, sizeof(low));
            for (size_t l = 0; l < sizeof(s_langs) / sizeof(s_langs[0]); l++)
                for (const char *const *w = s_langs[l].words; *w; w++)
                    if (strcmp(*w, low) == 0)
                        hits[l]++;
        }
    }
    free(toks.v);
    size_t best = 0;
    for (size_t l = 1; l < sizeof(s_langs) / sizeof(s_langs[0]); l++)
        if (hits[l] > hits[best])
            best = l;
    if (words >= 5 && hits[best] * 100 >= words * 12)
        return s_langs[best].code;
    return "und";
}

/* --- plugin ------------------------------------------------------------- */

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    xmlInitParser(); /* once, before worker threads parse pages */
    static const char *const keys[] = { "max_invalid_ratio", "max_control_ratio",
                                        "min_headline_run", NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    struct clean_state *st = calloc(1, sizeof(*st));
    if (!st) {
        cJSON_Delete(o);
        return pl_fail(err, "clean: out of memory");
    }
    st->max_invalid_ratio = 0.01;
    st->max_control_ratio = 0.01;
    st->min_headline_run = 3;
    if (pl_options_check_keys(o, "clean", keys, err) != 0)
        goto fail;
    double run = st->min_headline_run;
    if (pl_options_number(o, "clean", "max_invalid_ratio", 0, 1, false, &st->max_invalid_ratio,
                          err) ||
        pl_options_number(o, "clean", "max_control_ratio", 0, 1, false, &st->max_control_ratio,
                          err) ||
        pl_options_number(o, "clean", "min_headline_run", 2, 100, true, &run, err))
        goto fail;
    st->min_headline_run = (int)run;
    cJSON_Delete(o);
    *state = st;
    return 0;
fail:
    cJSON_Delete(o);
    free(st);
    return -1;
}

static void s_fini(void *state)
{
    free(state);
}

/* Appends {reason, text} to removed, merging with the previous entry when it
 * has the same reason and the blocks were adjacent. */
static int s_add_removed(cJSON *removed, const char *reason, const char *text, int adjacent)
{
    cJSON *last = cJSON_GetArrayItem(removed, cJSON_GetArraySize(removed) - 1);
    if (adjacent && last) {
        cJSON *r = cJSON_GetObjectItemCaseSensitive(last, "reason");
        cJSON *t = cJSON_GetObjectItemCaseSensitive(last, "text");
        if (strcmp(r->valuestring, reason) == 0) {
            size_t a = strlen(t->valuestring), b = strlen(text);
            char *j = malloc(a + b + 2);
            if (!j)
                return -1;
            memcpy(j, t->valuestring, a);
            j[a] = '\n';
            memcpy(j + a + 1, text, b + 1);
            cJSON *nt = cJSON_CreateString(j);
            free(j);
            return pl_doc_set(last, "text", nt);
        }
    }
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "reason", reason) ||
        !cJSON_AddStringToObject(e, "text", text) || !cJSON_AddItemToArray(removed, e)) {
        cJSON_Delete(e);
        return -1;
    }
    return 0;
}

static int s_process(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    const struct clean_state *st = state;
    int rc = -1;
    unsigned char *bin = NULL;
    char *fixed = NULL, *nfc = NULL;
    struct blocks bl = { 0 };
    struct pl_buf text = { 0 };
    const char *format = "text";
    char *page = NULL, *conv = NULL;
    char encoding[64] = "UTF-8";
    cJSON *json_in = NULL;
    struct pl_html_meta meta = { 0 };
    cJSON *d = pl_doc_parse(doc, len, err);
    if (!d)
        return -1;

    const char *raw;
    size_t raw_len;
    cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "raw");
    cJSON *r64 = cJSON_GetObjectItemCaseSensitive(d, "raw_base64");
    if (cJSON_IsString(r)) {
        raw = r->valuestring;
        raw_len = strlen(raw);
    } else if (cJSON_IsString(r64)) {
        size_t n = strlen(r64->valuestring);
        bin = malloc(n / 4 * 3 + 4);
        if (!bin || sodium_base642bin(bin, n / 4 * 3 + 4, r64->valuestring, n, NULL, &raw_len, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0) {
            pl_fail(err, "clean: raw_base64 is not valid base64");
            goto out;
        }
        raw = (const char *)bin;
    } else {
        pl_fail(err, "clean: the document has no \"raw\" or \"raw_base64\" input");
        goto out;
    }

    /* The encoding: a byte-order mark, else UTF-8 when it is (nearly)
     * valid, else what the page declares or uchardet guesses. */
    size_t bom = 0;
    const char *bom_enc = pl_bom_encoding(raw, raw_len, &bom);
    if (bom_enc)
        snprintf(encoding, sizeof(encoding), "%s", bom_enc);
    if (bom_enc && strcmp(bom_enc, "UTF-8") != 0) {
        size_t bad;
        if (pl_to_utf8(bom_enc, raw + bom, raw_len - bom, &conv, &raw_len, &bad) != 0) {
            pl_fail(err, "clean: cannot convert from %s", bom_enc);
            goto out;
        }
        raw = conv;
    } else {
        raw += bom;
        raw_len -= bom;
        size_t inv, ctl;
        s_scan_utf8(raw, raw_len, NULL, &inv, &ctl); /* counting cannot fail */
        /* Binary data stays binary whatever the encoding: refused below. */
        int binary = raw_len > 0 && (double)ctl > st->max_control_ratio * (double)raw_len;
        /* A page that is not valid UTF-8 and declares (or, undeclared, looks
         * like) another charset is in that charset, however few its
         * non-ASCII bytes: most of a page is ASCII markup. */
        char cs[64];
        int is_page = inv > 0 && pl_html_sniff(raw, raw_len);
        int declared = is_page &&
                       (pl_html_charset(raw, raw_len, cs, sizeof(cs)) ||
                        pl_guess_charset(raw, raw_len, cs, sizeof(cs))) &&
                       strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "utf8") != 0 &&
                       strcasecmp(cs, "ascii") != 0;
        if (!binary && raw_len > 0 &&
            (declared || (double)inv > st->max_invalid_ratio * (double)raw_len)) {
            if (!declared && !pl_guess_charset(raw, raw_len, cs, sizeof(cs))) {
                pl_fail(err,
                        "not UTF-8 text: %zu invalid byte sequences in %zu bytes, and its "
                        "encoding could not be detected; convert the file to UTF-8",
                        inv, raw_len);
                goto out;
            }
            size_t bad;
            int crc = pl_to_utf8(cs, raw, raw_len, &conv, &raw_len, &bad);
            if (crc == -ENOMEM) {
                pl_fail(err, "clean: out of memory");
                goto out;
            }
            if (crc != 0) {
                pl_fail(err, "not UTF-8 text, and its declared encoding \"%s\" is unknown", cs);
                goto out;
            }
            snprintf(encoding, sizeof(encoding), "%s", cs);
            raw = conv;
        }
    }

    /* A JSON export: {"title", "text" or "html", "url", "published"}. */
    size_t lead = 0;
    while (lead < raw_len && isspace((unsigned char)raw[lead]))
        lead++;
    if (lead < raw_len && raw[lead] == '{') {
        json_in = cJSON_ParseWithLength(raw, raw_len);
        const cJSON *jt = cJSON_GetObjectItemCaseSensitive(json_in, "text");
        const cJSON *jh = cJSON_GetObjectItemCaseSensitive(json_in, "html");
        if (cJSON_IsObject(json_in) && (cJSON_IsString(jt) || cJSON_IsString(jh))) {
            format = "json";
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(json_in, "title");
            if (cJSON_IsString(x) && x->valuestring[0])
                meta.title = strdup(x->valuestring);
            x = cJSON_GetObjectItemCaseSensitive(json_in, "url");
            if (cJSON_IsString(x) && x->valuestring[0])
                meta.url = strdup(x->valuestring);
            x = cJSON_GetObjectItemCaseSensitive(json_in, "published");
            if (cJSON_IsString(x) && x->valuestring[0])
                meta.published = strdup(x->valuestring);
            x = cJSON_GetObjectItemCaseSensitive(json_in, "author");
            if (cJSON_IsString(x) && x->valuestring[0])
                meta.author = strdup(x->valuestring);
            if (cJSON_IsString(jt)) {
                raw = jt->valuestring;
                raw_len = strlen(raw);
            } else {
                struct pl_html_meta hm;
                if (pl_html_extract(jh->valuestring, strlen(jh->valuestring), "UTF-8", &page,
                                    &hm) == -ENOMEM) {
                    pl_fail(err, "clean: out of memory");
                    goto out;
                }
                if (!meta.title) {
                    meta.title = hm.title;
                    hm.title = NULL;
                }
                pl_html_meta_free(&hm);
                raw = page ? page : "";
                raw_len = strlen(raw);
            }
        }
    }

    /* A web page: its main text and metadata, then the same cleaning. */
    if (!strcmp(format, "text") && pl_html_sniff(raw, raw_len)) {
        int hrc = pl_html_extract(raw, raw_len, "UTF-8", &page, &meta);
        if (hrc == -ENOMEM) {
            pl_fail(err, "clean: out of memory");
            goto out;
        }
        if (hrc == 0) {
            format = "html";
            raw = page;
            raw_len = strlen(page);
        }
    }

    size_t n, invalid, control, nuls = 0;
    for (size_t i = 0; i < raw_len; i++)
        nuls += raw[i] == '\0';
    fixed = s_repair_utf8(raw, raw_len, &n, &invalid, &control);
    if (!fixed) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }
    if (raw_len > 0 && (double)control > st->max_control_ratio * (double)raw_len) {
        pl_fail(err, "binary data, not text: %zu of %zu bytes are control characters (%zu NUL)",
                control, raw_len, nuls);
        goto out;
    }
    if (raw_len > 0 && (double)invalid > st->max_invalid_ratio * (double)raw_len) {
        pl_fail(err,
                "not UTF-8 text: %zu invalid byte sequences in %zu bytes (over %.1f%%); "
                "convert the file to UTF-8",
                invalid, raw_len, st->max_invalid_ratio * 100.0);
        goto out;
    }

    /* NFC, so one character has one byte form for every later stage. */
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)fixed, (utf8proc_ssize_t)n, &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m < 0) {
        pl_fail(err, "clean: Unicode normalisation failed: %s", utf8proc_errmsg(m));
        goto out;
    }
    nfc = (char *)mapped;

    if (s_split_blocks(nfc, (size_t)m, !strcmp(format, "text"), &bl) != 0) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }

    cJSON *removed = cJSON_CreateArray();
    if (!removed || pl_doc_set(d, "removed", removed) != 0) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }

    /* A date stamp glued before the title: " date 2025-04-10 Title". */
    char date[11] = "";
    if (bl.n > 0) {
        size_t p = s_date_prefix(bl.v[0].s, date);
        if (p > 0) {
            char *pre = strndup(bl.v[0].s, p);
            size_t k = p;
            while (pre && k > 0 && pre[k - 1] == ' ')
                pre[--k] = '\0';
            if (!pre || s_add_removed(removed, "date-prefix", pre, 0) != 0) {
                free(pre);
                pl_fail(err, "clean: out of memory");
                goto out;
            }
            free(pre);
            memmove(bl.v[0].s, bl.v[0].s + p, bl.v[0].len - p + 1);
            bl.v[0].len -= p;
            if (bl.v[0].len == 0)
                bl.v[0].reason = "date-prefix";
        }
    }

    if (s_lower_blocks(&bl) != 0) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }
    if (!meta.title)
        s_find_title(&bl);
    s_mark_boilerplate(&bl, st);
    /* Plain text may be a dump of a whole page: keep its story. */
    if (!strcmp(format, "text") && s_mark_page_region(&bl) && !meta.title) {
        int has_title = 0;
        for (size_t i = 0; i < bl.n; i++)
            has_title |= bl.v[i].is_title;
        if (!has_title)
            s_find_title(&bl);
    }

    const char *title = meta.title;
    if (meta.published && !date[0] && strlen(meta.published) >= 10 &&
        isdigit((unsigned char)meta.published[0]) && meta.published[4] == '-' &&
        meta.published[7] == '-')
        memcpy(date, meta.published, 10);
    int prev_removed = 0;
    for (size_t i = 0; i < bl.n; i++) {
        struct block *b = &bl.v[i];
        if (b->is_title) {
            title = b->s;
            prev_removed = 0;
            continue;
        }
        if (b->reason) {
            if (strcmp(b->reason, "date-prefix") != 0 &&
                s_add_removed(removed, b->reason, b->s, prev_removed) != 0) {
                pl_fail(err, "clean: out of memory");
                goto out;
            }
            prev_removed = 1;
            continue;
        }
        prev_removed = 0;
        if (text.len > 0) {
            /* Lists stay tight; everything else is a paragraph. */
            int tight = b->bullet && i > 0 && bl.v[i - 1].bullet && !bl.v[i - 1].reason;
            if (pl_buf_append(&text, tight ? "\n" : "\n\n", tight ? 1 : 2)) {
                pl_fail(err, "clean: out of memory");
                goto out;
            }
        }
        if (pl_buf_append(&text, b->s, b->len)) {
            pl_fail(err, "clean: out of memory");
            goto out;
        }
    }
    if (pl_buf_terminate(&text) != 0) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }
    if (text.len == 0) {
        if (!strcmp(format, "html"))
            pl_fail(err, "no article text: the page holds %s",
                    bl.n == 0 ? "no paragraphs of text (its content may be loaded by script)"
                              : "nothing but a title or boilerplate");
        else
            pl_fail(err, "no article text: the file holds %s",
                    bl.n == 0 ? "only white space" : "nothing but a title or boilerplate");
        goto out;
    }

    cJSON *src = cJSON_GetObjectItemCaseSensitive(d, "source");
    if (cJSON_IsObject(src)) {
        pl_doc_set(src, "invalid_utf8", cJSON_CreateNumber((double)invalid));
        pl_doc_set(src, "format", cJSON_CreateString(format));
        pl_doc_set(src, "encoding", cJSON_CreateString(encoding));
        if (meta.url)
            pl_doc_set(src, "url", cJSON_CreateString(meta.url));
    }
    if (meta.author && pl_doc_set(d, "author", cJSON_CreateString(meta.author))) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(d, "raw");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "raw_base64");
    if (pl_doc_set(d, "title", title ? cJSON_CreateString(title) : cJSON_CreateNull()) ||
        pl_doc_set(d, "text", cJSON_CreateString(text.data)) ||
        pl_doc_set(d, "language", cJSON_CreateString(s_language(text.data, text.len))) ||
        pl_doc_set(d, "published", date[0] ? cJSON_CreateString(date) : cJSON_CreateNull())) {
        pl_fail(err, "clean: out of memory");
        goto out;
    }
    rc = pl_doc_emit(d, out, out_len, err);
out:
    cJSON_Delete(d);
    free(page);
    free(conv);
    cJSON_Delete(json_in);
    pl_html_meta_free(&meta);
    free(bin);
    free(fixed);
    free(nfc);
    free(text.data);
    s_blocks_free(&bl);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "clean",
    .version = "0.1.0",
    .description = "valid UTF-8, NFC, whitespace, title and scraped-page boilerplate removal",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
