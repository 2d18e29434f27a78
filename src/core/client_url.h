/*
 * client_url: the URLs of the Conversation API, every path segment percent-encoded (the
 * Node SDK forgets to; an id with "/" or "?" must stay one segment). Private to the client.
 */
#ifndef SWH_CLIENT_URL_H
#define SWH_CLIENT_URL_H

#include <stddef.h>

#include <curl/curl.h>

#include "swh_error.h"

/*
 * Builds path = "/" seg1 "/" seg2 ... (each segment percent-encoded with curl_easy_escape)
 * and url = base (without its trailing "/") path, plus "?" query when query is not NULL
 * (query is appended as given: the caller builds it from safe characters). On success both
 * are set and the caller frees them; on failure (SWH_ERR_MEMORY) both are NULL.
 */
swh_status swh_url_build(CURL *escaper, const char *base, const char *const segments[],
                         size_t count, const char *query, char **url, char **path,
                         swh_error *err);

/* The host of url (one that passed swh_url_check), in lower case, for the caller to free;
   NULL when out of memory. */
char *swh_url_host(const char *url);

/*
 * Checks that url (one that passed swh_url_check) does not carry what (a credential, in
 * words: "the key") in clear text: an http:// URL must name a loopback host (localhost,
 * 127.0.0.0/8, [::1]), judged on the URL's text alone, before any name lookup. Returns
 * SWH_OK, or SWH_ERR_USAGE naming name, quoting the URL without a password and saying how
 * to go on (https://, or allow_insecure_http); SWH_ERR_MEMORY.
 */
swh_status swh_url_check_private(const char *name, const char *url, const char *what,
                                 swh_error *err);

#endif
