/*
 * client_redact: JSON for the HTTP trace with every secret replaced by "[redacted]".
 * Private to the client.
 */
#ifndef SWH_CLIENT_REDACT_H
#define SWH_CLIENT_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SWH_REDACTED "[redacted]"

/* Whether a JSON key names a secret: secret, client_secret, access_token, key_secret,
   authorization, password (any case). */
bool swh_key_is_secret(const char *key);

/*
 * The compact JSON text of value with the value of every secret key, at any depth, replaced
 * by "[redacted]", and the password of any URL userinfo in a string value too (see
 * swh_redact_url_passwords), cut to at most max_len bytes (ending in "..." when cut, never
 * inside a UTF-8 character). The caller frees it; NULL when out of memory.
 */
char *swh_redacted_dump(const json_t *value, size_t max_len);

/*
 * A copy of text with the password of every URL's userinfo ("scheme://user:password@host")
 * replaced by "[redacted]": "https://user:[redacted]@host/h". Text without one is copied as
 * it is. For trace lines (a request's URL, a string in a body). The caller frees it; NULL
 * when out of memory.
 */
char *swh_redact_url_passwords(const char *text);

/*
 * A copy of url without the password of its userinfo, for messages ("http://u:pw@h/t" gives
 * "http://u@h/t"), made by libcurl's URL API; a URL without a password, or one libcurl cannot
 * parse, goes through swh_redact_url_passwords instead, so it is never quoted with one. The
 * caller frees it with free(); NULL when out of memory.
 */
char *swh_url_without_password(const char *url);

#endif
