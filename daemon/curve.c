/* CURVE helpers; see curve.h. */
#include "curve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"

int pl_curve_read_key(const char *path, char out[PL_CURVE_KEY_LEN + 1], char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        char eb[128];
        snprintf(err, errlen, "cannot read the key file %s: %s", path,
                 pl_strerror(e, eb, sizeof(eb)));
        return -e;
    }
    char buf[128];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    unsigned char raw[32];
    if (len != PL_CURVE_KEY_LEN || !zmq_z85_decode(raw, s)) {
        snprintf(err, errlen,
                 "%s does not hold a CURVE key (40 characters of Z85 text, as "
                 "pressline keygen writes)",
                 path);
        return PL_EINPUT;
    }
    memcpy(out, s, PL_CURVE_KEY_LEN + 1);
    return 0;
}

int pl_curve_server(void *sock, const char *endpoint, const char *secret)
{
    if (!secret || !*secret || strncmp(endpoint, "tcp://", 6) != 0)
        return 0;
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, PL_CURVE_KEY_LEN) != 0)
        return -zmq_errno();
    return 0;
}

int pl_curve_client(void *sock, const char *server_public)
{
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public, PL_CURVE_KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, PL_CURVE_KEY_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, PL_CURVE_KEY_LEN) != 0)
        return -zmq_errno();
    return 0;
}

int pl_curve_public_of(const char *secret, char out[PL_CURVE_KEY_LEN + 1])
{
    return zmq_curve_public(out, secret) == 0 ? 0 : -zmq_errno();
}

static int s_write(const char *path, const char *key, mode_t mode, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        char eb[128];
        snprintf(err, errlen, "cannot create %s: %s", path, pl_strerror(e, eb, sizeof(eb)));
        return -e;
    }
    char line[48];
    int n = snprintf(line, sizeof(line), "%s\n", key);
    ssize_t w = write(fd, line, (size_t)n);
    /* A short write of 41 bytes to a new file means the disk is full. */
    int rc = w < 0 ? -errno : w != n ? -ENOSPC : 0;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return rc;
    }
    return 0;
}

int pl_curve_keygen(const char *base, char *err, size_t errlen)
{
    char pub[41], sec[41], path[4096];
    if (zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errlen, "this libzmq cannot make CURVE keys (built without libsodium?)");
        return -zmq_errno();
    }
    snprintf(path, sizeof(path), "%s.secret", base);
    int rc = s_write(path, sec, 0600, err, errlen);
    if (rc != 0)
        return rc;
    snprintf(path, sizeof(path), "%s.public", base);
    return s_write(path, pub, 0644, err, errlen);
}
