/* swh_settings: the client's settings in one table (see swh_settings.h). */
#define _POSIX_C_SOURCE 200809L
#include "swh_settings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_request.h"
#include "swh_text.h"

#define STR(x) STR_(x)
#define STR_(x) #x

/* The API's regions (API.md), and the auth schemes in swh_auth order. */
static const char *const regions[] = {SWH_DEFAULT_REGION, "eu", "br", NULL};
static const char *const auths[] = {"oauth2", "basic", NULL};

/* One row a setting. A new host flag is its flag, metavar and help here; nothing else. */
static const swhi_setting settings[SWHI_SETTING_COUNT] = {
    [SWHI_SETTING_PROJECT_ID] = {"project_id", SWHI_KIND_ID, NULL, "an id", NULL,
                                 "SINCH_PROJECT_ID", "--project", "ID", "project id", true,
                                 offsetof(swh_config, project_id)},
    [SWHI_SETTING_KEY_ID] = {"key_id", SWHI_KIND_TEXT, NULL, "a key id", NULL, "SINCH_KEY_ID",
                             NULL, NULL, NULL, true, offsetof(swh_config, key_id)},
    [SWHI_SETTING_KEY_SECRET] = {"key_secret", SWHI_KIND_SECRET, NULL, "a key secret", NULL,
                                 "SINCH_KEY_SECRET", NULL, NULL, NULL, true,
                                 offsetof(swh_config, key_secret)},
    [SWHI_SETTING_REGION] = {"region", SWHI_KIND_CHOICE, regions, "a region",
                             SWH_DEFAULT_REGION, "SINCH_REGION", "--region", "REGION",
                             "the API's region", false, offsetof(swh_config, region)},
    [SWHI_SETTING_BASE_URL] = {"base_url", SWHI_KIND_URL, NULL, "a URL", NULL,
                               "SINCH_CONVERSATION_URL", "--base-url", "URL",
                               "API base URL (instead of the region's)", false,
                               offsetof(swh_config, base_url)},
    [SWHI_SETTING_AUTH_URL] = {"auth_url", SWHI_KIND_URL, NULL, "a URL", SWH_DEFAULT_AUTH_URL,
                               "SINCH_AUTH_URL", "--auth-url", "URL", "OAuth2 token URL", false,
                               offsetof(swh_config, auth_url)},
    [SWHI_SETTING_AUTH] = {"auth", SWHI_KIND_ENUM, auths, "an auth scheme", NULL, "SINCH_AUTH",
                           "--auth", "METHOD", "authentication", false,
                           offsetof(swh_config, auth)},
    [SWHI_SETTING_TIMEOUT] = {"timeout", SWHI_KIND_SECONDS, NULL, "a positive number of seconds",
                              STR(SWH_DEFAULT_TIMEOUT), "SWH_TIMEOUT", "--timeout", "SEC",
                              "seconds per attempt", false, offsetof(swh_config, timeout)},
    [SWHI_SETTING_RETRIES] = {"retries", SWHI_KIND_COUNT, NULL, "an integer from 1 to "
                              STR(SWHI_COUNT_MAX), STR(SWH_DEFAULT_RETRIES), "SWH_RETRIES",
                              "--retries", "N", "attempts in all (1: no retry)", false,
                              offsetof(swh_config, retries)},
    [SWHI_SETTING_RETRY_TIME] = {"retry_time", SWHI_KIND_SECONDS, NULL,
                                 "a positive number of seconds", STR(SWH_DEFAULT_RETRY_TIME),
                                 "SWH_RETRY_TIME", "--retry-time", "SEC",
                                 "seconds of retrying after a failure", false,
                                 offsetof(swh_config, retry_time)},
    [SWHI_SETTING_CONCURRENCY] = {"concurrency", SWHI_KIND_COUNT, NULL,
                                  "an integer from 1 to " STR(SWHI_COUNT_MAX),
                                  STR(SWH_DEFAULT_CONCURRENCY), "SWH_CONCURRENCY",
                                  "--concurrency", "N", "requests in flight at most", false,
                                  offsetof(swh_config, concurrency)},
    [SWHI_SETTING_RATE] = {"rate", SWHI_KIND_NUMBER, NULL, "a positive number",
                           STR(SWH_DEFAULT_RATE), "SWH_RATE", "--rate", "N",
                           "requests per second at most", false, offsetof(swh_config, rate)},
    /* a flag and no variable: clear text is asked for where it is seen, not inherited */
    [SWHI_SETTING_ALLOW_INSECURE_HTTP] = {"allow_insecure_http", SWHI_KIND_BOOLEAN, NULL,
                                          "a boolean", "false", NULL, "--allow-insecure-http",
                                          "BOOL",
                                          "true: allow plain http:// to hosts not on loopback",
                                          false, offsetof(swh_config, allow_insecure_http)},
};

const swhi_setting *swhi_setting_at(swhi_setting_id id) { return &settings[id]; }

swhi_setting_id swhi_setting_find(const char *name) {
  swhi_setting_id id = 0;
  while (id < SWHI_SETTING_COUNT && strcmp(settings[id].name, name) != 0) id++;
  return id;
}

static void *field(swh_config *config, swhi_setting_id id) {
  return (char *)config + settings[id].offset;
}

static const void *const_field(const swh_config *config, swhi_setting_id id) {
  return (const char *)config + settings[id].offset;
}

/* The one wording for a value refused: `source: "text" is not what (choice, choice)`. A
   secret is not quoted: "key_secret: the value is not ...". */
static swh_status refuse_text(swhi_setting_id id, const char *source, const char *text,
                              swh_error *err) {
  const swhi_setting *s = &settings[id];
  char choices[96] = "";
  for (const char *const *c = s->choices; c && *c; c++) {
    size_t used = strlen(choices);
    snprintf(choices + used, sizeof choices - used, "%s%s", c == s->choices ? " (" : ", ", *c);
  }
  if (s->choices) strncat(choices, ")", sizeof choices - strlen(choices) - 1);
  char quoted[128] = "the value";
  if (s->kind != SWHI_KIND_SECRET || !*text) {
    strcpy(quoted, "\"");
    swhi_text_append_printable(quoted, sizeof quoted - 1, text, strlen(text), 100);
    strcat(quoted, "\"");
  }
  return swh_error_set(err, SWH_ERR_USAGE, "%s: %s is not %s%s", source, quoted, s->what,
                       choices);
}

/* The same for a number given as one: `source: 1.5 is not an integer from 1 to 100000`. */
static swh_status refuse_number(swhi_setting_id id, const char *source, double value,
                                swh_error *err) {
  return swh_error_set(err, SWH_ERR_USAGE, "%s: %.14g is not %s", source, value,
                       settings[id].what);
}

/* Whether value is allowed for the number setting id. */
static bool number_allowed(swhi_setting_id id, double value) {
  if (!(value > 0) || !isfinite(value)) return false;
  return settings[id].kind != SWHI_KIND_COUNT ||
         (value == floor(value) && value <= SWHI_COUNT_MAX);
}

/* The index of text among choices, or -1. */
static int choice_index(const char *const *choices, const char *text) {
  for (int i = 0; choices[i]; i++)
    if (strcmp(choices[i], text) == 0) return i;
  return -1;
}

/* Checks text for setting id; for numbers and booleans also reads it into *number. */
static swh_status check_text(swhi_setting_id id, const char *source, const char *text,
                             double *number, swh_error *err) {
  const swhi_setting *s = &settings[id];
  if (!*text) return refuse_text(id, source, text, err);
  switch (s->kind) {
  case SWHI_KIND_ID:
    return swhi_segment_check(source, text, strlen(text), SWH_ERR_USAGE, err);
  case SWHI_KIND_TEXT:
  case SWHI_KIND_SECRET:
    return SWH_OK;
  case SWHI_KIND_CHOICE:
  case SWHI_KIND_ENUM:
    *number = choice_index(s->choices, text);
    return *number < 0 ? refuse_text(id, source, text, err) : SWH_OK;
  case SWHI_KIND_URL:
    return swh_url_check(source, text, err);
  case SWHI_KIND_SECONDS:
  case SWHI_KIND_NUMBER:
  case SWHI_KIND_COUNT: {
    char *end;
    errno = 0;
    *number = strtod(text, &end);
    if (end == text || *end || errno || !number_allowed(id, *number))
      return refuse_text(id, source, text, err);
    return SWH_OK;
  }
  case SWHI_KIND_BOOLEAN: {
    static const char *const truths[] = {"true", "yes", "1", "false", "no", "0", NULL};
    int i = choice_index(truths, text);
    *number = i >= 0 && i < 3;
    return i < 0 ? refuse_text(id, source, text, err) : SWH_OK;
  }
  }
  return SWH_OK;
}

/* Stores a checked value: text for strings, number for the rest. */
static void store(swhi_setting_id id, const char *text, double number, swh_config *config) {
  void *f = field(config, id);
  switch (settings[id].kind) {
  case SWHI_KIND_ID:
  case SWHI_KIND_TEXT:
  case SWHI_KIND_SECRET:
  case SWHI_KIND_CHOICE:
  case SWHI_KIND_URL:
    *(const char **)f = text;
    break;
  case SWHI_KIND_ENUM:
    *(swh_auth *)f = (swh_auth)number;
    break;
  case SWHI_KIND_SECONDS:
  case SWHI_KIND_NUMBER:
    *(double *)f = number;
    break;
  case SWHI_KIND_COUNT:
    *(int *)f = (int)number;
    break;
  case SWHI_KIND_BOOLEAN:
    *(bool *)f = number != 0;
    break;
  }
}

swh_status swhi_setting_parse(swhi_setting_id id, const char *source, const char *text,
                              swh_config *config, swh_error *err) {
  double number = 0;
  if (check_text(id, source, text, &number, err) != SWH_OK) return err->kind;
  store(id, text, number, config);
  return SWH_OK;
}

swh_status swhi_setting_set_number(swhi_setting_id id, const char *source, double value,
                                   swh_config *config, swh_error *err) {
  if (!number_allowed(id, value)) return refuse_number(id, source, value, err);
  store(id, NULL, value, config);
  return SWH_OK;
}

swh_status swhi_setting_check(swhi_setting_id id, const char *source, const swh_config *config,
                              swh_error *err) {
  const void *f = const_field(config, id);
  double number;
  switch (settings[id].kind) {
  case SWHI_KIND_ID:
  case SWHI_KIND_TEXT:
  case SWHI_KIND_SECRET:
  case SWHI_KIND_CHOICE:
  case SWHI_KIND_URL: {
    const char *text = *(const char *const *)f;
    return text ? check_text(id, source, text, &number, err) : SWH_OK;
  }
  case SWHI_KIND_ENUM: {
    int index = (int)*(const swh_auth *)f, count = 0;
    while (settings[id].choices[count]) count++;
    if (index >= 0 && index < count) return SWH_OK;
    return swh_error_set(err, SWH_ERR_USAGE, "%s: %d is not %s", source, index,
                         settings[id].what);
  }
  default: /* numbers <= 0 mean the default; swh_client_new clamps the rest */
    return SWH_OK;
  }
}

swh_status swhi_settings_read_environment(swh_config *config, bool given[SWHI_SETTING_COUNT],
                                          const char *sources[SWHI_SETTING_COUNT],
                                          unsigned *missing, swh_error *err) {
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    const char *variable = settings[id].env;
    const char *text = variable && !given[id] ? getenv(variable) : NULL;
    if (!text || !*text) continue; /* "" counts as unset */
    if (swhi_setting_parse(id, variable, text, config, err) != SWH_OK) return err->kind;
    given[id] = true;
    sources[id] = variable;
  }
  char names[160] = "";
  unsigned bits = 0;
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    if (!settings[id].required || given[id]) continue;
    bits |= 1u << id;
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", settings[id].env);
  }
  if (missing) *missing = bits;
  if (!bits) return SWH_OK;
  return swh_error_set(err, SWH_ERR_USAGE, "missing %s in the environment", names);
}
