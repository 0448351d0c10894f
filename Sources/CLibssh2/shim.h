#ifndef CORS_AUDIT_CLIBSSH2_SHIM_H
#define CORS_AUDIT_CLIBSSH2_SHIM_H

#include <libssh2.h>
#include <openssl/evp.h>
#include <string.h>

/* libssh2's function-like macros do not import into Swift, and its macro constants that are
   expressions (shifts, casts, other macros) import poorly or not at all: wrap them here with a
   cors_ prefix so SSHClient never depends on how the C preprocessor spells them. */

/* -- sessions ----------------------------------------------------------------------------- */

/* The abstract pointer is how a C callback (keyboard-interactive) finds its Swift context. */
static inline LIBSSH2_SESSION *cors_libssh2_session_init(void *abstract) {
    return libssh2_session_init_ex(NULL, NULL, NULL, abstract);
}

static inline int cors_libssh2_session_disconnect(LIBSSH2_SESSION *session, const char *description) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, description, "");
}

/* -- authentication ----------------------------------------------------------------------- */

static inline int cors_libssh2_userauth_password(LIBSSH2_SESSION *session,
                                                 const char *username, unsigned int username_len,
                                                 const char *password, unsigned int password_len) {
    return libssh2_userauth_password_ex(session, username, username_len, password, password_len, NULL);
}

typedef void (*cors_kbdint_callback)(const char *name, int name_len,
                                     const char *instruction, int instruction_len,
                                     int num_prompts,
                                     const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                                     LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses,
                                     void **abstract);

static inline int cors_libssh2_userauth_keyboard_interactive(LIBSSH2_SESSION *session,
                                                             const char *username, unsigned int username_len,
                                                             cors_kbdint_callback callback) {
    return libssh2_userauth_keyboard_interactive_ex(session, username, username_len, callback);
}

static inline int cors_libssh2_userauth_publickey_fromfile(LIBSSH2_SESSION *session,
                                                           const char *username, unsigned int username_len,
                                                           const char *publickey, const char *privatekey,
                                                           const char *passphrase) {
    return libssh2_userauth_publickey_fromfile_ex(session, username, username_len, publickey, privatekey, passphrase);
}

/* libssh2 frees each response text with its own allocator (plain free() with the default one),
   so the answer must be malloc'ed in C, not by Swift. */
static inline void cors_kbdint_set_response(LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, int index,
                                            const char *text, unsigned int length) {
    char *copy = (char *)malloc(length + 1);
    if (copy == NULL) { responses[index].text = NULL; responses[index].length = 0; return; }
    if (length > 0 && text != NULL) memcpy(copy, text, length);
    copy[length] = '\0';
    responses[index].text = copy;
    responses[index].length = length;
}

/* -- channels ----------------------------------------------------------------------------- */

static inline LIBSSH2_CHANNEL *cors_libssh2_channel_open_session(LIBSSH2_SESSION *session) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1,
                                   LIBSSH2_CHANNEL_WINDOW_DEFAULT, LIBSSH2_CHANNEL_PACKET_DEFAULT,
                                   NULL, 0);
}

static inline int cors_libssh2_channel_request_pty(LIBSSH2_CHANNEL *channel, const char *term,
                                                   unsigned int term_len, int width, int height) {
    return libssh2_channel_request_pty_ex(channel, term, term_len, NULL, 0, width, height,
                                          LIBSSH2_TERM_WIDTH_PX, LIBSSH2_TERM_HEIGHT_PX);
}

static inline int cors_libssh2_channel_shell(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_process_startup(channel, "shell", sizeof("shell") - 1, NULL, 0);
}

static inline ssize_t cors_libssh2_channel_read(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read_ex(channel, 0, buf, len);
}

static inline ssize_t cors_libssh2_channel_read_stderr(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read_ex(channel, SSH_EXTENDED_DATA_STDERR, buf, len);
}

static inline ssize_t cors_libssh2_channel_write(LIBSSH2_CHANNEL *channel, const char *buf, size_t len) {
    return libssh2_channel_write_ex(channel, 0, buf, len);
}

/* -- constants ---------------------------------------------------------------------------- */

static const int CORS_LIBSSH2_ERROR_NONE = LIBSSH2_ERROR_NONE;
static const int CORS_LIBSSH2_ERROR_EAGAIN = LIBSSH2_ERROR_EAGAIN;
static const int CORS_LIBSSH2_ERROR_SOCKET_NONE = LIBSSH2_ERROR_SOCKET_NONE;
static const int CORS_LIBSSH2_ERROR_BANNER_RECV = LIBSSH2_ERROR_BANNER_RECV;
static const int CORS_LIBSSH2_ERROR_BANNER_SEND = LIBSSH2_ERROR_BANNER_SEND;
static const int CORS_LIBSSH2_ERROR_KEX_FAILURE = LIBSSH2_ERROR_KEX_FAILURE;
static const int CORS_LIBSSH2_ERROR_SOCKET_SEND = LIBSSH2_ERROR_SOCKET_SEND;
static const int CORS_LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE = LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE;
static const int CORS_LIBSSH2_ERROR_TIMEOUT = LIBSSH2_ERROR_TIMEOUT;
static const int CORS_LIBSSH2_ERROR_HOSTKEY_INIT = LIBSSH2_ERROR_HOSTKEY_INIT;
static const int CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT = LIBSSH2_ERROR_SOCKET_DISCONNECT;
static const int CORS_LIBSSH2_ERROR_PROTO = LIBSSH2_ERROR_PROTO;
static const int CORS_LIBSSH2_ERROR_PASSWORD_EXPIRED = LIBSSH2_ERROR_PASSWORD_EXPIRED;
static const int CORS_LIBSSH2_ERROR_FILE = LIBSSH2_ERROR_FILE;
static const int CORS_LIBSSH2_ERROR_METHOD_NONE = LIBSSH2_ERROR_METHOD_NONE;
static const int CORS_LIBSSH2_ERROR_AUTHENTICATION_FAILED = LIBSSH2_ERROR_AUTHENTICATION_FAILED;
static const int CORS_LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED = LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED;
static const int CORS_LIBSSH2_ERROR_CHANNEL_FAILURE = LIBSSH2_ERROR_CHANNEL_FAILURE;
static const int CORS_LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED = LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED;
static const int CORS_LIBSSH2_ERROR_CHANNEL_CLOSED = LIBSSH2_ERROR_CHANNEL_CLOSED;
static const int CORS_LIBSSH2_ERROR_CHANNEL_EOF_SENT = LIBSSH2_ERROR_CHANNEL_EOF_SENT;
static const int CORS_LIBSSH2_ERROR_SOCKET_TIMEOUT = LIBSSH2_ERROR_SOCKET_TIMEOUT;
static const int CORS_LIBSSH2_ERROR_REQUEST_DENIED = LIBSSH2_ERROR_REQUEST_DENIED;
static const int CORS_LIBSSH2_ERROR_METHOD_NOT_SUPPORTED = LIBSSH2_ERROR_METHOD_NOT_SUPPORTED;
static const int CORS_LIBSSH2_ERROR_SOCKET_RECV = LIBSSH2_ERROR_SOCKET_RECV;
static const int CORS_LIBSSH2_ERROR_KEYFILE_AUTH_FAILED = LIBSSH2_ERROR_KEYFILE_AUTH_FAILED;

static const int CORS_LIBSSH2_SESSION_BLOCK_INBOUND = LIBSSH2_SESSION_BLOCK_INBOUND;
static const int CORS_LIBSSH2_SESSION_BLOCK_OUTBOUND = LIBSSH2_SESSION_BLOCK_OUTBOUND;

static const int CORS_LIBSSH2_METHOD_KEX = LIBSSH2_METHOD_KEX;
static const int CORS_LIBSSH2_METHOD_HOSTKEY = LIBSSH2_METHOD_HOSTKEY;
static const int CORS_LIBSSH2_METHOD_CRYPT_CS = LIBSSH2_METHOD_CRYPT_CS;
static const int CORS_LIBSSH2_METHOD_CRYPT_SC = LIBSSH2_METHOD_CRYPT_SC;
static const int CORS_LIBSSH2_METHOD_MAC_CS = LIBSSH2_METHOD_MAC_CS;
static const int CORS_LIBSSH2_METHOD_MAC_SC = LIBSSH2_METHOD_MAC_SC;

static const int CORS_LIBSSH2_HOSTKEY_HASH_SHA256 = LIBSSH2_HOSTKEY_HASH_SHA256;
static const int CORS_LIBSSH2_HOSTKEY_HASH_SHA256_LENGTH = 32;

static const int CORS_LIBSSH2_HOSTKEY_TYPE_RSA = LIBSSH2_HOSTKEY_TYPE_RSA;
static const int CORS_LIBSSH2_HOSTKEY_TYPE_DSS = LIBSSH2_HOSTKEY_TYPE_DSS;
static const int CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_256 = LIBSSH2_HOSTKEY_TYPE_ECDSA_256;
static const int CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_384 = LIBSSH2_HOSTKEY_TYPE_ECDSA_384;
static const int CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_521 = LIBSSH2_HOSTKEY_TYPE_ECDSA_521;
static const int CORS_LIBSSH2_HOSTKEY_TYPE_ED25519 = LIBSSH2_HOSTKEY_TYPE_ED25519;

static const int CORS_LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE = LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE;

/* -- known_hosts --------------------------------------------------------------------------- */

/* HMAC-SHA1 (RFC 2104) of a hashed known_hosts name (`|1|salt|hash`), from the libcrypto libssh2
   already links (Debian's libssh2-1-dev depends on libssl-dev). `sha1` is fetched once by the caller
   (EVP_MD_fetch): OpenSSL 3's one-shot HMAC() looks the algorithms up on every call, ten times the
   cost, and a run checks every hashed line for every node. Keys up to one block (salts are 20 bytes).
   1 on success, 0 on failure. */
static inline int cors_hmac_sha1(const EVP_MD *sha1, const unsigned char *key, int key_len,
                                 const unsigned char *data, size_t data_len, unsigned char out[20]) {
    unsigned char pad[64], inner[20];
    unsigned int length = 0;
    int ok = sha1 != NULL && key_len >= 0 && key_len <= 64;
    EVP_MD_CTX *context = ok ? EVP_MD_CTX_new() : NULL;
    ok = context != NULL;
    memset(pad, 0x36, sizeof pad);
    for (int i = 0; ok && i < key_len; i++) pad[i] ^= key[i];
    ok = ok && EVP_DigestInit_ex(context, sha1, NULL) && EVP_DigestUpdate(context, pad, sizeof pad)
         && EVP_DigestUpdate(context, data, data_len) && EVP_DigestFinal_ex(context, inner, &length) && length == 20;
    memset(pad, 0x5c, sizeof pad);
    for (int i = 0; ok && i < key_len; i++) pad[i] ^= key[i];
    ok = ok && EVP_DigestInit_ex(context, sha1, NULL) && EVP_DigestUpdate(context, pad, sizeof pad)
         && EVP_DigestUpdate(context, inner, sizeof inner) && EVP_DigestFinal_ex(context, out, &length) && length == 20;
    if (context != NULL) EVP_MD_CTX_free(context);
    return ok;
}

#endif
