/*
 * swh_url: the one place that reads URLs. Whole URLs are parsed by libcurl's URL API
 * (curl_url): whether one may be a base_url or auth_url (swh_url_check, in swh_client.h),
 * its host, its path, whether plain http:// would carry a credential off the machine. Text
 * that may hold URLs (a trace line, a message, a value the REPL prints) has the password of
 * every URL's userinfo masked by swhi_url_mask_text, the same for the trace, errors, plans
 * and the REPL. Private to libswh and its programs (not installed).
 */
#ifndef SWH_URL_H
#define SWH_URL_H

#include "swh_error.h"

/* What replaces a secret in the trace and in messages. */
#define SWHI_REDACTED "[redacted]"

/* What libcurl's URL API makes of a URL. */
typedef enum {
  SWHI_URL_OK,
  SWHI_URL_NO_HOST,   /* parsed, but without a host (or an empty one) */
  SWHI_URL_INVALID,   /* refused: *why says why */
  SWHI_URL_NO_MEMORY,
} swhi_url_verdict;

/*
 * Parses url with libcurl's URL API (curl_url), the parser that later sends to it, taking
 * any scheme so that the caller says which it accepts. On SWHI_URL_OK sets *scheme and
 * *host (percent-decoded, as written otherwise) for the caller to free; either may be NULL
 * when not wanted. On SWHI_URL_INVALID sets *why (when not NULL) to libcurl's reason, a
 * static string. The one URL parser of the core: swh_url_check, the webhook validator
 * (swh_webhook.c), swhi_url_host and swhi_url_path all go through it.
 */
swhi_url_verdict swhi_url_parse(const char *url, char **scheme, char **host, const char **why);

/* The host of url (one that passed swh_url_check), in lower case, for the caller to free;
   NULL when out of memory. */
char *swhi_url_host(const char *url);

/* The path of url (one that passed swh_url_check), "/" when it has none ("/oauth2/token"),
   for the caller to free; NULL when out of memory. */
char *swhi_url_path(const char *url);

/*
 * A copy of text with the password of every URL's userinfo replaced by mask:
 * "see https://user:pw@host/h" gives "see https://user:[redacted]@host/h". A URL's authority
 * ends at '/', '?', '#', white space, a quote or '<' '>'; its userinfo at the last '@' in
 * it, its user name at the first ':'. Text without such a URL is copied as it is. The caller
 * frees it; NULL when out of memory.
 */
char *swhi_url_mask_text(const char *text, const char *mask);

/*
 * A copy of url, a single URL quoted in a message, with its password masked even where its
 * writer left a '/', '?' or '#' in it unencoded ("http://u:pa/ss@h": the parser would end
 * the authority early): everything between the first ':' after "://" and the last '@'. It
 * may mask a little more than a password (a port before an '@' in the path), never less.
 * The caller frees it; NULL when out of memory.
 */
char *swhi_url_mask(const char *url, const char *mask);

/*
 * Checks that url (one that passed swh_url_check) does not carry what (a credential, in
 * words: "the key") in clear text: an http:// URL must name a loopback host (localhost,
 * 127.0.0.0/8, [::1]), judged on the URL's text alone, before any name lookup. Returns
 * SWH_OK, or SWH_ERR_USAGE naming name, quoting the URL with its password masked and saying
 * how to go on (https://, or allow_insecure_http); SWH_ERR_MEMORY.
 */
swh_status swhi_url_check_private(const char *name, const char *url, const char *what,
                                  swh_error *err);

#endif
