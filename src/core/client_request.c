/* client_request: an operation's method and path, its body and mask, its transfer. */
#include "client_request.h"

#include <stdlib.h>
#include <string.h>

#include "client_url.h"
#include "swh_webhook.h"

bool swhi_op_shape_of(const char *project, swh_op op, const char *id, swh_op_shape *shape) {
  memset(shape, 0, sizeof *shape);
  switch (op) {
    case SWH_OP_WEBHOOKS_LIST:
      *shape = (swh_op_shape){"GET", {"v1", "projects", project, "apps", id, "webhooks"}, 6,
                              "app_id", false};
      return true;
    case SWH_OP_WEBHOOK_CREATE:
      *shape = (swh_op_shape){"POST", {"v1", "projects", project, "webhooks"}, 4, NULL, true};
      return true;
    case SWH_OP_WEBHOOK_GET:
      *shape = (swh_op_shape){"GET", {"v1", "projects", project, "webhooks", id}, 5,
                              "webhook_id", false};
      return true;
    case SWH_OP_WEBHOOK_UPDATE:
      *shape = (swh_op_shape){"PATCH", {"v1", "projects", project, "webhooks", id}, 5,
                              "webhook_id", true};
      return true;
    case SWH_OP_WEBHOOK_DELETE:
      *shape = (swh_op_shape){"DELETE", {"v1", "projects", project, "webhooks", id}, 5,
                              "webhook_id", false};
      return true;
    case SWH_OP_APPS_LIST:
      *shape = (swh_op_shape){"GET", {"v1", "projects", project, "apps"}, 4, NULL, false};
      return true;
  }
  return false;
}

swh_status swhi_segment_check(const char *name, const char *text, size_t len, swh_status kind,
                             swh_error *err) {
  if (!text) return SWH_OK; /* absent: the caller's "required" says so */
  const char *nul = memchr(text, '\0', len);
  if (nul)
    return swh_error_set(err, kind,
                         "%s: contains a NUL byte (byte %zu of %zu), which would cut it short",
                         name, (size_t)(nul - text) + 1, len);
  if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
    return swh_error_set(err, kind,
                         "%s: \"%s\" cannot be an id (as a path segment it would change the "
                         "request's path)",
                         name, text);
  return SWH_OK;
}

swh_status swh_id_check(swh_op op, const char *id, size_t len, swh_error *err) {
  swh_op_shape shape;
  if (!id || !swhi_op_shape_of("", op, id, &shape) || !shape.id_name) return SWH_OK;
  return swhi_segment_check(shape.id_name, id, len, SWH_ERR_VALIDATION, err);
}

swh_status swhi_request_body(swh_op op, const json_t *body, json_t **sent, char *mask,
                            swh_error *err) {
  const char *what = op == SWH_OP_WEBHOOK_CREATE ? "webhook" : "changes";
  if (!json_is_object(body))
    return swh_error_set(err, SWH_ERR_USAGE, "%s: must be a JSON object", what);
  if (op == SWH_OP_WEBHOOK_CREATE) {
    if (json_object_get(body, "id"))
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "webhook.id: must be absent on create (the server assigns it)");
    if (swh_webhook_validate(body, 0, err) != SWH_OK) return err->kind;
    json_t *app_id = json_object_get(body, "app_id");
    if (swhi_segment_check("webhook.app_id", json_string_value(app_id),
                          json_string_length(app_id), SWH_ERR_VALIDATION, err) != SWH_OK)
      return err->kind;
  } else {
    if (swh_webhook_validate(body, SWH_VALIDATE_PARTIAL, err) != SWH_OK) return err->kind;
    if (swh_update_mask_build(body, mask, SWH_UPDATE_MASK_MAX, err) != SWH_OK) return err->kind;
  }
  *sent = json_deep_copy(body);
  if (!*sent) return swh_error_set(err, SWH_ERR_MEMORY, "out of memory copying the %s", what);
  swh_webhook_normalize(*sent);
  return SWH_OK;
}

swh_transfer *swhi_request_transfer(CURL *escaper, const char *base_url, const char *method,
                                   const char *const segments[], size_t count,
                                   const char *query, char *body, swh_error *err) {
  char *url, *path;
  if (swhi_url_build(escaper, base_url, segments, count, query, &url, &path, err) != SWH_OK) {
    free(body);
    return NULL;
  }
  swh_transfer *t = swhi_transfer_new(method, url, path, body, body ? "application/json" : NULL);
  if (!t) swh_error_set(err, SWH_ERR_MEMORY, "out of memory preparing a request");
  return t;
}
