/*
 * emu_event: the body of a callback for a trigger, in the shape of the Conversation API's
 * callback events (doc/CALLBACKS.md says where each shape comes from): the envelope
 * {"app_id","accepted_time","event_time","project_id","message_metadata","correlation_id"}
 * and one trigger-specific member, e.g. "message_delivery_report" for MESSAGE_DELIVERY.
 */
#ifndef EMU_EVENTS_H
#define EMU_EVENTS_H

#include <jansson.h>

#include "swh_error.h"

/* The member a trigger's callbacks carry ("message" for MESSAGE_INBOUND), or NULL for a
   trigger that has no callback shape here. */
const char *emu_event_member(const char *trigger);

/* A new event body for trigger on app_id of project_id, with fresh ids and the current
   time. `event` (borrowed, may be NULL) is merged over it recursively: its members replace
   the envelope's and the sample's (e.g. {"message_delivery_report":{"status":"FAILED"}}).
   SWH_ERR_VALIDATION for a trigger without a callback shape (naming it), SWH_ERR_MEMORY. */
json_t *emu_event_body(const char *trigger, const char *app_id, const char *project_id,
                       const json_t *event, swh_error *err);

#endif
