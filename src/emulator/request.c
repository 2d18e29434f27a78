/* The query's update_mask values and a form body, decoded (request.h). */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

void emu_masks_add(emu_masks *masks, const char *key, const char *value) {
  char *name = strdup(key ? key : "");
  char *text = strdup(value ? value : "");
  if (!name || !text) {
    masks->invalid = true;
  } else {
    MHD_http_unescape(name);
    MHD_http_unescape(text);
    if ((strcmp(name, "update_mask") == 0 || strcmp(name, "update_mask.paths") == 0) &&
        json_array_append_new(masks->values, json_string(text)) != 0)
      masks->invalid = true;
  }
  free(name);
  free(text);
}

json_t *emu_form_parse(const char *body, size_t len) {
  json_t *form = json_object();
  char *copy = malloc(len + 1);
  if (!form || !copy) {
    free(copy);
    json_decref(form);
    return NULL;
  }
  memcpy(copy, body ? body : "", len);
  copy[len] = '\0';
  char *save = NULL;
  for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(pair, '=');
    char *value = eq ? eq + 1 : pair + strlen(pair);
    if (eq)
      *eq = '\0';
    for (char *c = pair; *c; c++)
      if (*c == '+')
        *c = ' ';
    for (char *c = value; *c; c++)
      if (*c == '+')
        *c = ' ';
    MHD_http_unescape(pair);
    MHD_http_unescape(value);
    json_object_set_new(form, pair, json_string(value)); /* NULL for non-UTF-8: skipped */
  }
  free(copy);
  return form;
}
