/*
 * The webhook validator (swh_webhook.h). Input: a first line of flags ("partial", "strict",
 * in any order, or nothing), then a JSON value (NULs allowed in strings, as a Lua string
 * may hold them). The object is validated; its keys turned into an update_mask and back;
 * the rest of the input read as an update_mask; every string looked up as a trigger.
 * Promises checked: a validation error names what is wrong in one line and never quotes a
 * secret; normalising a valid webhook keeps it valid; a built mask parses back to the
 * object's keys.
 */
#include "fuzz.h"

#include <jansson.h>

#include "swh_webhook.h"

/* A secret worth looking for: long, plain, and nowhere else in the webhook (else an error
   quoting that other place would look like a leak). */
static const char *secret_to_hide(const json_t *holder, const char *key, const json_t *webhook) {
  const char *secret = json_string_value(json_object_get(holder, key));
  if (!secret || strlen(secret) < 8) return NULL;
  for (const char *c = secret; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))) return NULL;
  json_t *others = json_deep_copy(webhook);
  json_t *inner = json_object_get(others, "client_credentials");
  json_object_del(others, "secret");
  if (json_is_object(inner)) json_object_del(inner, "client_secret");
  char *text = json_dumps(others, JSON_ENCODE_ANY);
  bool elsewhere = !text || strstr(text, secret);
  free(text);
  json_decref(others);
  return elsewhere ? NULL : secret;
}

static void validate(json_t *webhook, unsigned flags) {
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_webhook_validate(webhook, flags, &err);
  if (status != SWH_OK) {
    FUZZ_EXPECT(status == SWH_ERR_VALIDATION || status == SWH_ERR_MEMORY, "kind %d", status);
    fuzz_check_message(err.message);
    const char *secrets[] = {
        secret_to_hide(webhook, "secret", webhook),
        secret_to_hide(json_object_get(webhook, "client_credentials"), "client_secret", webhook)};
    for (size_t i = 0; i < 2; i++)
      FUZZ_EXPECT(!secrets[i] || !strstr(err.message, secrets[i]), "no secret in \"%s\"",
                  err.message);
  } else if (json_is_object(webhook)) {
    json_t *copy = json_deep_copy(webhook);
    swh_webhook_normalize(copy);
    swh_status again = swh_webhook_validate(copy, flags, &err);
    FUZZ_EXPECT(again == SWH_OK, "the normalised webhook still valid: %s", err.message);
    json_decref(copy);
  }
  swh_error_clear(&err);
}

/* build then parse: the same fields, or a refusal naming the field. */
static void mask_round_trip(const json_t *changes) {
  char mask[256];
  swh_error err;
  swh_error_init(&err);
  if (swh_update_mask_build(changes, mask, sizeof mask, &err) != SWH_OK) {
    fuzz_check_message(err.message);
    swh_error_clear(&err);
    return;
  }
  json_t *fields = swh_update_mask_parse(mask, &err);
  FUZZ_EXPECT(fields, "the built mask \"%s\" parses: %s", mask, err.message);
  FUZZ_EXPECT(json_array_size(fields) == json_object_size(changes), "every key in \"%s\"", mask);
  size_t i;
  json_t *field;
  json_array_foreach(fields, i, field) {
    const char *name = json_string_value(field);
    FUZZ_EXPECT(name && json_object_get(changes, name) && swh_field_updatable(name),
                "\"%s\" of \"%s\" is an updatable key of the changes", name ? name : "?", mask);
  }
  json_decref(fields);
  swh_error_clear(&err);
}

static void look_up_strings(const json_t *value) {
  if (json_is_string(value)) {
    const char *name = json_string_value(value);
    const char *suggestion = swh_trigger_suggest(name);
    FUZZ_EXPECT(!suggestion || swh_trigger_known(suggestion), "a known suggestion");
    (void)swh_field_updatable(name);
  } else if (json_is_array(value)) {
    for (size_t i = 0; i < json_array_size(value); i++)
      look_up_strings(json_array_get(value, i));
  } else if (json_is_object(value)) {
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)value, key, member) look_up_strings(member);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_reader r;
  if (!fuzz_reader_init(&r, data, size)) return 0;
  const char *options = fuzz_next_line(&r);
  unsigned flags = 0;
  if (options && strstr(options, "partial")) flags |= SWH_VALIDATE_PARTIAL;
  if (options && strstr(options, "strict")) flags |= SWH_VALIDATE_STRICT_TRIGGERS;
  size_t len;
  const char *text = fuzz_rest(&r, &len);
  json_error_t jerr;
  json_t *webhook = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (webhook) {
    validate(webhook, flags);
    if (json_is_object(webhook)) mask_round_trip(webhook);
    look_up_strings(webhook);
    json_decref(webhook);
  }
  /* The same text as an update_mask query value. */
  swh_error err;
  swh_error_init(&err);
  json_t *fields = swh_update_mask_parse(text, &err);
  if (!fields) fuzz_check_message(err.message);
  json_decref(fields);
  swh_error_clear(&err);
  fuzz_reader_free(&r);
  return 0;
}
