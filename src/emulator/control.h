/*
 * The emulator's control API, beside the Conversation API and not under /v1 (no
 * credentials: the emulator listens on 127.0.0.1 only):
 *   POST /_emulator/events      {"trigger","app_id","event"?,"count"?,"rate"?}: triggers
 *                               events; answers which webhooks they go to
 *   GET  /_emulator/deliveries  the delivery log (delivery.h's emu_delivery_log)
 * doc/CALLBACKS.md describes both.
 */
#ifndef EMU_CONTROL_H
#define EMU_CONTROL_H

#include <stdbool.h>

#include "emulator_internal.h"
#include "reply.h"
#include "routes.h"

/* Whether path is one of the control API's (then emu_control answers it). */
bool emu_control_path(const char *path);

void emu_control(struct swh_emulator *emulator, const emu_request *request, emu_reply *reply);

#endif
