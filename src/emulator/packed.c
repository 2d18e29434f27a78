/* Packed webhooks: see packed.h. */
#define _GNU_SOURCE /* stpcpy */
#include "packed.h"

#include <stdlib.h>
#include <string.h>

#include "reply.h" /* EMU_REPLY_JSON_FLAGS: the text is an answer's */

json_t *emu_packed_new(const json_t *webhook) {
  json_t *id_value = json_object_get(webhook, "id");
  const char *id = id_value ? json_string_value(id_value) : "";
  const char *app_id = json_string_value(json_object_get(webhook, "app_id"));
  const char *target = json_string_value(json_object_get(webhook, "target"));
  if (!id || !app_id || !target)
    return NULL;
  char *text = json_dumps(webhook, EMU_REPLY_JSON_FLAGS);
  size_t length = text ? strlen(id) + strlen(app_id) + strlen(target) + strlen(text) + 3 : 0;
  char *buffer = text ? malloc(length + 1) : NULL;
  json_t *packed = NULL;
  if (buffer) {
    char *end = stpcpy(buffer, id) + 1;
    end = stpcpy(end, app_id) + 1;
    end = stpcpy(end, target) + 1;
    strcpy(end, text);
    packed = json_stringn_nocheck(buffer, length);
  }
  free(buffer);
  free(text);
  return packed;
}

/* The n-th of the NUL-ended parts of packed (0: the id ... 3: the text), or NULL when it
   has fewer (it is not a packed webhook). */
static const char *part(const json_t *packed, int n) {
  const char *at = json_string_value(packed);
  const char *end = at ? at + json_string_length(packed) : NULL;
  for (int i = 0; at && i < n; i++) {
    const char *nul = memchr(at, '\0', (size_t)(end - at));
    at = nul ? nul + 1 : NULL;
  }
  return at;
}

json_t *emu_packed_unpack(const json_t *packed) {
  /* the text is jansson's own output: only memory can make it fail */
  return json_loads(part(packed, 3), 0, NULL);
}

const char *emu_packed_text(const json_t *packed) { return part(packed, 3); }

bool emu_packed_keys(const json_t *packed, const char **id, const char **app_id,
                     const char **target) {
  if (!part(packed, 3))
    return false;
  *id = *part(packed, 0) ? part(packed, 0) : NULL;
  *app_id = part(packed, 1);
  *target = part(packed, 2);
  return true;
}
