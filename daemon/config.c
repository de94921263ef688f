/* Configuration; see config.h. */
#include "config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "curve.h"
#include "log.h"

#define PL_CONFIG_MAX_BYTES (1024 * 1024)

/* Writes the message for an invalid configuration into err. Returns
 * PL_ECONFIG. */
static int s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return PL_ECONFIG;
}

static int s_oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

/* Checks that every key of `user` exists in `def`, recursively for objects;
 * stage entries are checked against the first default stage. */
static int s_check_keys(const cJSON *user, const cJSON *def, const char *path, const char *origin,
                        char *err, size_t errlen)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, user)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", it->string);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(def, it->string);
        if (!d)
            return s_err(err, errlen, "%s: unknown key \"%s\"", origin, sub);
        if (cJSON_IsObject(d) && strcmp(it->string, "options") != 0) {
            if (!cJSON_IsObject(it))
                return s_err(err, errlen, "%s: \"%s\" must be an object", origin, sub);
            int rc = s_check_keys(it, d, sub, origin, err, errlen);
            if (rc != 0)
                return rc;
        }
        if (cJSON_IsArray(d) && strcmp(it->string, "stages") == 0) {
            if (!cJSON_IsArray(it))
                return s_err(err, errlen, "%s: \"%s\" must be an array", origin, sub);
            const cJSON *proto = cJSON_GetArrayItem(d, 0);
            int i = 0;
            const cJSON *st;
            cJSON_ArrayForEach(st, it)
            {
                char sp[280];
                snprintf(sp, sizeof(sp), "%s[%d]", sub, i++);
                if (!cJSON_IsObject(st))
                    return s_err(err, errlen, "%s: \"%s\" must be an object", origin, sp);
                int rc = s_check_keys(st, proto, sp, origin, err, errlen);
                if (rc != 0)
                    return rc;
            }
        }
    }
    return 0;
}

/* Lays `user` over `def` (objects merge, everything else replaces).
 * Returns 0 or -ENOMEM. */
static int s_merge(cJSON *def, const cJSON *user)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, user)
    {
        cJSON *d = cJSON_GetObjectItemCaseSensitive(def, it->string);
        if (d && cJSON_IsObject(d) && cJSON_IsObject(it) && strcmp(it->string, "options") != 0) {
            if (s_merge(d, it) != 0)
                return -ENOMEM;
            continue;
        }
        cJSON *copy = cJSON_Duplicate(it, 1);
        if (!copy)
            return -ENOMEM;
        if (d)
            cJSON_ReplaceItemInObjectCaseSensitive(def, it->string, copy);
        else if (!cJSON_AddItemToObject(def, it->string, copy)) {
            cJSON_Delete(copy);
            return -ENOMEM;
        }
    }
    return 0;
}

struct reader {
    const char *origin;
    char *err;
    size_t errlen;
    int rc; /* 0, or the first failure: PL_ECONFIG or -ENOMEM (err says which key) */
};

static char *s_str(struct reader *r, const cJSON *obj, const char *key, const char *path,
                   bool allow_empty)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (r->rc)
        return NULL;
    if (!cJSON_IsString(v) || (!allow_empty && !*v->valuestring)) {
        r->rc = s_err(r->err, r->errlen, "%s: \"%s\" must be a %sstring", r->origin, path,
                      allow_empty ? "" : "non-empty ");
        return NULL;
    }
    char *s = strdup(v->valuestring);
    if (!s) {
        r->rc = s_oom(r->err, r->errlen);
    }
    return s;
}

static long long s_int(struct reader *r, const cJSON *obj, const char *key, const char *path,
                       long long lo, long long hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (r->rc)
        return lo;
    /* Range first: casting an out-of-range double to an integer is undefined. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
        v->valuedouble != (double)(long long)v->valuedouble) {
        r->rc = s_err(r->err, r->errlen, "%s: \"%s\" must be an integer from %lld to %lld",
                      r->origin, path, lo, hi);
        return lo;
    }
    return (long long)v->valuedouble;
}

static bool s_bool(struct reader *r, const cJSON *obj, const char *key, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (r->rc)
        return false;
    if (!cJSON_IsBool(v)) {
        r->rc = s_err(r->err, r->errlen, "%s: \"%s\" must be true or false", r->origin, path);
        return false;
    }
    return cJSON_IsTrue(v);
}

/* Whether a tcp:// endpoint ends in ":<port>" with a port from 1 to 65535.
 * ZeroMQ reads a port it cannot parse (99999, "*") as "any free port", and
 * nobody could then find the socket. */
static bool s_tcp_port_ok(const char *ep)
{
    const char *colon = strrchr(ep, ':');
    if (!colon || colon < ep + 6 || !colon[1])
        return false;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || (port = port * 10 + (*p - '0')) > 65535)
            return false;
    }
    return port >= 1;
}

static int s_check_endpoint(struct reader *r, const char *ep, const char *path)
{
    if (r->rc)
        return r->rc;
    if (strncmp(ep, "inproc://", 9) && strncmp(ep, "ipc://", 6) && strncmp(ep, "tcp://", 6)) {
        return r->rc =
                   s_err(r->err, r->errlen,
                         "%s: \"%s\" must be an inproc://, ipc:// or tcp:// endpoint, not \"%s\"",
                         r->origin, path, ep);
    }
    if (!strncmp(ep, "tcp://", 6) && !s_tcp_port_ok(ep)) {
        return r->rc = s_err(r->err, r->errlen,
                             "%s: \"%s\" must end in a port from 1 to 65535 (tcp://host:port), "
                             "not \"%s\"",
                             r->origin, path, ep);
    }
    return 0;
}

void pl_config_free(struct pl_config **pcfg)
{
    struct pl_config *c = *pcfg;
    if (!c)
        return;
    free(c->inbox);
    free(c->outbox);
    free(c->spool);
    free(c->done);
    free(c->failed);
    free(c->plugin_dir);
    free(c->pub_endpoint);
    free(c->replay_endpoint);
    free(c->http_listen);
    for (size_t i = 0; i < c->nstages; i++) {
        struct pl_stage_cfg *s = &c->stages[i];
        free(s->name);
        free(s->plugin);
        free(s->plugin_path);
        free(s->endpoint);
        free(s->options_json);
    }
    free(c->stages);
    free(c);
    *pcfg = NULL;
}

/* The folders, what happens to a source after success, the log level and
 * the plugin folder ("" means next to the executable in exe_dir). */
static void s_read_paths(struct reader *r, const cJSON *j, const char *exe_dir, struct pl_config *c)
{
    c->inbox = s_str(r, j, "inbox", "inbox", false);
    c->outbox = s_str(r, j, "outbox", "outbox", false);
    c->spool = s_str(r, j, "spool", "spool", false);
    c->done = s_str(r, j, "done", "done", false);
    c->failed = s_str(r, j, "failed", "failed", false);
    char *onsucc = s_str(r, j, "on_success", "on_success", false);
    if (onsucc && strcmp(onsucc, "move") && strcmp(onsucc, "delete")) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"on_success\" must be \"move\" or \"delete\", not \"%s\"", r->origin,
                      onsucc);
    }
    c->delete_on_success = onsucc && strcmp(onsucc, "delete") == 0;
    free(onsucc);
    char *lvl = s_str(r, j, "log_level", "log_level", false);
    if (lvl) {
        c->log_level = pl_log_level_parse(lvl);
        if (c->log_level < 0) {
            r->rc = s_err(
                r->err, r->errlen,
                "%s: \"log_level\" must be \"error\", \"warn\", \"info\" or \"debug\", not \"%s\"",
                r->origin, lvl);
        }
    }
    free(lvl);
    c->plugin_dir = s_str(r, j, "plugin_dir", "plugin_dir", true);
    if (c->plugin_dir && !*c->plugin_dir) {
        free(c->plugin_dir);
        size_t n = strlen(exe_dir) + 32;
        c->plugin_dir = malloc(n);
        if (c->plugin_dir) {
            snprintf(c->plugin_dir, n, "%s/../lib/pressline", exe_dir);
        } else {
            r->rc = s_oom(r->err, r->errlen);
        }
    }
}

/* "publish": the PUB endpoint, the replay endpoint, the HWM and the status
 * interval. */
static void s_read_publish(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(j, "publish");
    c->pub_endpoint = s_str(r, pub, "endpoint", "publish.endpoint", false);
    if (c->pub_endpoint && !strncmp(c->pub_endpoint, "inproc://", 9)) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"publish.endpoint\" must be ipc:// or tcp:// (subscribers run "
                      "in other processes)",
                      r->origin);
    }
    if (c->pub_endpoint)
        s_check_endpoint(r, c->pub_endpoint, "publish.endpoint");
    c->replay_endpoint = s_str(r, pub, "replay_endpoint", "publish.replay_endpoint", true);
    if (c->replay_endpoint && *c->replay_endpoint) {
        if (!strncmp(c->replay_endpoint, "inproc://", 9)) {
            r->rc = s_err(r->err, r->errlen,
                          "%s: \"publish.replay_endpoint\" must be ipc:// or tcp://", r->origin);
        }
        s_check_endpoint(r, c->replay_endpoint, "publish.replay_endpoint");
        if (!r->rc && c->pub_endpoint && !strcmp(c->pub_endpoint, c->replay_endpoint)) {
            r->rc = s_err(r->err, r->errlen,
                          "%s: \"publish.replay_endpoint\" must differ from \"publish.endpoint\"",
                          r->origin);
        }
    }
    c->pub_hwm = (int)s_int(r, pub, "hwm", "publish.hwm", 1, 10000000);
    c->status_interval_ms =
        (int)s_int(r, pub, "status_interval_ms", "publish.status_interval_ms", 0, 3600000);
}

/* "limits" and "watch". */
static void s_read_limits(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(j, "limits");
    c->max_bytes = (size_t)s_int(r, lim, "max_bytes", "limits.max_bytes", 1, 1LL << 31);
    c->max_in_flight = (int)s_int(r, lim, "max_in_flight", "limits.max_in_flight", 1, 100000);
    c->max_queued = (int)s_int(r, lim, "max_queued", "limits.max_queued", 2, 10000000);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "watch");
    c->settle_ms = (int)s_int(r, w, "settle_ms", "watch.settle_ms", 0, 600000);
    c->rescan_interval_ms =
        (int)s_int(r, w, "rescan_interval_ms", "watch.rescan_interval_ms", 100, 3600000);
    c->follow_symlinks = s_bool(r, w, "follow_symlinks", "watch.follow_symlinks");
    char *mode = s_str(r, w, "mode", "watch.mode", false);
    if (mode && !strcmp(mode, "inotify"))
        c->watch_mode = PL_WATCH_INOTIFY;
    else if (mode && !strcmp(mode, "poll"))
        c->watch_mode = PL_WATCH_POLL;
    else if (mode && strcmp(mode, "auto")) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"watch.mode\" must be \"auto\", \"inotify\" or \"poll\", not \"%s\"",
                      r->origin, mode);
    }
    free(mode);
    c->poll_interval_ms =
        (int)s_int(r, w, "poll_interval_ms", "watch.poll_interval_ms", 50, 3600000);
}

int pl_listen_parse(const char *text, char host[PL_LISTEN_HOST_MAX], int *port)
{
    const char *colon = strrchr(text, ':');
    const char *h = text, *hend = colon;
    if (!colon || !colon[1])
        return PL_EINPUT;
    if (*text == '[') {
        /* "[v6]:port": the brackets keep the address's own colons apart. */
        if (colon == text || colon[-1] != ']')
            return PL_EINPUT;
        h = text + 1;
        hend = colon - 1;
    }
    size_t hlen = (size_t)(hend - h);
    if (hlen == 0 || hlen >= PL_LISTEN_HOST_MAX)
        return PL_EINPUT;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    long p = 0;
    for (const char *q = colon + 1; *q; q++)
        if (*q < '0' || *q > '9' || (p = p * 10 + (*q - '0')) > 65535)
            return PL_EINPUT;
    if (p < 1)
        return PL_EINPUT;
    /* Addresses only (and localhost): a name would need a resolver at
     * start, and could mean another host than the one the check saw. */
    unsigned char addr[16];
    bool ok = *text == '[' ? inet_pton(AF_INET6, host, addr) == 1
                           : !strcmp(host, "localhost") || inet_pton(AF_INET, host, addr) == 1;
    if (!ok)
        return PL_EINPUT;
    *port = (int)p;
    return 0;
}

bool pl_listen_is_loopback(const char *host)
{
    unsigned char a[16];
    if (!strcmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    static const unsigned char v6_loopback[16] = { [15] = 1 };
    return inet_pton(AF_INET6, host, a) == 1 && !memcmp(a, v6_loopback, 16);
}

int pl_listen_sockaddr(const char *host, int port, struct sockaddr_storage *ss, unsigned *len)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a);
        return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -EINVAL;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof(*a);
    return inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &a->sin_addr) == 1
               ? 0
               : -EINVAL;
}

/* "http": the address of the metrics and probe endpoint. Anything but
 * loopback must be asked for with http.allow_remote: /metrics tells who
 * runs what, and nothing on it is authenticated. */
static void s_read_http(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "http");
    c->http_listen = s_str(r, h, "listen", "http.listen", true);
    c->http_allow_remote = s_bool(r, h, "allow_remote", "http.allow_remote");
    if (r->rc || !c->http_listen || !*c->http_listen)
        return;
    char host[PL_LISTEN_HOST_MAX];
    int port;
    if (pl_listen_parse(c->http_listen, host, &port) != 0) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"http.listen\" must be \"\" (off) or ADDRESS:PORT with an IPv4 "
                      "address, [IPv6 address] or localhost and a port from 1 to 65535, not "
                      "\"%s\"",
                      r->origin, c->http_listen);
    } else if (!c->http_allow_remote && !pl_listen_is_loopback(host)) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"http.listen\" is %s, which is not a loopback address; set "
                      "\"http.allow_remote\": true to serve metrics and probes to other hosts",
                      r->origin, c->http_listen);
    }
}

/* "security": the CURVE secret key file, read now so a bad key stops the
 * start with the file's name. */
static void s_read_security(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(j, "security");
    char *keyfile = s_str(r, sec, "curve_secret_key_file", "security.curve_secret_key_file", true);
    if (keyfile && *keyfile && !r->rc) {
        char kerr[512];
        int krc = pl_curve_read_key(keyfile, c->curve_secret, kerr, sizeof(kerr));
        if (krc == 0 && (krc = pl_curve_public_of(c->curve_secret, c->curve_public)) != 0)
            pl_strerror(krc, kerr, sizeof(kerr));
        if (krc != 0) {
            /* The key file's own code: -errno when unreadable, PL_EINPUT
             * when it holds no key. */
            s_err(r->err, r->errlen, "%s: security.curve_secret_key_file: %s", r->origin, kerr);
            r->rc = krc;
        }
    }
    free(keyfile);
}

/* "workers": the process workers' heartbeat and when silence means dead. */
static void s_read_workers(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *wk = cJSON_GetObjectItemCaseSensitive(j, "workers");
    c->worker_heartbeat_ms = (int)s_int(r, wk, "heartbeat_ms", "workers.heartbeat_ms", 10, 60000);
    c->worker_dead_after_ms =
        (int)s_int(r, wk, "dead_after_ms", "workers.dead_after_ms", 20, 600000);
    if (!r->rc && c->worker_dead_after_ms <= 2 * c->worker_heartbeat_ms) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: \"workers.dead_after_ms\" (%d) must be more than twice "
                      "\"workers.heartbeat_ms\" (%d)",
                      r->origin, c->worker_dead_after_ms, c->worker_heartbeat_ms);
    }
}

/* Stage i's own keys, with their defaults. */
static void s_read_stage_keys(struct reader *r, const cJSON *s, int i, struct pl_stage_cfg *sc)
{
    char p[64];
    snprintf(p, sizeof(p), "stages[%d].name", i);
    sc->name = s_str(r, s, "name", p, false);
    /* Metrics labels, log lines and the counters kept across reloads hold
     * a stage's name in PL_STAGE_NAME_MAX bytes: a longer one would be cut
     * and no longer match itself. */
    if (!r->rc && sc->name && strlen(sc->name) >= PL_STAGE_NAME_MAX)
        r->rc = s_err(r->err, r->errlen, "%s: \"%s\" must be at most %d bytes", r->origin, p,
                      PL_STAGE_NAME_MAX - 1);
    snprintf(p, sizeof(p), "stages[%d].plugin", i);
    sc->plugin = cJSON_GetObjectItemCaseSensitive(s, "plugin")
                     ? s_str(r, s, "plugin", p, false)
                     : (sc->name ? strdup(sc->name) : NULL);
    snprintf(p, sizeof(p), "stages[%d].endpoint", i);
    if (cJSON_GetObjectItemCaseSensitive(s, "endpoint")) {
        sc->endpoint = s_str(r, s, "endpoint", p, false);
    } else if (sc->name) {
        size_t len = strlen(sc->name) + 32;
        sc->endpoint = malloc(len);
        if (sc->endpoint)
            snprintf(sc->endpoint, len, "inproc://pressline-%s", sc->name);
    }
    if (!r->rc && (!sc->plugin || !sc->endpoint)) {
        r->rc = s_oom(r->err, r->errlen);
    }
    if (sc->endpoint)
        s_check_endpoint(r, sc->endpoint, p);
    snprintf(p, sizeof(p), "stages[%d].workers", i);
    sc->workers =
        cJSON_GetObjectItemCaseSensitive(s, "workers") ? (int)s_int(r, s, "workers", p, 1, 256) : 1;
    snprintf(p, sizeof(p), "stages[%d].timeout_ms", i);
    sc->timeout_ms = cJSON_GetObjectItemCaseSensitive(s, "timeout_ms")
                         ? (int)s_int(r, s, "timeout_ms", p, 1, 3600000)
                         : 10000;
    snprintf(p, sizeof(p), "stages[%d].timeout_ms_per_mb", i);
    sc->timeout_ms_per_mb = cJSON_GetObjectItemCaseSensitive(s, "timeout_ms_per_mb")
                                ? (int)s_int(r, s, "timeout_ms_per_mb", p, 0, 3600000)
                                : PL_STAGE_TIMEOUT_MS_PER_MB;
    snprintf(p, sizeof(p), "stages[%d].max_attempts", i);
    sc->max_attempts = cJSON_GetObjectItemCaseSensitive(s, "max_attempts")
                           ? (int)s_int(r, s, "max_attempts", p, 1, 100)
                           : 3;
    snprintf(p, sizeof(p), "stages[%d].prefetch", i);
    sc->prefetch = cJSON_GetObjectItemCaseSensitive(s, "prefetch")
                       ? (int)s_int(r, s, "prefetch", p, 1, PL_STAGE_PREFETCH_MAX)
                       : PL_STAGE_PREFETCH;
}

/* Stage i's "spawn", and the endpoint it needs. */
static void s_read_stage_spawn(struct reader *r, const cJSON *s, int i, struct pl_stage_cfg *sc)
{
    char p[64];
    snprintf(p, sizeof(p), "stages[%d].spawn", i);
    sc->spawn = PL_SPAWN_THREAD;
    if (cJSON_GetObjectItemCaseSensitive(s, "spawn")) {
        char *sp = s_str(r, s, "spawn", p, false);
        if (sp && !strcmp(sp, "process"))
            sc->spawn = PL_SPAWN_PROCESS;
        else if (sp && !strcmp(sp, "none"))
            sc->spawn = PL_SPAWN_NONE;
        else if (sp && strcmp(sp, "thread")) {
            r->rc = s_err(r->err, r->errlen,
                          "%s: \"%s\" must be \"thread\", \"process\" or \"none\", "
                          "not \"%s\"",
                          r->origin, p, sp);
        }
        free(sp);
    }
    if (!r->rc && sc->spawn != PL_SPAWN_THREAD && sc->endpoint &&
        !strncmp(sc->endpoint, "inproc://", 9)) {
        r->rc = s_err(r->err, r->errlen,
                      "%s: stage \"%s\" has spawn \"%s\" but an inproc:// endpoint; "
                      "workers in other processes need ipc:// or tcp://",
                      r->origin, sc->name ? sc->name : "?",
                      sc->spawn == PL_SPAWN_PROCESS ? "process" : "none");
    }
}

/* Stage i's "options", kept as JSON text for the plugin's init(). */
static void s_read_stage_options(struct reader *r, const cJSON *s, int i, struct pl_stage_cfg *sc)
{
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(s, "options");
    if (!r->rc && opt && !cJSON_IsObject(opt)) {
        r->rc =
            s_err(r->err, r->errlen, "%s: \"stages[%d].options\" must be an object", r->origin, i);
    }
    if (!r->rc) {
        sc->options_json = opt ? cJSON_PrintUnformatted(opt) : strdup("{}");
        if (!sc->options_json) {
            r->rc = s_oom(r->err, r->errlen);
        }
    }
}

/* Stage i against the stages before it: names and endpoints are unique. */
static void s_check_stage_unique(struct reader *r, const struct pl_config *c, int i)
{
    const struct pl_stage_cfg *sc = &c->stages[i];
    if (r->rc)
        return;
    for (int k = 0; k < i; k++) {
        if (strcmp(c->stages[k].name, sc->name) == 0) {
            r->rc = s_err(r->err, r->errlen, "%s: stage name \"%s\" is used twice", r->origin,
                          sc->name);
        } else if (strcmp(c->stages[k].endpoint, sc->endpoint) == 0) {
            r->rc = s_err(r->err, r->errlen, "%s: stages \"%s\" and \"%s\" share the endpoint %s",
                          r->origin, c->stages[k].name, sc->name, sc->endpoint);
        }
    }
}

/* Where stage sc's shared object is. */
static void s_resolve_plugin(struct reader *r, const struct pl_config *c, struct pl_stage_cfg *sc)
{
    if (r->rc)
        return;
    /* A bare name is looked up in plugin_dir; anything with a slash
     * is a path. */
    size_t len = strlen(c->plugin_dir) + strlen(sc->plugin) + 8;
    sc->plugin_path = malloc(len);
    if (!sc->plugin_path) {
        r->rc = s_oom(r->err, r->errlen);
    } else if (strchr(sc->plugin, '/')) {
        snprintf(sc->plugin_path, len, "%s", sc->plugin);
    } else {
        snprintf(sc->plugin_path, len, "%s/%s.so", c->plugin_dir, sc->plugin);
    }
}

/* The stories stage keeps its database in the spool's folder unless its
 * options say where: the plugin sees no spool path of its own, so the
 * daemon fills "db" in before init (plugins/stories/stories.c). */
static void s_default_stories_db(struct reader *r, const struct pl_config *c,
                                 struct pl_stage_cfg *sc)
{
    if (r->rc || !sc->plugin)
        return; /* an error was reported already */
    const char *base = strrchr(sc->plugin, '/');
    base = base ? base + 1 : sc->plugin;
    if (strcmp(base, "stories") != 0 && strcmp(base, "stories.so") != 0)
        return;
    cJSON *opt = cJSON_Parse(sc->options_json);
    if (!opt || cJSON_GetObjectItemCaseSensitive(opt, "db")) {
        cJSON_Delete(opt);
        return;
    }
    char db[PATH_MAX];
    snprintf(db, sizeof(db), "%s/stories.db", c->spool);
    char *json = NULL;
    if (cJSON_AddStringToObject(opt, "db", db) && (json = cJSON_PrintUnformatted(opt))) {
        free(sc->options_json);
        sc->options_json = json;
        sc->db_default = true;
    } else {
        r->rc = s_oom(r->err, r->errlen);
    }
    cJSON_Delete(opt);
}

/* "stages": at least one, at most PL_MAX_STAGES, each read in full. */
static void s_read_stages(struct reader *r, const cJSON *j, struct pl_config *c)
{
    const cJSON *stages = cJSON_GetObjectItemCaseSensitive(j, "stages");
    int n = cJSON_GetArraySize(stages);
    if (!r->rc && n == 0) {
        r->rc = s_err(r->err, r->errlen, "%s: \"stages\" must list at least one stage", r->origin);
    }
    if (!r->rc && n > PL_MAX_STAGES) {
        r->rc = s_err(r->err, r->errlen, "%s: \"stages\" lists %d stages; at most %d are supported",
                      r->origin, n, PL_MAX_STAGES);
    }
    if (!r->rc) {
        c->stages = calloc((size_t)n, sizeof(*c->stages));
        if (!c->stages) {
            r->rc = s_oom(r->err, r->errlen);
        }
    }
    for (int i = 0; !r->rc && i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(stages, i);
        struct pl_stage_cfg *sc = &c->stages[i];
        c->nstages++;
        s_read_stage_keys(r, s, i, sc);
        s_read_stage_spawn(r, s, i, sc);
        s_read_stage_options(r, s, i, sc);
        s_check_stage_unique(r, c, i);
        s_resolve_plugin(r, c, sc);
        s_default_stories_db(r, c, sc);
    }
}

/* Reads the merged configuration j into a new pl_config, section by
 * section; the first error is the one reported, as every reader does
 * nothing more once r.rc is set. */
static int s_build(const cJSON *j, const char *origin, const char *exe_dir, struct pl_config **out,
                   char *err, size_t errlen)
{
    struct reader r = { .origin = origin, .err = err, .errlen = errlen };
    struct pl_config *c = calloc(1, sizeof(*c));
    if (!c)
        return s_oom(err, errlen);
    s_read_paths(&r, j, exe_dir, c);
    s_read_publish(&r, j, c);
    s_read_limits(&r, j, c);
    s_read_http(&r, j, c);
    s_read_security(&r, j, c);
    c->durable = s_bool(&r, j, "durable", "durable");
    s_read_workers(&r, j, c);
    c->shutdown_timeout_ms =
        (int)s_int(&r, j, "shutdown_timeout_ms", "shutdown_timeout_ms", 0, 3600000);
    s_read_stages(&r, j, c);
    if (r.rc) {
        pl_config_free(&c);
        return r.rc;
    }
    *out = c;
    return 0;
}

int pl_config_load_text(const char *json, const char *origin, const char *exe_dir,
                        struct pl_config **out, char *err, size_t errlen)
{
    cJSON *def = cJSON_Parse(pl_default_config_json);
    if (!def)
        return s_err(err, errlen, "the built-in default configuration does not parse");
    int rc = PL_ECONFIG;
    cJSON *user = NULL;
    if (json) {
        user = cJSON_Parse(json);
        if (!user) {
            const char *at = cJSON_GetErrorPtr();
            int line = 1;
            for (const char *p = json; at && p < at; p++)
                line += *p == '\n';
            s_err(err, errlen, "%s: not valid JSON (near line %d)", origin, line);
            goto out;
        }
        if (!cJSON_IsObject(user)) {
            s_err(err, errlen, "%s: the configuration must be a JSON object", origin);
            goto out;
        }
        if ((rc = s_check_keys(user, def, "", origin, err, errlen)) != 0)
            goto out;
        if ((rc = s_merge(def, user)) != 0) {
            s_oom(err, errlen);
            goto out;
        }
    }
    rc = s_build(def, origin, exe_dir, out, err, errlen);
out:
    cJSON_Delete(def);
    cJSON_Delete(user);
    return rc;
}

int pl_config_load(const char *path, const char *exe_dir, struct pl_config **out, char *err,
                   size_t errlen)
{
    char here[4096];
    if (!exe_dir) {
        size_t n = sizeof(here);
        char *slash;
        if (uv_exepath(here, &n) != 0)
            snprintf(here, sizeof(here), ".");
        else if ((slash = strrchr(here, '/')))
            *slash = '\0';
        exe_dir = here;
    }
    if (!path)
        return pl_config_load_text(NULL, "built-in default configuration", exe_dir, out, err,
                                   errlen);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        char eb[128];
        s_err(err, errlen, "cannot open configuration %s: %s", path,
              pl_strerror(e, eb, sizeof(eb)));
        return -e;
    }
    char *buf = malloc(PL_CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, PL_CONFIG_MAX_BYTES + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!buf)
        return s_oom(err, errlen);
    if (rerr || n > PL_CONFIG_MAX_BYTES) {
        free(buf);
        s_err(err, errlen, "cannot read configuration %s: %s", path,
              rerr ? "read error" : "larger than 1 MiB");
        return rerr ? -EIO : -EFBIG;
    }
    buf[n] = '\0';
    int rc = pl_config_load_text(buf, path, exe_dir, out, err, errlen);
    free(buf);
    return rc;
}

/* Checks that `path` (the value of `key`) is a folder or is missing (the
 * daemon creates it at start). */
static int s_check_folder(const char *key, const char *path, const char *origin, char *err,
                          size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return s_err(err, errlen, "%s: \"%s\" is %s, which exists and is not a folder", origin,
                         key, path);
    } else if (errno == ENOTDIR) {
        return s_err(err, errlen, "%s: \"%s\" is %s, where a part of the path is not a folder",
                     origin, key, path);
    }
    return 0;
}

int pl_config_check_folders(const struct pl_config *cfg, const char *origin, char *err,
                            size_t errlen)
{
    char work[4096];
    snprintf(work, sizeof(work), "%s/work", cfg->spool);
    const struct {
        const char *key, *path;
    } dirs[] = {
        { "inbox", cfg->inbox },   { "outbox", cfg->outbox },
        { "spool", cfg->spool },   { "spool", work },
        { "failed", cfg->failed }, { "done", cfg->delete_on_success ? NULL : cfg->done },
    };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        int rc = dirs[i].path ? s_check_folder(dirs[i].key, dirs[i].path, origin, err, errlen) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

struct pl_config *pl_config_load_for(const char *path, const char *cmd)
{
    char err[1024];
    struct pl_config *cfg = NULL;
    if (pl_config_load(path, NULL, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline %s: %s\n", cmd, err);
        return NULL;
    }
    pl_log_set_level(PL_LOG_WARN);
    return cfg;
}

int pl_config_set_stage_options(struct pl_config *cfg, const char *name, const char *json)
{
    for (size_t i = 0; i < cfg->nstages; i++)
        if (!strcmp(cfg->stages[i].name, name)) {
            char *copy = strdup(json);
            if (!copy)
                return -ENOMEM;
            free(cfg->stages[i].options_json);
            cfg->stages[i].options_json = copy;
            cfg->stages[i].db_default = false; /* what is given now is the caller's */
            return 0;
        }
    return PL_ECONFIG;
}

int pl_config_load_checked(const char *path, const char *exe_dir, struct pl_config **out, char *err,
                           size_t errlen)
{
    struct pl_config *cfg = NULL;
    int rc = pl_config_load(path, exe_dir, &cfg, err, errlen);
    if (rc != 0)
        return rc;
    rc = pl_config_check_folders(cfg, path ? path : "built-in default configuration", err, errlen);
    if (rc != 0) {
        pl_config_free(&cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}
