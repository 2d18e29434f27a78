/*
 * host_options: the command line of swh, parsed into a plain struct before Lua starts, so a
 * bad flag is reported (exit status 2) without running anything.
 *
 *   swh [options] [script.lua [args...]]
 *
 * Options stop at the script name, at "--", or at "-" (the script is read from stdin);
 * everything after the script belongs to it. All strings are borrowed from argv.
 */
#ifndef SWH_HOST_OPTIONS_H
#define SWH_HOST_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "swh_settings.h"

typedef enum {
  HOST_SANDBOX_NONE,  /* talk to the real API (flags and SINCH_* environment) */
  HOST_SANDBOX_DEMO,  /* --sandbox or --sandbox=demo: the seeded demo project */
  HOST_SANDBOX_EMPTY, /* --sandbox=empty: three apps, no webhooks */
  HOST_SANDBOX_FILE,  /* --sandbox=FILE: a snapshot file */
} host_sandbox_kind;

typedef struct host_options {
  /* The client's settings given by their flags (--project, --region, --rate, ...: the
     flags of the core's settings table), checked as swh.client checks them; NULL: not
     given. */
  const char *settings[SWHI_SETTING_COUNT];
  bool verbose;          /* -v: HTTP trace on stderr */
  bool quiet;            /* -q: no progress output */
  bool interactive;      /* -i: the REPL after the script */
  bool help;             /* --help */
  bool version;          /* --version */
  host_sandbox_kind sandbox;
  const char *sandbox_file;
  const char **chunks;   /* the -e CODE values, in order (owned: host_options_free) */
  int chunk_count;
  int script;            /* argv index of the script, or 0 when there is none */
  bool script_stdin;     /* the script is stdin: a "-" among the options (not after "--") */
} host_options;

/*
 * Parses argv into options. Returns true, or false with a one-line message in error (no
 * "swh: " prefix) naming the offending option. options must be freed with host_options_free
 * either way.
 */
bool host_options_parse(host_options *options, int argc, char **argv, char *error,
                        size_t error_size);

void host_options_free(host_options *options);

/* Writes the --help text to out (the settings' flags from the core's table). */
void host_usage_print(FILE *out);

#endif
