/*
 * Routing: from a parsed HTTP request to a reply, in API.md's order of checks: the route
 * (404), the method (501), credentials (401), the project's rate limit (429), an injected
 * fault, the project (403), the body (413, 400), then the handler.
 */
#ifndef EMU_ROUTES_H
#define EMU_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "emulator_internal.h"
#include "reply.h"

typedef struct emu_request {
  const char *method;
  const char *path;            /* as sent (percent-encoded), without the query */
  const char *authorization;   /* the header, or NULL */
  const json_t *masks;         /* values of update_mask and update_mask.paths, or NULL */
  bool masks_invalid;          /* a mask value was not UTF-8 */
  const json_t *form;          /* a form-urlencoded body as an object, or NULL */
  const char *body;            /* may be NULL when body_len is 0 */
  size_t body_len;
  bool body_too_large;         /* over EMU_MAX_BODY: body holds only a prefix */
} emu_request;

void emu_route(struct swh_emulator *emulator, const emu_request *request, emu_reply *reply);

/* The 413 for a body over EMU_MAX_BODY (server.c answers it early, from Content-Length). */
void emu_reply_too_large(emu_reply *reply);

#endif
