/* swh-emulator: the emulator library behind command-line flags, until SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "swh_emulator.h"
#include "swh_text.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: swh-emulator [options] [snapshot.json]\n"
    "A local Sinch Conversation API (webhooks, apps, OAuth2 tokens) on 127.0.0.1.\n"
    "\n"
    "  --port N          listen on 127.0.0.1:N (default 0: a free port, printed)\n"
    "  --project ID      the project id (default " SWH_EMULATOR_DEFAULT_PROJECT ")\n"
    "  --key-id ID       the access key id (default " SWH_EMULATOR_DEFAULT_KEY_ID ")\n"
    "  --key-secret S    the access key secret (default " SWH_EMULATOR_DEFAULT_KEY_SECRET ")\n"
    "  --apps N          start with N apps and no webhooks (default 3)\n"
    "  --seed-file FILE  start from a snapshot file (also given as the positional argument)\n"
    "  --state FILE      load FILE at start if it exists; save every change to it (and\n"
    "                    FILE.log) before answering\n"
    "  --latency MS      delay every answer by MS milliseconds\n"
    "  --rate-limit RPS  project requests per second (default 800; negative: no limit)\n"
    "  --basic-rate-limit RPS  requests per second with Basic auth, within the project's\n"
    "                    (default 200; negative: no limit)\n"
    "  --no-retry-after  the rate limits' 429s come without Retry-After\n"
    "  --error-form nested|flat  errors as {\"error\":{...}} (default) or flat\n"
    "  --token-ttl S     seconds an OAuth2 token lives (default 3600)\n"
    "  --faults SPEC     e.g. 500=0.05,503=0.05,429=0.05,429ra=0.05,drop=0.02,lost=0.02\n"
    "  --seed N          seed for faults and ids (the same seed gives the same run)\n"
    "  --callback-retry MS  first retry of a failed callback after MS ms, then doubling\n"
    "                    (default 5000, as Sinch; doc/CALLBACKS.md)\n"
    "  --callback-attempts N  attempts per callback at most (default 15)\n"
    "  --unknown-fields drop|keep|refuse  what a create or update does with fields the\n"
    "                    API does not define (default drop; a seed's fields are kept)\n"
    "  -q, --quiet       no request log on stderr\n"
    "  -h, --help        this help\n"
    "  --version         the version\n";

__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "swh-emulator: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'swh-emulator --help'.\n");
  va_end(ap);
  return EXIT_USAGE;
}

/* "--prot: unknown option (did you mean --port?)": the flag's name, without its "=value",
   against the long options. */
static int unknown_option(const char *arg, const struct option *options) {
  char name[64], flags[32][24];
  const char *candidates[32];
  size_t count = 0;
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  for (; options[count].name && count < 32; count++) {
    snprintf(flags[count], sizeof flags[count], "--%s", options[count].name);
    candidates[count] = flags[count];
  }
  const char *closest =
      strncmp(name, "--", 2) == 0 ? swhi_text_closest(name, candidates, count) : NULL;
  if (closest && strcmp(closest, name) == 0) /* --quiet=1 */
    return bad_usage("%s: takes no value", name);
  if (closest)
    return bad_usage("%s: unknown option (did you mean %s?)", name, closest);
  return bad_usage("%s: unknown option", name);
}

/* Parses an integer flag value in [min, max]. */
static bool parse_int(const char *text, long min, long max, long *out) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno || end == text || *end || value < min || value > max)
    return false;
  *out = value;
  return true;
}

int main(int argc, char **argv) {
  /* One malloc arena: the webhooks a request thread replaces were allocated by the loading
     thread, and with an arena per thread their freed memory was never reused (100,000
     retargeted webhooks took the emulator from 242 MB to 365 MB; with one, it stays). The
     threads only allocate under the store's lock or for an answer, small and brief. */
  mallopt(M_ARENA_MAX, 1);
  enum { OPT_PORT = 256, OPT_PROJECT, OPT_KEY_ID, OPT_KEY_SECRET, OPT_APPS, OPT_SEED_FILE,
         OPT_STATE, OPT_LATENCY, OPT_RATE, OPT_TTL, OPT_FAULTS, OPT_SEED, OPT_VERSION,
         OPT_CALLBACK_RETRY, OPT_CALLBACK_ATTEMPTS, OPT_UNKNOWN_FIELDS,
         OPT_BASIC_RATE, OPT_NO_RETRY_AFTER, OPT_ERROR_FORM };
  static const struct option options[] = {
      {"port", required_argument, NULL, OPT_PORT},
      {"project", required_argument, NULL, OPT_PROJECT},
      {"key-id", required_argument, NULL, OPT_KEY_ID},
      {"key-secret", required_argument, NULL, OPT_KEY_SECRET},
      {"apps", required_argument, NULL, OPT_APPS},
      {"seed-file", required_argument, NULL, OPT_SEED_FILE},
      {"state", required_argument, NULL, OPT_STATE},
      {"latency", required_argument, NULL, OPT_LATENCY},
      {"rate-limit", required_argument, NULL, OPT_RATE},
      {"token-ttl", required_argument, NULL, OPT_TTL},
      {"faults", required_argument, NULL, OPT_FAULTS},
      {"seed", required_argument, NULL, OPT_SEED},
      {"callback-retry", required_argument, NULL, OPT_CALLBACK_RETRY},
      {"callback-attempts", required_argument, NULL, OPT_CALLBACK_ATTEMPTS},
      {"unknown-fields", required_argument, NULL, OPT_UNKNOWN_FIELDS},
      {"basic-rate-limit", required_argument, NULL, OPT_BASIC_RATE},
      {"no-retry-after", no_argument, NULL, OPT_NO_RETRY_AFTER},
      {"error-form", required_argument, NULL, OPT_ERROR_FORM},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, OPT_VERSION},
      {NULL, 0, NULL, 0},
  };
  swh_emulator_config config = {.apps = 3};
  bool apps_given = false;
  long value;
  int option;
  opterr = 0; /* the messages below say more */
  while ((option = getopt_long(argc, argv, ":qh", options, NULL)) != -1) {
    const char *name = argv[optind - 1];
    switch (option) {
    case OPT_PORT:
      if (!parse_int(optarg, 0, 65535, &value))
        return bad_usage("--port: \"%s\" is not a port (0-65535)", optarg);
      config.port = (int)value;
      break;
    case OPT_PROJECT: config.project_id = optarg; break;
    case OPT_KEY_ID: config.key_id = optarg; break;
    case OPT_KEY_SECRET: config.key_secret = optarg; break;
    case OPT_APPS:
      if (!parse_int(optarg, 0, 10000, &value))
        return bad_usage("--apps: \"%s\" is not a number of apps (0-10000)", optarg);
      config.apps = (int)value;
      apps_given = true;
      break;
    case OPT_SEED_FILE: config.seed_file = optarg; break;
    case OPT_STATE: config.state_file = optarg; break;
    case OPT_LATENCY:
      if (!parse_int(optarg, 0, 600000, &value))
        return bad_usage("--latency: \"%s\" is not milliseconds (0-600000)", optarg);
      config.latency_ms = (int)value;
      break;
    case OPT_RATE: {
      char *end;
      errno = 0;
      double rate = strtod(optarg, &end);
      if (errno || end == optarg || *end)
        return bad_usage("--rate-limit: \"%s\" is not requests per second", optarg);
      /* 0 in the C config means the default; on the command line, say what you mean */
      if (rate == 0)
        return bad_usage("--rate-limit: 0 would refuse everything; use a negative value "
                         "for no limit");
      config.rate_limit = rate;
      break;
    }
    case OPT_TTL:
      if (!parse_int(optarg, 1, INT_MAX, &value))
        return bad_usage("--token-ttl: \"%s\" is not a number of seconds (at least 1)",
                         optarg);
      config.token_ttl = (int)value;
      break;
    case OPT_FAULTS: config.faults = optarg; break;
    case OPT_SEED:
      if (!parse_int(optarg, 0, (long)UINT_MAX, &value))
        return bad_usage("--seed: \"%s\" is not a number (0-%u)", optarg, UINT_MAX);
      config.seed_random = (unsigned)value;
      break;
    case OPT_CALLBACK_RETRY:
      if (!parse_int(optarg, 1, 86400000, &value))
        return bad_usage("--callback-retry: \"%s\" is not milliseconds (1-86400000)", optarg);
      config.callback_retry_ms = (int)value;
      break;
    case OPT_CALLBACK_ATTEMPTS:
      if (!parse_int(optarg, 1, 100, &value))
        return bad_usage("--callback-attempts: \"%s\" is not a number of attempts (1-100)",
                         optarg);
      config.callback_attempts = (int)value;
      break;
    case OPT_BASIC_RATE: {
      char *end;
      errno = 0;
      double rate = strtod(optarg, &end);
      if (errno || end == optarg || *end)
        return bad_usage("--basic-rate-limit: \"%s\" is not requests per second", optarg);
      if (rate == 0)
        return bad_usage("--basic-rate-limit: 0 would refuse everything; use a negative "
                         "value for no limit");
      config.basic_rate_limit = rate;
      break;
    }
    case OPT_NO_RETRY_AFTER: config.no_retry_after = true; break;
    case OPT_ERROR_FORM:
      if (strcmp(optarg, "nested") != 0 && strcmp(optarg, "flat") != 0)
        return bad_usage("--error-form: \"%s\" is not nested or flat", optarg);
      config.flat_errors = strcmp(optarg, "flat") == 0;
      break;
    case OPT_UNKNOWN_FIELDS:
      if (strcmp(optarg, "drop") == 0)
        config.unknown_fields = SWH_EMULATOR_UNKNOWN_DROP;
      else if (strcmp(optarg, "keep") == 0)
        config.unknown_fields = SWH_EMULATOR_UNKNOWN_KEEP;
      else if (strcmp(optarg, "refuse") == 0)
        config.unknown_fields = SWH_EMULATOR_UNKNOWN_REFUSE;
      else
        return bad_usage("--unknown-fields: \"%s\" is not drop, keep or refuse", optarg);
      break;
    case 'q': config.quiet = true; break;
    case 'h': fputs(usage, stdout); return 0;
    case OPT_VERSION: puts("swh-emulator 0.1.0"); return 0;
    case ':': return bad_usage("%s: needs a value", name);
    default: {
      /* An unknown letter: named by itself. In a group ("-xq") optind stays on the group's
         word, so argv[optind - 1] is the word before, perhaps a --key-secret value. */
      const char *word = optind < argc ? argv[optind] : "";
      bool in_group = word[0] == '-' && word[1] != '-' && optopt && strchr(word + 1, optopt);
      if (in_group || (optopt && strncmp(name, "--", 2) != 0))
        return bad_usage("-%c: unknown option", optopt);
      return unknown_option(name, options);
    }
    }
  }
  if (optind < argc) {
    if (config.seed_file || optind + 1 < argc) /* name the one too many */
      return bad_usage("one snapshot only (got \"%s\")",
                       argv[config.seed_file ? optind : optind + 1]);
    config.seed_file = argv[optind];
  }

  /* The server's threads inherit this mask, so the signals come to sigwait below */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);
  /* Each connection takes a descriptor: allow as many as the hard limit does, so that a
     flood of idle connections does not reach the limit before their deadline frees them. */
  struct rlimit open_files;
  if (getrlimit(RLIMIT_NOFILE, &open_files) == 0 && open_files.rlim_cur < open_files.rlim_max) {
    open_files.rlim_cur = open_files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &open_files);
  }

  /* What seeds the project: the state file when it exists, else the snapshot, else --apps.
     Said aloud when something given is therefore not used (asked before the start, which
     may create the state file). */
  bool state_exists = config.state_file && access(config.state_file, F_OK) == 0;

  swh_error err;
  swh_error_init(&err);
  swh_emulator *emulator = swh_emulator_start(&config, &err);
  if (!emulator) {
    /* the library names the state file by its path; here the flag that gave it says more */
    size_t state_len = config.state_file ? strlen(config.state_file) : 0;
    bool about_state = state_len && strncmp(err.message, config.state_file, state_len) == 0 &&
                       err.message[state_len] == ':' &&
                       !(config.seed_file && strcmp(config.seed_file, config.state_file) == 0);
    fprintf(stderr, "swh-emulator: %s%s\n", about_state ? "--state " : "", err.message);
    int code = err.kind == SWH_ERR_MEMORY ? 1 : EXIT_USAGE;
    swh_error_clear(&err);
    return code;
  }
  if (state_exists && config.seed_file)
    fprintf(stderr, "swh-emulator: --state %s exists and was loaded: the snapshot %s was not "
            "used\n", config.state_file, config.seed_file);
  if (apps_given && (state_exists || config.seed_file))
    fprintf(stderr, "swh-emulator: --apps %d was not used: the project comes from %s%s\n",
            config.apps, state_exists ? "--state " : "the snapshot ",
            state_exists ? config.state_file : config.seed_file);
  const char *key_id = config.key_id ? config.key_id : SWH_EMULATOR_DEFAULT_KEY_ID;
  printf("swh-emulator listening on %s\n", swh_emulator_url(emulator));
  /* the secret is printed only when it is the public default: a chosen one stays private */
  if (config.key_secret)
    printf("project %s, key id %s, key secret as given (not shown)\n",
           swh_emulator_project(emulator), key_id);
  else
    printf("project %s, key id %s, key secret %s (the default)\n",
           swh_emulator_project(emulator), key_id, SWH_EMULATOR_DEFAULT_KEY_SECRET);
  fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (!config.quiet)
    fprintf(stderr, "swh-emulator: stopping (%s)\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  swh_emulator_stop(emulator);
  return 0;
}
