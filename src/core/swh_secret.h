/*
 * swh_secret: what swh hides. One predicate says which JSON keys (and header names) hold
 * secrets; the HTTP trace, error messages, plans and the REPL all ask it (the Lua layer
 * through swh.core.is_secret_key), and URL passwords are masked by swh_url.h. Private to
 * libswh and its programs, except swh_is_secret_key (declared in swh_client.h).
 */
#ifndef SWH_SECRET_H
#define SWH_SECRET_H

#include <stddef.h>

#include <jansson.h>

#include "swh_client.h"
#include "swh_url.h"

/*
 * The compact JSON text of value with the value of every key swh_is_secret_key names (at any
 * depth, unless null) replaced by "[redacted]", and the password of every URL in a string
 * value masked (swhi_url_mask_text), cut to at most max_len bytes (ending in "..." when
 * cut, never inside a UTF-8 character; 0: not cut). The caller frees it; NULL when out of
 * memory.
 */
char *swhi_redacted_dump(const json_t *value, size_t max_len);

#endif
