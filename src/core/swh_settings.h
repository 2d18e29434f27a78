/*
 * swh_settings: the settings of a client, in one table. Each row gives a setting's name (the
 * swh.client option and the swh_config field), its kind (which says the values allowed),
 * its default, the environment variable and the flag of the swh host that set it. The Lua
 * binding, the host's command line and the environment all read settings through it, and a
 * refused value reads the same wherever it came from, naming its source:
 *
 *   region: "xx" is not a region (us, eu, br)            (swh.client{region = "xx"})
 *   SINCH_REGION: "xx" is not a region (us, eu, br)       (the environment)
 *   --region: "xx" is not a region (us, eu, br)           (swh's command line)
 *   config.region: "xx" is not a region (us, eu, br)      (swh_client_new in C)
 *
 * Private to libswh and its own programs (not installed; internal names start swhi_).
 */
#ifndef SWH_SETTINGS_H
#define SWH_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "swh_client.h"
#include "swh_error.h"

/* The settings, in the order of the table (and of swh.client's list of known options). */
typedef enum {
  SWHI_SETTING_PROJECT_ID,
  SWHI_SETTING_KEY_ID,
  SWHI_SETTING_KEY_SECRET,
  SWHI_SETTING_REGION,
  SWHI_SETTING_BASE_URL,
  SWHI_SETTING_AUTH_URL,
  SWHI_SETTING_AUTH,
  SWHI_SETTING_TIMEOUT,
  SWHI_SETTING_RETRIES,
  SWHI_SETTING_RETRY_TIME,
  SWHI_SETTING_CONCURRENCY,
  SWHI_SETTING_RATE,
  SWHI_SETTING_ALLOW_INSECURE_HTTP,
  SWHI_SETTING_COUNT
} swhi_setting_id;

/* What values a setting takes, and how it is stored in swh_config. */
typedef enum {
  SWHI_KIND_ID,      /* const char *: a path segment (not "." or "..") */
  SWHI_KIND_TEXT,    /* const char * */
  SWHI_KIND_SECRET,  /* const char *, never quoted in a message */
  SWHI_KIND_CHOICE,  /* const char *, one of choices */
  SWHI_KIND_ENUM,    /* int (an enum): the index of one of choices */
  SWHI_KIND_URL,     /* const char *: passes swh_url_check */
  SWHI_KIND_SECONDS, /* double > 0, finite */
  SWHI_KIND_NUMBER,  /* double > 0, finite */
  SWHI_KIND_COUNT,   /* int from 1 to SWHI_COUNT_MAX */
  SWHI_KIND_BOOLEAN, /* bool */
} swhi_setting_kind;

#define SWHI_COUNT_MAX 100000

typedef struct swhi_setting {
  const char *name;             /* "region": the option and the swh_config field */
  swhi_setting_kind kind;
  const char *const *choices;   /* CHOICE and ENUM: the values, NULL-terminated */
  const char *what;             /* what a value is, for messages: "a region" */
  const char *fallback;         /* the default, in words; NULL: the first choice, or none */
  const char *env;              /* the environment variable, or NULL */
  const char *flag;             /* the swh host's flag ("--region"), or NULL */
  const char *metavar;          /* the flag's value in --help ("REGION") */
  const char *help;             /* the flag's line in --help */
  bool required;                /* swh_client_new refuses a config without it */
  size_t offset;                /* of its field in swh_config */
} swhi_setting;

/* The row of a setting (id < SWHI_SETTING_COUNT). */
const swhi_setting *swhi_setting_at(swhi_setting_id id);

/* The id of the setting named name, or SWHI_SETTING_COUNT when there is none. */
swhi_setting_id swhi_setting_find(const char *name);

/*
 * Reads text (from a flag, a variable or a Lua string) as the value of setting id and stores
 * it in config (strings are borrowed: text must outlive config's use). Numbers are read with
 * strtod, integers in base 10, booleans as true/false/1/0/yes/no. Returns SWH_OK, or
 * SWH_ERR_USAGE with a message naming source ("SINCH_REGION: \"xx\" is not a region (us, eu,
 * br)"); SWH_ERR_MEMORY.
 */
swh_status swhi_setting_parse(swhi_setting_id id, const char *source, const char *text,
                              swh_config *config, swh_error *err);

/* Stores a number given as a number (from Lua) for a SECONDS, NUMBER or COUNT setting, with
   the same checks and wording as swhi_setting_parse ("retries: 1.5 is not an integer from 1
   to 100000"). */
swh_status swhi_setting_set_number(swhi_setting_id id, const char *source, double value,
                                   swh_config *config, swh_error *err);

/* Checks the value setting id holds in config (NULL strings and numbers <= 0 mean "the
   default" and pass), in the same words, naming source. */
swh_status swhi_setting_check(swhi_setting_id id, const char *source, const swh_config *config,
                              swh_error *err);

/*
 * Reads into config every setting that has a variable, is not yet set (given[id] false) and
 * whose variable is set and not empty, recording the variable in sources[id] and setting
 * given[id]. A bad value is SWH_ERR_USAGE naming the variable. Then, if a required setting
 * is still not given, SWH_ERR_USAGE "missing SINCH_KEY_ID, SINCH_KEY_SECRET in the
 * environment", and *missing (when not NULL) holds a bit for each (1 << id).
 */
swh_status swhi_settings_read_environment(swh_config *config, bool given[SWHI_SETTING_COUNT],
                                          const char *sources[SWHI_SETTING_COUNT],
                                          unsigned *missing, swh_error *err);

/*
 * swh_client_new, naming each setting in messages by sources[id] ("--base-url",
 * "SINCH_CONVERSATION_URL", "base_url") where it is not NULL, else "config.<name>".
 * sources may be NULL.
 */
swh_client *swhi_client_new(const swh_config *config,
                            const char *const sources[SWHI_SETTING_COUNT], swh_error *err);

/* The effective settings of client, defaults applied, into config: strings borrowed from
   the client, key_secret NULL, base_url and auth_url as given (with any password). */
void swhi_client_settings(const swh_client *client, swh_config *config);

/* The project id of client (borrowed). */
const char *swhi_client_project_id(const swh_client *client);

#endif
