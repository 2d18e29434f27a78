/*
 * fixtures: the setup the C tests share, so that each test file says only what it tests.
 * A helper that cannot set up fails the test at once (cmocka's fail_msg), with the
 * library's message. raw_server.h is the other shared piece: a scripted HTTP server.
 */
#ifndef FIXTURES_H
#define FIXTURES_H

#include "swh.h"
#include "swh_emulator.h"

/* Milliseconds of CLOCK_MONOTONIC: for bounds on how long something took. */
double fx_now_ms(void);

void fx_sleep_ms(int ms);

/* A quiet in-process emulator on a free port of 127.0.0.1, started with config. */
swh_emulator *fx_emulator(swh_emulator_config config);

/* A client with config. An OAuth2 config without auth_url gets base_url's /oauth2/token
   (where the emulator and raw_token answer); missing keys get the emulator's defaults. */
swh_client *fx_client(swh_config config);

/* From now on jansson's allocations fail after n more succeed (n = 0: the next one fails),
   to prove that running out of memory is an error like any other; n = -1 gives jansson
   malloc back. */
void fx_allocations_fail(long n);

#endif
