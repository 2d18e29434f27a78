/*
 * client_url: the URLs of the Conversation API, every path segment percent-encoded (the
 * Node SDK forgets to; an id with "/" or "?" must stay one segment). Private to the client;
 * everything else about URLs is in swh_url.h.
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
swh_status swhi_url_build(CURL *escaper, const char *base, const char *const segments[],
                          size_t count, const char *query, char **url, char **path,
                          swh_error *err);

#endif
