/*
 * host_demo_seed: the projects that `swh --sandbox` starts with, built in C as emulator
 * snapshots ({"swh_snapshot":1,"project_id":...,"apps":[...],"webhooks":[...]}).
 *
 * The demo project is generated, not stored: 40 apps, each with 1 to 4 webhooks, most on
 * the old callback host HOST_DEMO_OLD_HOST, a few on a partner host, with various triggers,
 * some with a secret, some with client_credentials. A fixed pseudo-random sequence makes it
 * the same on every run, so scripts/demo and its spec see the same numbers.
 */
#ifndef SWH_HOST_DEMO_SEED_H
#define SWH_HOST_DEMO_SEED_H

#include <jansson.h>

#define HOST_DEMO_PROJECT "demo-project"
#define HOST_EMPTY_PROJECT "sandbox-project"
#define HOST_DEMO_APPS 40
#define HOST_EMPTY_APPS 3
#define HOST_DEMO_OLD_HOST "hooks.old-callbacks.example.com"
#define HOST_DEMO_PARTNER_HOST "crm.partner.example.net"

/* The demo project as a new snapshot (the caller owns it), or NULL if memory ran out. */
json_t *host_demo_seed(void);

/* A project of HOST_EMPTY_APPS apps and no webhooks (the caller owns it), or NULL. */
json_t *host_empty_seed(void);

#endif
