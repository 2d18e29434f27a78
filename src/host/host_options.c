/* The command line of swh (see host_options.h). */
#include "host_options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swh_client.h"
#include "swh_settings.h"
#include "swh_text.h"

static const char usage_head[] =
    "usage: swh [options] [script.lua [args...]]\n"
    "       swh [options] COMMAND [args...]\n"
    "Runs a Lua script or a command against the Sinch Conversation API webhooks; neither:\n"
    "the REPL. A name with '/' or ending in .lua is a script (./backup runs a file).\n"
    "\n"
    "Options:\n"
    "  -e CODE            run CODE (several -e run in order, before the script)\n"
    "  -i                 then enter the REPL, even if the script or -e code fails\n"
    "  -v                 trace HTTP requests on stderr (secrets redacted)\n"
    "  -q                 no progress output (scripts see swh.quiet == true)\n"
    "  --sandbox          run against an in-process emulator seeded with a demo project\n"
    "                     (also --sandbox=demo)\n"
    "  --sandbox=empty    ... with an emulated project of three apps and no webhooks\n"
    "  --sandbox=FILE     ... loaded from a snapshot file (the swh-emulator snapshot\n"
    "                     format, e.g. its --state file)\n";

static const char usage_tail[] =
    "  --help             show this help\n"
    "  --version          show the version\n"
    "  --                 stop handling options\n"
    "  -                  read the script from stdin\n"
    "\n"
    "Credentials come from SINCH_KEY_ID and SINCH_KEY_SECRET. Scripts get the globals\n"
    "swh, client (made on first use) and arg.\n";

void host_usage_print(FILE *out) {
  fputs(usage_head, out);
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    const swhi_setting *s = swhi_setting_at(id);
    if (!s->flag) continue;
    char left[64], choices[64] = "";
    snprintf(left, sizeof left, "%s=%s", s->flag, s->metavar);
    for (const char *const *c = s->choices; c && *c; c++) {
      size_t used = strlen(choices);
      snprintf(choices + used, sizeof choices - used, "%s%s",
               c == s->choices ? ": " : c[1] ? ", " : " or ", *c);
    }
    if (strlen(left) > 18) /* its help on the next line, in the column of the others */
      fprintf(out, "  %s\n  %-18s %s%s\n", left, "", s->help, choices);
    else
      fprintf(out, "  %-18s %s%s\n", left, s->help, choices);
    const char *fallback = s->fallback ? s->fallback : s->choices ? s->choices[0] : NULL;
    if (s->env)
      fprintf(out, "  %-18s (default: $%s%s%s)\n", "", s->env, fallback ? ", else " : "",
              fallback ? fallback : "");
    else if (fallback) /* a flag alone: nothing else sets it */
      fprintf(out, "  %-18s (default: %s)\n", "", fallback);
  }
  fputs(usage_tail, out);
}

static bool fail(char *error, size_t error_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *error, size_t error_size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(error, error_size, fmt, ap);
  va_end(ap);
  return false;
}

/* The value of an option written "--name=value" or "--name value"; NULL when the flag is
   not this option. *i moves past a separate value. Sets *missing when there is no value or
   an empty one ("--name=", "--name ''"). */
static const char *option_value(const char *name, int argc, char **argv, int *i,
                                bool *missing) {
  const char *arg = argv[*i];
  size_t length = strlen(name);
  *missing = false;
  if (strncmp(arg, name, length) != 0)
    return NULL;
  const char *value;
  if (arg[length] == '=')
    value = arg + length + 1;
  else if (arg[length] != '\0')
    return NULL;
  else if (*i + 1 < argc)
    value = argv[++*i];
  else
    value = "";
  *missing = *value == '\0';
  return value;
}

/* The switches (options that take no value): their spellings and the flag each one sets.
   The parser and the suggestions for a mistyped option both read this list. */
typedef struct host_switch {
  const char *short_name; /* NULL: a long name only */
  const char *long_name;
  size_t field; /* offsetof the bool it sets in host_options */
} host_switch;

static const host_switch switches[] = {
    {"-i", "--interactive", offsetof(host_options, interactive)},
    {"-v", "--verbose", offsetof(host_options, verbose)},
    {"-q", "--quiet", offsetof(host_options, quiet)},
    {"-h", "--help", offsetof(host_options, help)},
    {NULL, "--version", offsetof(host_options, version)},
};
#define SWITCH_COUNT (sizeof switches / sizeof *switches)

static const host_switch *switch_named(const char *arg) {
  for (size_t s = 0; s < SWITCH_COUNT; s++)
    if ((switches[s].short_name && strcmp(arg, switches[s].short_name) == 0) ||
        strcmp(arg, switches[s].long_name) == 0)
      return &switches[s];
  return NULL;
}

/* "unknown option '--sandbx' (did you mean '--sandbox'?)": the flag's name against every long
   option. Its "=value" is never shown: it may be a secret (--key-secret=…), for which the
   message says where keys come from instead. */
static bool unknown_option(char *error, size_t error_size, const char *arg) {
  const char *known[1 + SWITCH_COUNT + SWHI_SETTING_COUNT] = {"--sandbox"};
  size_t count = 1;
  for (size_t s = 0; s < SWITCH_COUNT; s++) known[count++] = switches[s].long_name;
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++)
    if (swhi_setting_at(id)->flag && count < sizeof known / sizeof *known)
      known[count++] = swhi_setting_at(id)->flag;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  const char *suggestion =
      strncmp(name, "--", 2) == 0 ? swhi_text_closest(name, known, count) : NULL;
  if (suggestion)
    return fail(error, error_size, "unknown option '%s' (did you mean '%s'?)", name, suggestion);
  char lower[64];
  size_t i = 0;
  for (; name[i]; i++) lower[i] = (char)tolower((unsigned char)name[i]);
  lower[i] = '\0';
  if (strstr(lower, "key") || strstr(lower, "secret"))
    return fail(error, error_size, "unknown option '%s' (keys are read from SINCH_KEY_ID and "
                "SINCH_KEY_SECRET, never from the command line)", name);
  return fail(error, error_size, "unknown option '%s'", name);
}

bool host_options_parse(host_options *options, int argc, char **argv, char *error,
                        size_t error_size) {
  memset(options, 0, sizeof *options);
  options->chunks = calloc((size_t)(argc > 0 ? argc : 1), sizeof *options->chunks);
  if (!options->chunks)
    return fail(error, error_size, "out of memory");

  int i = 1;
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-')
      break; /* the script */
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(arg, "-") == 0) {
      options->script_stdin = true;
      break;
    }
    if (strncmp(arg, "-e", 2) == 0) {
      const char *code = arg + 2;
      if (*code == '\0') {
        if (i + 1 >= argc)
          return fail(error, error_size, "option '-e' needs an argument (Lua code)");
        code = argv[++i];
      }
      options->chunks[options->chunk_count++] = code;
      continue;
    }
    const host_switch *sw = switch_named(arg);
    if (sw) {
      *(bool *)((char *)options + sw->field) = true;
      continue;
    }
    if (strcmp(arg, "--sandbox") == 0) {
      options->sandbox = HOST_SANDBOX_DEMO;
      continue;
    }
    if (strncmp(arg, "--sandbox=", 10) == 0) {
      const char *value = arg + 10;
      if (*value == '\0')
        return fail(error, error_size,
                    "option '--sandbox=' needs a value: demo, empty or a snapshot file");
      if (strcmp(value, "demo") == 0) {
        options->sandbox = HOST_SANDBOX_DEMO;
      } else if (strcmp(value, "empty") == 0) {
        options->sandbox = HOST_SANDBOX_EMPTY;
      } else {
        options->sandbox = HOST_SANDBOX_FILE;
        options->sandbox_file = value;
      }
      continue;
    }
    bool matched = false;
    for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT && !matched; id++) {
      const char *flag = swhi_setting_at(id)->flag;
      bool missing;
      const char *value = flag ? option_value(flag, argc, argv, &i, &missing) : NULL;
      if (!value)
        continue;
      if (missing)
        return fail(error, error_size, "option '%s' needs a value", flag);
      options->settings[id] = value;
      matched = true;
    }
    if (!matched)
      return unknown_option(error, error_size, arg);
  }
  options->script = i < argc ? i : 0;

  /* Flags are checked here, by the core's settings table, so that a bad one exits with
     status 2 before anything runs (before --help, the sandbox or any -e), in the words
     swh.client and the environment get. */
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    if (!options->settings[id])
      continue;
    swh_config scratch;
    swh_error err;
    swh_error_init(&err);
    bool valid = swhi_setting_parse(id, swhi_setting_at(id)->flag, options->settings[id],
                                    &scratch, &err) == SWH_OK;
    if (!valid)
      fail(error, error_size, "%s", err.message);
    swh_error_clear(&err);
    if (!valid)
      return false;
  }
  /* The sandbox is its own project; how to reach it (--auth) and tuning flags still apply. */
  static const swhi_setting_id elsewhere[] = {SWHI_SETTING_PROJECT_ID, SWHI_SETTING_REGION,
                                              SWHI_SETTING_BASE_URL, SWHI_SETTING_AUTH_URL};
  for (size_t k = 0; options->sandbox != HOST_SANDBOX_NONE && k < 4; k++)
    if (options->settings[elsewhere[k]])
      return fail(error, error_size,
                  "option '--sandbox' cannot be combined with '%s': the sandbox is its own "
                  "project",
                  swhi_setting_at(elsewhere[k])->flag);
  return true;
}

void host_options_free(host_options *options) {
  free(options->chunks);
  options->chunks = NULL;
  options->chunk_count = 0;
}
