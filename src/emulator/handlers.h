/*
 * The handlers of the project's resources: the five webhook operations and the apps list,
 * with every rule of API.md (the app must exist, 5 webhooks per app, a target unique within
 * its app, the update_mask forms, clearing). Each takes the store's lock itself, saves the
 * state file after a change, and fills a reply. Request bodies are borrowed.
 */
#ifndef EMU_HANDLERS_H
#define EMU_HANDLERS_H

#include <jansson.h>

#include "reply.h"
#include "store.h"

void emu_handle_list_apps(emu_store *store, emu_reply *reply);
/* GET /v1/projects/P/apps/A: the app as the list shows it, or 404. */
void emu_handle_get_app(emu_store *store, const char *app_id, emu_reply *reply);
void emu_handle_list_webhooks(emu_store *store, const char *app_id, emu_reply *reply);
void emu_handle_create(emu_store *store, const json_t *body, emu_reply *reply);
void emu_handle_get(emu_store *store, const char *id, emu_reply *reply);
/* masks: every value given for update_mask and update_mask.paths (an array of strings,
   each maybe comma-joined), or NULL/empty when no mask came: then exactly the fields
   present in body are applied. */
void emu_handle_update(emu_store *store, const char *id, const json_t *body,
                       const json_t *masks, emu_reply *reply);
void emu_handle_delete(emu_store *store, const char *id, emu_reply *reply);

#endif
