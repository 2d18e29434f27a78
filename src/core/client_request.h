/*
 * client_request: what a call sends, worked out from its arguments before anything is
 * queued: the method and path segments of an operation, the checked and normalised body of
 * a create or update with an update's mask, and the transfer that carries them. No I/O and
 * no client state; private to the client.
 */
#ifndef SWH_CLIENT_REQUEST_H
#define SWH_CLIENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client_transfer.h"
#include "swh_client.h"
#include "swh_error.h"

/* The mask of an update: every updatable field, comma-joined, fits easily. */
#define SWH_UPDATE_MASK_MAX 128

/* The method and the path segments of an operation. */
typedef struct swh_op_shape {
  const char *method;       /* static string */
  const char *segments[6];  /* project and id among them are borrowed */
  size_t count;
  const char *id_name; /* what the id argument means, or NULL when there is none */
  bool has_body;
} swh_op_shape;

/* Fills *shape for op in project (id may be NULL; the caller checks it against id_name).
   Returns false for an unknown op. */
bool swhi_op_shape_of(const char *project, swh_op op, const char *id, swh_op_shape *shape);

/*
 * Checks text (len bytes) as a path segment named name: a NUL byte inside would cut it
 * short in C ("ID\0junk" acts on "ID"), and "." or ".." would be dropped from the path by
 * libcurl as dot segments ("DELETE .." reaches /v1/projects/p/). Returns SWH_OK, or kind
 * with err's message naming name and saying why (the text is quoted only for the dots).
 */
swh_status swhi_segment_check(const char *name, const char *text, size_t len, swh_status kind,
                             swh_error *err);

/*
 * Checks the body of a create or update (op) and copies it, normalised, into *sent (the
 * caller owns it); for an update, writes the update_mask into mask (SWH_UPDATE_MASK_MAX
 * bytes). A create's app_id must pass swhi_segment_check too (it is the path of the lookup
 * after an ambiguous failure). Returns SWH_OK, or with err filled: SWH_ERR_USAGE (not an
 * object), SWH_ERR_VALIDATION, SWH_ERR_MEMORY; *sent then holds nothing new for the caller to free.
 */
swh_status swhi_request_body(swh_op op, const json_t *body, json_t **sent, char *mask,
                            swh_error *err);

/*
 * A transfer for method on base_url + segments (+ "?" query when not NULL), its path
 * segments percent-encoded with escaper; body (owned, may be NULL) is JSON. Returns the
 * transfer (the caller frees it), or NULL with err filled (SWH_ERR_MEMORY); body is freed
 * either way it fails.
 */
swh_transfer *swhi_request_transfer(CURL *escaper, const char *base_url, const char *method,
                                   const char *const segments[], size_t count,
                                   const char *query, char *body, swh_error *err);

#endif
