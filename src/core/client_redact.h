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
 * by "[redacted]", cut to at most max_len bytes (ending in "..." when cut). The caller frees
 * it; NULL when out of memory.
 */
char *swh_redacted_dump(const json_t *value, size_t max_len);

#endif
