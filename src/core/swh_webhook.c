/* swh_webhook: see swh_webhook.h. One definition of a valid webhook, for client and server. */
#include "swh_webhook.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "swh_text.h"
#include "swh_url.h"

/* How much of a user's value (a trigger name, an enum value) a message quotes. */
#define QUOTE_CHARS 48

static const char *const known_triggers[] = {
#define SWH_X_TRIGGER(name) #name,
    SWH_TRIGGERS(SWH_X_TRIGGER)
#undef SWH_X_TRIGGER
};
#define TRIGGER_COUNT (sizeof known_triggers / sizeof known_triggers[0])

static const char *const updatable_fields[] = {
#define SWH_X_FIELD(name) #name,
    SWH_UPDATABLE_FIELDS(SWH_X_FIELD)
#undef SWH_X_FIELD
};
#define UPDATABLE_COUNT (sizeof updatable_fields / sizeof updatable_fields[0])

/* The top-level fields of a webhook and of its client_credentials, as API.md names them. */
static const char *const webhook_fields[] = {
    "id", "app_id", "target", "target_type", "secret", "triggers", "client_credentials",
};
static const char *const credentials_fields[] = {
    "client_id", "client_secret", "endpoint", "scope", "response_type", "token_request_type",
};

/* Other spellings of trigger names and the trigger each means. */
static const struct {
  const char *spelling, *trigger;
} trigger_aliases[] = {
#define SWH_X_ALIAS(spelling, trigger) {#spelling, #trigger},
    SWH_TRIGGER_ALIASES(SWH_X_ALIAS)
#undef SWH_X_ALIAS
};
static const char unspecified_trigger[] = "UNSPECIFIED_TRIGGER";
/* ", app_id, target, ...": the updatable fields for messages, from their X-macro; the list
   starts after the first ", ". */
static const char updatable_list_text[] =
#define SWH_X_LISTED(name) ", " #name
    SWH_UPDATABLE_FIELDS(SWH_X_LISTED);
#undef SWH_X_LISTED
#define updatable_list (updatable_list_text + 2)

/* ---- names ---------------------------------------------------------------------------- */

const char *swh_trigger_canonical(const char *name) {
  for (size_t i = 0; i < sizeof trigger_aliases / sizeof trigger_aliases[0]; i++)
    if (strcmp(name, trigger_aliases[i].spelling) == 0) return trigger_aliases[i].trigger;
  for (size_t i = 0; i < TRIGGER_COUNT; i++)
    if (strcmp(name, known_triggers[i]) == 0) return known_triggers[i];
  return NULL;
}

bool swh_trigger_known(const char *name) { return name && swh_trigger_canonical(name) != NULL; }

const char *swh_trigger_suggest(const char *name) {
  if (!name) return NULL;
  return swhi_text_closest(name, known_triggers, TRIGGER_COUNT);
}

bool swh_field_updatable(const char *name) {
  if (!name) return false;
  for (size_t i = 0; i < UPDATABLE_COUNT; i++)
    if (strcmp(name, updatable_fields[i]) == 0) return true;
  return false;
}

/* A trigger name Sinch could plausibly add: upper-case letters, digits and '_'. */
static bool well_formed_trigger(const char *name) {
  if (!(name[0] >= 'A' && name[0] <= 'Z')) return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
  return true;
}

/* ---- messages ------------------------------------------------------------------------- */

/* A printable, bounded, quoted copy of a user's string, for messages. */
static const char *quote(char *buf, size_t size, const char *s) {
  buf[0] = '\0';
  swhi_text_append_printable(buf, size, s, strlen(s), QUOTE_CHARS);
  return buf;
}

static const char *json_type_name(const json_t *value) {
  switch (json_typeof(value)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "a number";
  case JSON_REAL: return "a number";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  }
  return "a value";
}

static swh_status invalid_type(swh_error *err, const char *path, const char *expected,
                               const json_t *value) {
  return swh_error_set(err, SWH_ERR_VALIDATION, "%s: expected %s, got %s", path, expected,
                       json_type_name(value));
}

/*
 * Checks that value is a string (or reports it, naming path); with non_empty, that it is
 * not ""; with max_chars > 0, that it has at most that many characters. The value itself is
 * never quoted: it may be a secret.
 */
static swh_status check_string(const json_t *value, const char *path, bool non_empty,
                               size_t max_chars, swh_error *err) {
  if (!json_is_string(value)) return invalid_type(err, path, "a string", value);
  const char *s = json_string_value(value);
  if (non_empty && s[0] == '\0')
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: must not be empty", path);
  if (max_chars > 0) {
    if (strlen(s) != json_string_length(value))
      return swh_error_set(err, SWH_ERR_VALIDATION, "%s: must not contain a NUL character",
                           path);
    size_t chars = swhi_text_utf8_length(s);
    if (chars > max_chars)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: %zu characters long, at most %zu are allowed", path, chars,
                           max_chars);
  }
  return SWH_OK;
}

/* Checks value is one of the NULL-terminated names (exact case); suggests the right case. */
/* An enum field (target_type, token_request_type). A value the API has that swh does not
   know (a newer token_request_type, a legacy target_type) passes as triggers do: without
   SWH_VALIDATE_STRICT_TRIGGERS when well-formed and not a likely typo of a known one; with
   it (the emulator), only when more (more_triggers) holds "field=VALUE", a value its seed
   held. */
static swh_status check_enum(const json_t *value, const char *path, const char *field,
                             const char *const *names, const char *names_text, unsigned flags,
                             const json_t *more, swh_error *err) {
  if (!json_is_string(value)) return invalid_type(err, path, "a string", value);
  const char *s = json_string_value(value);
  size_t count = 0;
  for (; names[count]; count++)
    if (strcmp(s, names[count]) == 0) return SWH_OK;
  char q[QUOTE_CHARS * 4 + 8];
  for (size_t i = 0; names[i]; i++) {
    if (strcasecmp(s, names[i]) == 0)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: must be %s, got \"%s\" (did you mean \"%s\"?)", path,
                           names_text, quote(q, sizeof q, s), names[i]);
  }
  const char *close = swhi_text_closest(s, names, count);
  if (close)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: must be %s, got \"%s\" (did you mean \"%s\"?)", path,
                         names_text, quote(q, sizeof q, s), close);
  size_t len = strlen(s);
  bool unspecified = len >= 11 && strcmp(s + len - 11, "UNSPECIFIED") == 0; /* proto's 0 */
  if (!(flags & SWH_VALIDATE_STRICT_TRIGGERS) && well_formed_trigger(s) && !unspecified)
    return SWH_OK; /* a value newer (or older) than this code: carried as it is */
  if (flags & SWH_VALIDATE_STRICT_TRIGGERS) {
    char key[256];
    int n = snprintf(key, sizeof key, "%s=%s", field, s);
    if (n > 0 && (size_t)n < sizeof key && json_object_get(more, key)) return SWH_OK;
  }
  return swh_error_set(err, SWH_ERR_VALIDATION, "%s: must be %s, got \"%s\"", path,
                       names_text, quote(q, sizeof q, s));
}

/* ---- URLs ----------------------------------------------------------------------------- */

/* Whether host matches conversation-api.*.sinch.com, case-insensitively (a trailing dot, the
   fully qualified form, counts too). */
static bool forbidden_host(const char *host) {
  static const char prefix[] = "conversation-api.";
  static const char suffix[] = ".sinch.com";
  size_t len = strlen(host);
  if (len > 0 && host[len - 1] == '.') len--;
  size_t plen = sizeof prefix - 1, slen = sizeof suffix - 1;
  if (len <= plen + slen) return false; /* the '*' must match at least one character */
  for (size_t i = 0; i < plen; i++)
    if (tolower((unsigned char)host[i]) != prefix[i]) return false;
  for (size_t i = 0; i < slen; i++)
    if (tolower((unsigned char)host[len - slen + i]) != suffix[i]) return false;
  return true;
}

/*
 * Checks that url is an absolute http(s) URL with a host, parsed by libcurl's URL API (the
 * parser that will later use it); with forbid_sinch, that the host is not one of Sinch's
 * API hosts. Messages quote the scheme or host, never the whole URL (it may carry a
 * password or a token).
 */
static swh_status check_url(const char *url, const char *path, bool forbid_sinch,
                            swh_error *err) {
  if (!strstr(url, "://"))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: not an absolute URL; it needs a scheme and a host, like "
                         "https://example.com/callback",
                         path);
  char *scheme = NULL, *host = NULL;
  const char *why = "";
  swh_status status = SWH_OK;
  char q[QUOTE_CHARS * 4 + 8];
  switch (swhi_url_parse(url, &scheme, &host, &why)) {
  case SWHI_URL_NO_MEMORY:
    return swh_error_set(err, SWH_ERR_MEMORY, "%s: out of memory parsing the URL", path);
  case SWHI_URL_NO_HOST:
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: the URL has no host", path);
  case SWHI_URL_INVALID:
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: not a valid URL (%s)", path, why);
  case SWHI_URL_OK:
    break;
  }
  if (!*scheme) {
    status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: the URL has no scheme", path);
  } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
    status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: must be an http or https URL, not %s",
                           path, quote(q, sizeof q, scheme));
  } else if (forbid_sinch && forbidden_host(host)) {
    status = swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: the host \"%s\" is a Sinch API host "
                           "(conversation-api.*.sinch.com) and cannot receive webhooks",
                           path, quote(q, sizeof q, host));
  }
  free(scheme);
  free(host);
  return status;
}

/* ---- fields --------------------------------------------------------------------------- */

/*
 * Refuses a key of object that is not one of the count known names but is a likely typo of
 * one (the same distance and limit as trigger suggestions), naming it under prefix:
 * "webhook.triger: unknown field (did you mean \"triggers\"?)". Other unknown keys pass:
 * they are kept and passed on, since Sinch adds fields.
 */
static swh_status check_keys(const json_t *object, const char *prefix,
                             const char *const *known, size_t count, swh_error *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)object, key, value) {
    bool exact = false;
    for (size_t i = 0; i < count && !exact; i++) exact = strcmp(key, known[i]) == 0;
    if (exact) continue;
    const char *suggestion = swhi_text_closest(key, known, count);
    if (suggestion) {
      char q[QUOTE_CHARS * 4 + 8];
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s.%s: unknown field (did you mean \"%s\"?)", prefix,
                           quote(q, sizeof q, key), suggestion);
    }
  }
  return SWH_OK;
}

static bool is_one_of(const char *key, const char *const *known, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(key, known[i]) == 0) return true;
  return false;
}

json_t *swh_webhook_unknown_fields(const json_t *webhook) {
  json_t *paths = json_array();
  if (!paths || !json_is_object(webhook)) return paths;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)webhook, key, value) {
    if (!is_one_of(key, webhook_fields, sizeof webhook_fields / sizeof webhook_fields[0])) {
      if (json_array_append_new(paths, json_string(key)) != 0) goto no_memory;
    }
  }
  const json_t *credentials = json_object_get(webhook, "client_credentials");
  if (json_is_object(credentials)) {
    json_object_foreach((json_t *)credentials, key, value) {
      if (is_one_of(key, credentials_fields,
                    sizeof credentials_fields / sizeof credentials_fields[0]))
        continue;
      json_t *path = json_sprintf("client_credentials.%s", key);
      if (!path || json_array_append_new(paths, path) != 0) goto no_memory;
    }
  }
  return paths;
no_memory:
  json_decref(paths);
  return NULL;
}

static swh_status check_target(const json_t *value, swh_error *err) {
  static const char path[] = "webhook.target";
  swh_status status = check_string(value, path, true, SWH_TARGET_MAX_LEN, err);
  if (status != SWH_OK) return status;
  return check_url(json_string_value(value), path, true, err);
}

static swh_status check_triggers(const json_t *triggers, unsigned flags,
                                 const json_t *more_triggers, swh_error *err) {
  if (!json_is_array(triggers)) return invalid_type(err, "webhook.triggers", "an array", triggers);
  /* Canonical name -> first index, so repeats are found in linear time whatever the size. */
  json_t *seen = json_object();
  if (!seen) return swh_error_set(err, SWH_ERR_MEMORY, "webhook.triggers: out of memory");
  swh_status status = SWH_OK;
  char q[QUOTE_CHARS * 4 + 8];
  size_t index;
  json_t *value;
  json_array_foreach(triggers, index, value) {
    char path[48];
    snprintf(path, sizeof path, "webhook.triggers[%zu]", index);
    if (!json_is_string(value)) {
      status = invalid_type(err, path, "a trigger name (a string)", value);
      break;
    }
    const char *name = json_string_value(value);
    if (name[0] == '\0') {
      status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: an empty trigger name", path);
      break;
    }
    if (strlen(name) != json_string_length(value)) {
      status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: a NUL character in a trigger name",
                             path);
      break;
    }
    if (strcmp(name, unspecified_trigger) == 0) {
      status = swh_error_set(err, SWH_ERR_VALIDATION,
                             "%s: UNSPECIFIED_TRIGGER is not a usable trigger", path);
      break;
    }
    const char *canonical = swh_trigger_canonical(name);
    if (!canonical && json_object_get(more_triggers, name)) canonical = name;
    if (!canonical) {
      const char *suggestion = swh_trigger_suggest(name);
      bool strict = flags & SWH_VALIDATE_STRICT_TRIGGERS;
      if (suggestion) {
        status = swh_error_set(err, SWH_ERR_VALIDATION,
                               "%s: unknown trigger \"%s\" (did you mean \"%s\"?)", path,
                               quote(q, sizeof q, name), suggestion);
        break;
      }
      if (strict) {
        status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: unknown trigger \"%s\"", path,
                               quote(q, sizeof q, name));
        break;
      }
      if (!well_formed_trigger(name)) {
        status = swh_error_set(err, SWH_ERR_VALIDATION,
                               "%s: \"%s\" is not a trigger name (trigger names are upper-case "
                               "letters, digits and _)",
                               path, quote(q, sizeof q, name));
        break;
      }
      canonical = name; /* a trigger newer than this code: carried as it is */
    }
    json_t *first = json_object_get(seen, canonical);
    if (first) {
      size_t first_index = (size_t)json_integer_value(first);
      const char *first_name = json_string_value(json_array_get(triggers, first_index));
      if (strcmp(first_name, name) == 0)
        status = swh_error_set(err, SWH_ERR_VALIDATION,
                               "%s: \"%s\" repeats webhook.triggers[%zu]", path,
                               quote(q, sizeof q, name), first_index);
      else
        status = swh_error_set(err, SWH_ERR_VALIDATION,
                               "%s: \"%s\" repeats webhook.triggers[%zu] (\"%s\")", path, name,
                               first_index, first_name);
      break;
    }
    if (json_object_set_new(seen, canonical, json_integer((json_int_t)index)) != 0) {
      status = swh_error_set(err, SWH_ERR_MEMORY, "webhook.triggers: out of memory");
      break;
    }
  }
  json_decref(seen);
  return status;
}

static swh_status check_client_credentials(const json_t *value, unsigned flags,
                                           const json_t *more, swh_error *err) {
  static const char *const request_types[] = {"BASIC", "FORM", NULL};
  static const char *const required[] = {"client_id", "client_secret", "endpoint"};
  if (json_is_null(value) && (flags & SWH_VALIDATE_PARTIAL)) return SWH_OK; /* clears OAuth */
  if (!json_is_object(value))
    return invalid_type(err, "webhook.client_credentials", "an object", value);
  char path[64];
  swh_status status = check_keys(value, "webhook.client_credentials", credentials_fields,
                                 sizeof credentials_fields / sizeof credentials_fields[0], err);
  if (status != SWH_OK) return status;
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    snprintf(path, sizeof path, "webhook.client_credentials.%s", required[i]);
    const json_t *field = json_object_get(value, required[i]);
    if (!field) return swh_error_set(err, SWH_ERR_VALIDATION, "%s: required", path);
    if ((status = check_string(field, path, true, 0, err)) != SWH_OK) return status;
  }
  status = check_url(json_string_value(json_object_get(value, "endpoint")),
                     "webhook.client_credentials.endpoint", false, err);
  if (status != SWH_OK) return status;
  const json_t *field;
  if ((field = json_object_get(value, "scope")) &&
      (status = check_string(field, "webhook.client_credentials.scope", false,
                             SWH_SCOPE_MAX_LEN, err)) != SWH_OK)
    return status;
  if ((field = json_object_get(value, "response_type")) &&
      (status = check_string(field, "webhook.client_credentials.response_type", false,
                             SWH_RESPONSE_TYPE_MAX_LEN, err)) != SWH_OK)
    return status;
  if ((field = json_object_get(value, "token_request_type")) &&
      (status = check_enum(field, "webhook.client_credentials.token_request_type",
                           "token_request_type", request_types, "\"BASIC\" or \"FORM\"",
                           flags, more, err)) != SWH_OK)
    return status;
  return SWH_OK;
}

swh_status swh_webhook_validate(const json_t *webhook, unsigned flags, swh_error *err) {
  return swh_webhook_validate_with(webhook, flags, NULL, err);
}

swh_status swh_webhook_validate_with(const json_t *webhook, unsigned flags,
                                     const json_t *more_triggers, swh_error *err) {
  static const char *const target_types[] = {"HTTP", "DISMISS", NULL};
  bool partial = flags & SWH_VALIDATE_PARTIAL;
  if (!webhook) return swh_error_set(err, SWH_ERR_USAGE, "webhook: missing (NULL)");
  if (!json_is_object(webhook)) return invalid_type(err, "webhook", "an object", webhook);
  const json_t *field;
  swh_status status = check_keys(webhook, "webhook", webhook_fields,
                                 sizeof webhook_fields / sizeof webhook_fields[0], err);
  if (status != SWH_OK) return status;

  if (!partial && !(flags & SWH_VALIDATE_WITH_ID) && json_object_get(webhook, "id"))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "webhook.id: must not be set when creating a webhook (the server "
                         "assigns it)");
  if ((field = json_object_get(webhook, "app_id"))) {
    if ((status = check_string(field, "webhook.app_id", true, 0, err)) != SWH_OK) return status;
  } else if (!partial) {
    return swh_error_set(err, SWH_ERR_VALIDATION, "webhook.app_id: required");
  }
  if ((field = json_object_get(webhook, "target"))) {
    if ((status = check_target(field, err)) != SWH_OK) return status;
  } else if (!partial) {
    return swh_error_set(err, SWH_ERR_VALIDATION, "webhook.target: required");
  }
  if ((field = json_object_get(webhook, "target_type")) &&
      (status = check_enum(field, "webhook.target_type", "target_type", target_types,
                           "\"HTTP\" or \"DISMISS\"", flags, more_triggers, err)) != SWH_OK)
    return status;
  if ((field = json_object_get(webhook, "secret")) &&
      (status = check_string(field, "webhook.secret", false, 0, err)) != SWH_OK)
    return status;
  if ((field = json_object_get(webhook, "triggers")) &&
      (status = check_triggers(field, flags, more_triggers, err)) != SWH_OK)
    return status;
  if ((field = json_object_get(webhook, "client_credentials")) &&
      (status = check_client_credentials(field, flags, more_triggers, err)) != SWH_OK)
    return status;
  return SWH_OK;
}

void swh_webhook_normalize(json_t *webhook) {
  json_t *triggers = json_object_get(webhook, "triggers");
  size_t index;
  json_t *value;
  json_array_foreach(triggers, index, value) {
    const char *name = json_string_value(value);
    const char *canonical = name ? swh_trigger_canonical(name) : NULL;
    if (canonical && strcmp(canonical, name) != 0)
      json_string_set(value, canonical); /* on allocation failure it stays as is */
  }
}

/* ---- defaults ------------------------------------------------------------------------- */

json_t *swh_webhook_field_default(const char *field) {
  if (!field) return NULL;
  if (strcmp(field, "target_type") == 0) return json_string("HTTP");
  if (strcmp(field, "triggers") == 0) return json_array();
  if (strcmp(field, "secret") == 0) return json_string("");
  if (strcmp(field, "client_credentials") == 0) return json_null();
  return NULL;
}

/* Whether value says "none" (a default that is no value). */
static bool says_none(const json_t *value) {
  return json_is_null(value) || (json_is_string(value) && json_string_length(value) == 0);
}

bool swh_webhook_apply_defaults(json_t *webhook) {
  for (size_t i = 0; i < UPDATABLE_COUNT; i++) {
    const char *field = updatable_fields[i];
    if (json_object_get(webhook, field)) continue;
    json_t *value = swh_webhook_field_default(field);
    if (!value) {
      if (strcmp(field, "app_id") != 0 && strcmp(field, "target") != 0) return false;
      continue;
    }
    if (says_none(value)) {
      json_decref(value);
    } else if (json_object_set_new(webhook, field, value) != 0) {
      return false;
    }
  }
  json_t *secret = json_object_get(webhook, "secret");
  if (secret && says_none(secret)) json_object_del(webhook, "secret");
  return true;
}

bool swh_webhook_apply_changes(json_t *webhook, const json_t *changes) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)changes, key, value) {
    bool clears = json_is_null(value) || (strcmp(key, "secret") == 0 && says_none(value));
    if (clears)
      json_object_del(webhook, key);
    else if (json_object_set_new(webhook, key, json_deep_copy(value)) != 0)
      return false;
  }
  swh_webhook_normalize(webhook);
  return true;
}

/* ---- update_mask ---------------------------------------------------------------------- */

/* The snake_case field named by a mask path, also accepting the lowerCamelCase that the
   protobuf JSON mapping of a FieldMask uses ("targetType"); NULL if none. */
static const char *mask_field(const char *path) {
  static const struct {
    const char *camel, *snake;
  } camel[] = {{"appId", "app_id"},
               {"targetType", "target_type"},
               {"clientCredentials", "client_credentials"}};
  for (size_t i = 0; i < UPDATABLE_COUNT; i++)
    if (strcmp(path, updatable_fields[i]) == 0) return updatable_fields[i];
  for (size_t i = 0; i < sizeof camel / sizeof camel[0]; i++)
    if (strcmp(path, camel[i].camel) == 0) return camel[i].snake;
  return NULL;
}

/* The message for a key of changes (in_mask false) or a mask path (true) that is not an
   updatable field, with a suggestion when one is close. */
static swh_status not_updatable(swh_error *err, bool in_mask, const char *name) {
  char q[QUOTE_CHARS * 4 + 8];
  quote(q, sizeof q, name);
  if (strcmp(name, "id") == 0)
    return in_mask ? swh_error_set(err, SWH_ERR_VALIDATION,
                                   "update_mask: \"id\" is read-only and cannot be updated "
                                   "(updatable: %s)",
                                   updatable_list)
                   : swh_error_set(err, SWH_ERR_VALIDATION,
                                   "webhook.id: read-only, it cannot be updated (updatable: %s)",
                                   updatable_list);
  const char *suggestion = swhi_text_closest(name, updatable_fields, UPDATABLE_COUNT);
  char hint[64] = "";
  if (suggestion) snprintf(hint, sizeof hint, "did you mean \"%s\"?; ", suggestion);
  return in_mask ? swh_error_set(err, SWH_ERR_VALIDATION,
                                 "update_mask: unknown field \"%s\" (%supdatable: %s)", q, hint,
                                 updatable_list)
                 : swh_error_set(err, SWH_ERR_VALIDATION,
                                 "webhook.%s: not an updatable field (%supdatable: %s)", q, hint,
                                 updatable_list);
}

swh_status swh_update_mask_build(const json_t *changes, char *buf, size_t size,
                                 swh_error *err) {
  if (!buf || size == 0) return swh_error_set(err, SWH_ERR_USAGE, "update_mask: no buffer");
  buf[0] = '\0';
  if (!changes) return swh_error_set(err, SWH_ERR_USAGE, "changes: missing (NULL)");
  if (!json_is_object(changes)) return invalid_type(err, "changes", "an object", changes);
  if (json_object_size(changes) == 0)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "changes: nothing to update; give at least one of %s", updatable_list);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)changes, key, value) {
    if (!swh_field_updatable(key)) return not_updatable(err, false, key);
  }
  size_t used = 0;
  for (size_t i = 0; i < UPDATABLE_COUNT; i++) {
    if (!json_object_get(changes, updatable_fields[i])) continue;
    int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", updatable_fields[i]);
    if (n < 0 || (size_t)n >= size - used) {
      buf[0] = '\0';
      return swh_error_set(err, SWH_ERR_USAGE, "update_mask: a buffer of %zu bytes is too small",
                           size);
    }
    used += (size_t)n;
  }
  return SWH_OK;
}

json_t *swh_update_mask_parse(const char *mask, swh_error *err) {
  if (!mask) {
    swh_error_set(err, SWH_ERR_USAGE, "update_mask: missing (NULL)");
    return NULL;
  }
  json_t *fields = json_array();
  if (!fields) {
    swh_error_set(err, SWH_ERR_MEMORY, "update_mask: out of memory");
    return NULL;
  }
  const char *p = mask;
  while (*p) {
    size_t len = strcspn(p, ",");
    /* Spaces around a path ("a, b") and empty paths ("a,,b", a trailing comma) are
       tolerated: they come from hand-written query strings, never from a different meaning. */
    const char *start = p, *end = p + len;
    while (start < end && isspace((unsigned char)*start)) start++;
    while (end > start && isspace((unsigned char)end[-1])) end--;
    if (end > start) {
      char path[64];
      size_t plen = (size_t)(end - start);
      if (plen >= sizeof path) plen = sizeof path - 1; /* too long to be a field: unknown */
      memcpy(path, start, plen);
      path[plen] = '\0';
      const char *field = mask_field(path);
      if (!field) {
        not_updatable(err, true, path);
        json_decref(fields);
        return NULL;
      }
      bool repeated = false;
      size_t i;
      json_t *value;
      json_array_foreach(fields, i, value) {
        if (strcmp(json_string_value(value), field) == 0) repeated = true;
      }
      if (!repeated && json_array_append_new(fields, json_string(field)) != 0) {
        swh_error_set(err, SWH_ERR_MEMORY, "update_mask: out of memory");
        json_decref(fields);
        return NULL;
      }
    }
    p += len;
    if (*p == ',') p++;
  }
  return fields;
}
