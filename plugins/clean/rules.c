/*
 * The rules that judge blocks: see rules.h. Each rule is a phrase list or
 * a shape of line, and gives the reason the block goes.
 */
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

/* --- shapes of lines ----------------------------------------------------- */

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
static int s_closed(const struct pl_block *b)
{
    char last = b->s[b->len - 1];
    if (last == ':' || last == ';' || last == ',')
        return 1;
    if (last != '.')
        return 0;
    return !(b->len >= 4 && b->s[b->len - 3] == '.' && isalpha((unsigned char)b->s[b->len - 2]));
}

/* A headline: a short line in title case without closing punctuation. */
static int s_headline_like(const struct pl_block *b)
{
    if (b->bullet || b->len == 0 || b->len > 220 || s_closed(b))
        return 0;
    struct words w;
    s_count_words(b->s, b->len, &w);
    if (w.total < 3 || w.total > 25 || !w.first_cap || w.content == 0)
        return 0;
    return w.capitalised * 10 >= w.content * 7;
}

static int s_ends_with_ellipsis(const struct pl_block *b)
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
static int s_is_comment_count(const struct pl_block *b)
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
static int s_is_tag_line(const struct pl_block *b)
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

static int s_is_credit_line(const struct pl_block *b)
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

static int s_is_call_to_action(const struct pl_block *b)
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

static int s_is_byline(const struct pl_block *b)
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
static int s_is_dateline(const struct pl_block *b)
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

/* --- marking ------------------------------------------------------------ */

/* The end of the article: a heading of related articles, comments or
 * contacts after 200 bytes of the story (blocks of 100 bytes or more: a
 * menu of short lines is no story); it and all that follows go. */
static void s_mark_article_end(struct pl_blocks *bl)
{
    size_t story = 0;
    for (size_t i = 0; i < bl->n; i++) {
        struct pl_block *b = &bl->v[i];
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
}

/* The reason a line is boilerplate by itself, or NULL. */
static const char *s_line_reason(const struct pl_block *b)
{
    if (s_is_phrase_alone(b->low, s_ui_lines) || s_is_tag_line(b))
        return "page-furniture";
    if (s_is_agency_credit(b->s))
        return "agency-credit";
    if (s_is_credit_line(b))
        return "credit";
    if (s_is_call_to_action(b))
        return "call-to-action";
    if (s_is_byline(b))
        return "byline";
    if (s_is_dateline(b))
        return "dateline";
    return NULL;
}

/* Section headings that introduce lists of other articles (with the
 * headlines under them), and the lines that are boilerplate by themselves. */
static void s_mark_lines(struct pl_blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++) {
        struct pl_block *b = &bl->v[i];
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
                struct pl_block *t = &bl->v[j];
                if (!s_headline_like(t) && !s_ends_with_ellipsis(t))
                    break;
                t->reason = "teaser";
            }
            continue;
        }
        b->reason = s_line_reason(b);
    }
}

/* Runs of unrelated headlines: min_run or more in a row anywhere, or two
 * or more at the very end after the story. A run is at the end when no
 * block after it is kept; the loop marks only the blocks of the run it is
 * on, so the end of the kept blocks is found once, not after every run. */
static void s_mark_headline_runs(struct pl_blocks *bl, int min_run)
{
    size_t kept_end = 0; /* one past the last block without a reason */
    for (size_t k = 0; k < bl->n; k++)
        if (!bl->v[k].reason)
            kept_end = k + 1;
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
        int at_end = j >= kept_end;
        if ((int)run >= min_run || (at_end && run >= 2))
            for (size_t k = i; k < j; k++)
                bl->v[k].reason = "headline-list";
        i = j;
    }
}

void pl_rules_mark_boilerplate(struct pl_blocks *bl, int min_headline_run)
{
    s_mark_article_end(bl);
    s_mark_lines(bl);
    s_mark_headline_runs(bl, min_headline_run);
}

/* --- the date prefix ----------------------------------------------------- */

int pl_rules_date_prefix(struct pl_blocks *bl, char date[11], char **prefix)
{
    *prefix = NULL;
    if (bl->n == 0)
        return 0;
    struct pl_block *b = &bl->v[0];
    size_t p = s_date_prefix(b->s, date);
    if (p == 0)
        return 0;
    char *pre = strndup(b->s, p);
    if (!pre)
        return -ENOMEM;
    size_t k = p;
    while (k > 0 && pre[k - 1] == ' ')
        pre[--k] = '\0';
    memmove(b->s, b->s + p, b->len - p + 1);
    b->len -= p;
    if (b->len == 0)
        b->reason = "date-prefix";
    *prefix = pre;
    return 0;
}

/* --- title -------------------------------------------------------------- */

void pl_rules_find_title(struct pl_blocks *bl)

{
    for (size_t i = 0; i < bl->n; i++) {
        struct pl_block *b = &bl->v[i];
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
