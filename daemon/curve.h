/*
 * ZeroMQ CURVE for tcp endpoints: the daemon is the server on every tcp
 * endpoint it binds when configured with a secret key; clients (pressline
 * sub, pressline worker) need the server's public key and use a fresh key
 * pair of their own. A client without the server's key never completes the
 * handshake and receives nothing. Keys are Z85 text (40 characters) in files.
 * Any thread (each call touches only the socket it is given).
 */
#ifndef PL_CURVE_H
#define PL_CURVE_H

#include <stddef.h>

#define PL_CURVE_KEY_LEN 40 /* Z85 text of a 32-byte key */

/* Reads a Z85 key from a file (surrounding white space ignored) into
 * out[41]. Returns 0, or with err saying what is wrong -errno (the file
 * cannot be opened) or PL_EINPUT (it holds no key). */
int pl_curve_read_key(const char *path, char out[PL_CURVE_KEY_LEN + 1], char *err, size_t errlen);

/* Makes sock a CURVE server with secret (Z85) when endpoint is tcp://;
 * does nothing for other endpoints or a NULL/empty secret. Returns 0 or -errno. */
int pl_curve_server(void *sock, const char *endpoint, const char *secret);

/* Makes sock a CURVE client of the server with public key server_public
 * (Z85), with a fresh key pair. Returns 0 or -errno. */
int pl_curve_client(void *sock, const char *server_public);

/* Writes a new key pair: <base>.secret (mode 0600) and <base>.public;
 * neither may exist. Returns 0, or -errno with err naming the file (or
 * libzmq's -ENOTSUP when it cannot make keys). */
int pl_curve_keygen(const char *base, char *err, size_t errlen);

/* The public key of a secret key (Z85), into out[41]. Returns 0 or -errno
 * (libzmq's). */
int pl_curve_public_of(const char *secret, char out[PL_CURVE_KEY_LEN + 1]);

#endif
