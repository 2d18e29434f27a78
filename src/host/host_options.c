/* The command line of swh (see host_options.h). */
#include "host_options.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swh_client.h"
#include "swh_text.h"

const char host_usage[] =
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
    "                     format, e.g. its --state file)\n"
    "  --project=ID       project id            (default: $SINCH_PROJECT_ID)\n"
    "  --region=REGION    us, eu or br          (default: $SINCH_REGION, else us)\n"
    "  --base-url=URL     API base URL          (default: $SINCH_CONVERSATION_URL)\n"
    "  --auth=METHOD      oauth2 or basic       (default: $SINCH_AUTH, else oauth2)\n"
    "  --auth-url=URL     OAuth2 token URL      (default: $SINCH_AUTH_URL, else\n"
    "                                            https://auth.sinch.com/oauth2/token)\n"
    "  --help             show this help\n"
    "  --version          show the version\n"
    "  --                 stop handling options\n"
    "  -                  read the script from stdin\n"
    "\n"
    "Credentials come from SINCH_KEY_ID and SINCH_KEY_SECRET. Scripts get the globals\n"
    "swh, client (made on first use) and arg.\n";

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

static bool is_one_of(const char *value, const char *const *allowed) {
  for (; *allowed; allowed++)
    if (strcmp(value, *allowed) == 0)
      return true;
  return false;
}

/* "unknown option '--sandbx' (did you mean '--sandbox'?)": the flag's name against every long
   option. Its "=value" is never shown: it may be a secret (--key-secret=…), for which the
   message says where keys come from instead. */
static bool unknown_option(char *error, size_t error_size, const char *arg) {
  static const char *const known[] = {"--sandbox", "--project", "--region",      "--base-url",
                                      "--auth",    "--auth-url", "--interactive", "--verbose",
                                      "--quiet",   "--help",     "--version"};
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  const char *suggestion =
      strncmp(name, "--", 2) == 0 ? swh_text_closest(name, known, sizeof known / sizeof *known)
                                  : NULL;
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

/* Whether url (when given) passes the core's own rule for the client's URLs, so that what
   passes here passes swh.client; if not, error says why, naming the flag. */
static bool url_valid(const char *flag, const char *url, char *error, size_t error_size) {
  if (!url)
    return true;
  swh_error err;
  swh_error_init(&err);
  bool valid = swh_url_check(flag, url, &err) == SWH_OK;
  if (!valid)
    fail(error, error_size, "%s", err.message);
  swh_error_clear(&err);
  return valid;
}

bool host_options_parse(host_options *options, int argc, char **argv, char *error,
                        size_t error_size) {
  static const char *const long_options[] = {"--project", "--region", "--base-url", "--auth",
                                             "--auth-url"};
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
    if (strcmp(arg, "-i") == 0 || strcmp(arg, "--interactive") == 0) {
      options->interactive = true;
      continue;
    }
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
      options->verbose = true;
      continue;
    }
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
      options->quiet = true;
      continue;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      options->help = true;
      continue;
    }
    if (strcmp(arg, "--version") == 0) {
      options->version = true;
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
    const char **targets[] = {&options->project, &options->region, &options->base_url,
                              &options->auth, &options->auth_url};
    bool matched = false;
    for (size_t k = 0; k < sizeof long_options / sizeof *long_options && !matched; k++) {
      bool missing;
      const char *value = option_value(long_options[k], argc, argv, &i, &missing);
      if (!value)
        continue;
      if (missing)
        return fail(error, error_size, "option '%s' needs a value", long_options[k]);
      *targets[k] = value;
      matched = true;
    }
    if (!matched)
      return unknown_option(error, error_size, arg);
  }
  options->script = i < argc ? i : 0;

  /* Flags are checked here, not in Lua, so that a bad one exits with status 2 before
     anything runs (before --help, the sandbox or any -e). The prelude checks only SINCH_*
     values, when `client` is first used, in the same words (host_prelude.lua, bad_value), and
     leaves URLs to the core (swh_url_check) both here and there. */
  static const char *const regions[] = {"us", "eu", "br", NULL};
  static const char *const auths[] = {"oauth2", "basic", NULL};
  if (options->region && !is_one_of(options->region, regions))
    return fail(error, error_size, "--region: \"%.100s\" is not a region (us, eu, br)",
                options->region);
  if (!url_valid("--base-url", options->base_url, error, error_size) ||
      !url_valid("--auth-url", options->auth_url, error, error_size))
    return false;
  if (options->auth && !is_one_of(options->auth, auths))
    return fail(error, error_size, "--auth: expected \"oauth2\" or \"basic\", got \"%.100s\"",
                options->auth);
  if (options->sandbox != HOST_SANDBOX_NONE &&
      (options->project || options->region || options->base_url || options->auth_url))
    return fail(error, error_size,
                "option '--sandbox' cannot be combined with '--%s': the sandbox is its own "
                "project",
                options->project    ? "project"
                : options->region   ? "region"
                : options->base_url ? "base-url"
                                    : "auth-url");
  return true;
}

void host_options_free(host_options *options) {
  free(options->chunks);
  options->chunks = NULL;
  options->chunk_count = 0;
}
