/*
 * host_trigger: the sandbox's callbacks for scripts (doc/CALLBACKS.md). Under --sandbox,
 * the host sets swh.emulator_trigger and swh.emulator_deliveries from these:
 *
 *   swh.emulator_trigger{trigger=, app_id=, event=?, count=?, rate=?}
 *       -> {trigger, app_id, events, webhooks={{id, target}…}} | nil, err
 *   swh.emulator_deliveries{wait=?, limit=?}
 *       -> {pending, delivered, failed, deliveries={…}}   (wait: seconds to wait until
 *          none is pending first)
 */
#ifndef SWH_HOST_TRIGGER_H
#define SWH_HOST_TRIGGER_H

#include <lua.h>

/* Sets `trigger` and `deliveries` into the table at the top of the stack; the sandbox is
   the userdata at registry["swh.host.sandbox"]. */
void host_trigger_open(lua_State *L);

#endif
