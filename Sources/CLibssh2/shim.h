#ifndef CORS_AUDIT_CLIBSSH2_SHIM_H
#define CORS_AUDIT_CLIBSSH2_SHIM_H

#include <libssh2.h>

/* libssh2's function-like macros do not import into Swift: wrap them here. */

static inline LIBSSH2_SESSION *cors_libssh2_session_init(void) {
    return libssh2_session_init_ex(NULL, NULL, NULL, NULL);
}

static inline LIBSSH2_CHANNEL *cors_libssh2_channel_open_session(LIBSSH2_SESSION *session) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1,
                                   LIBSSH2_CHANNEL_WINDOW_DEFAULT, LIBSSH2_CHANNEL_PACKET_DEFAULT,
                                   NULL, 0);
}

static inline ssize_t cors_libssh2_channel_read(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read_ex(channel, 0, buf, len);
}

static inline ssize_t cors_libssh2_channel_write(LIBSSH2_CHANNEL *channel, const char *buf, size_t len) {
    return libssh2_channel_write_ex(channel, 0, buf, len);
}

static const int CORS_LIBSSH2_ERROR_EAGAIN = LIBSSH2_ERROR_EAGAIN;

#endif
