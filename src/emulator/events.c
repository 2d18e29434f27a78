/* The callback event bodies (see events.h; the sources of each shape: doc/CALLBACKS.md). */
#include "events.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "swh_webhook.h" /* swh_trigger_canonical */
#include "ulid.h"

typedef struct event_kind {
  const char *trigger;
  const char *member;
} event_kind;

/* API.md's triggers and the member of their callbacks (the SDKs' callback event models). */
static const event_kind kinds[] = {
    {"MESSAGE_DELIVERY", "message_delivery_report"},
    {"MESSAGE_SUBMIT", "message_submit_notification"},
    {"EVENT_DELIVERY", "event_delivery_report"},
    {"MESSAGE_INBOUND", "message"},
    {"EVENT_INBOUND", "event"},
    {"SMART_CONVERSATION", "smart_conversation_notification"},
    {"MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION", "message_redaction"},
    {"CONVERSATION_START", "conversation_start_notification"},
    {"CONVERSATION_STOP", "conversation_stop_notification"},
    {"CONVERSATION_DELETE", "conversation_delete_notification"},
    {"CONTACT_CREATE", "contact_create_notification"},
    {"CONTACT_DELETE", "contact_delete_notification"},
    {"CONTACT_MERGE", "contact_merge_notification"},
    {"CONTACT_UPDATE", "contact_update_notification"},
    {"CONTACT_IDENTITIES_DUPLICATION", "duplicated_contact_identities_notification"},
    {"UNSUPPORTED", "unsupported_callback"},
    {"OPT_IN", "opt_in_notification"},
    {"OPT_OUT", "opt_out_notification"},
    {"CAPABILITY", "capability_notification"},
    {"CHANNEL_EVENT", "channel_event_notification"},
    {"RECORD_NOTIFICATION", "record_notification"},
};

const char *emu_event_member(const char *trigger) {
  /* another spelling of a trigger (the core's SWH_TRIGGER_ALIASES) means the same event */
  const char *canonical = swh_trigger_canonical(trigger);
  if (canonical)
    trigger = canonical;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kinds[i].trigger, trigger) == 0)
      return kinds[i].member;
  return NULL;
}

typedef struct ids {
  char message[EMU_ULID_LEN + 1];
  char conversation[EMU_ULID_LEN + 1];
  char contact[EMU_ULID_LEN + 1];
  char other[EMU_ULID_LEN + 1];
} ids;

static void new_id(char out[EMU_ULID_LEN + 1], unsigned long long ms) {
  unsigned char random[10] = {0};
  if (RAND_bytes(random, sizeof random) != 1)
    memset(random, 0x5a, sizeof random); /* an emulator's id: unique enough by its time */
  emu_ulid_format(out, ms, random);
}

/* "2026-12-01T23:13:11.659Z", as the callbacks carry their times */
static void iso_now(const struct timespec *now, char out[32]) {
  struct tm tm;
  time_t seconds = now->tv_sec;
  gmtime_r(&seconds, &tm);
  char whole[24];
  strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 32, "%.20s.%03dZ", whole, (int)(now->tv_nsec / 1000000) % 1000);
}

static json_t *channel_identity(const char *app_id) {
  return json_pack("{s:s,s:s,s:s}", "channel", "SMS", "identity", "46732001122", "app_id",
                   app_id);
}

static json_t *contact(const char *id) {
  return json_pack("{s:s,s:[{s:s,s:s}],s:s,s:s,s:s,s:s,s:s}", "id", id, "channel_identities",
                   "channel", "SMS", "identity", "46732001122", "display_name",
                   "Emulated Contact", "email", "", "external_id", "", "metadata", "",
                   "language", "EN_US");
}

/* The trigger-specific member: a plausible sample, filled with fresh ids. */
static json_t *sample(const char *member, const char *app_id, const ids *id,
                      const char *now) {
  if (!strcmp(member, "message_delivery_report"))
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "message_id", id->message,
                     "conversation_id", id->conversation, "status", "DELIVERED",
                     "channel_identity", channel_identity(app_id), "contact_id", id->contact,
                     "metadata", "", "processing_mode", "CONVERSATION");
  if (!strcmp(member, "event_delivery_report"))
    return json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "event_id", id->message, "status",
                     "DELIVERED", "channel_identity", channel_identity(app_id), "contact_id",
                     id->contact, "metadata", "", "processing_mode", "CONVERSATION");
  if (!strcmp(member, "message") || !strcmp(member, "message_redaction"))
    return json_pack("{s:s,s:s,s:{s:{s:s}},s:o,s:s,s:s,s:s,s:s,s:s,s:s}", "id", id->message,
                     "direction", "TO_APP", "contact_message", "text_message", "text",
                     "Hello from the emulator", "channel_identity", channel_identity(app_id),
                     "conversation_id", id->conversation, "contact_id", id->contact,
                     "metadata", "", "accept_time", now, "sender_id", "12345",
                     "processing_mode", "CONVERSATION");
  if (!strcmp(member, "event"))
    return json_pack("{s:s,s:s,s:{s:{}},s:o,s:s,s:s,s:s,s:s}", "id", id->message,
                     "direction", "TO_APP", "contact_event", "composing_event",
                     "channel_identity", channel_identity(app_id), "contact_id", id->contact,
                     "conversation_id", id->conversation, "accept_time", now,
                     "processing_mode", "CONVERSATION");
  if (!strcmp(member, "message_submit_notification"))
    return json_pack("{s:s,s:s,s:o,s:s,s:{s:{s:s}},s:s,s:s}", "message_id", id->message,
                     "conversation_id", id->conversation, "channel_identity",
                     channel_identity(app_id), "contact_id", id->contact, "submitted_message",
                     "text_message", "text", "Hello from the emulator", "metadata", "",
                     "processing_mode", "CONVERSATION");
  if (!strncmp(member, "conversation_", 13))
    return json_pack("{s:{s:s,s:s,s:s,s:s,s:b,s:s}}", "conversation", "id", id->conversation,
                     "app_id", app_id, "contact_id", id->contact, "active_channel", "SMS",
                     "active", strcmp(member, "conversation_start_notification") == 0,
                     "metadata", "");
  if (!strcmp(member, "contact_merge_notification"))
    return json_pack("{s:o,s:o}", "preserved_contact", contact(id->contact),
                     "deleted_contact", contact(id->other));
  if (!strncmp(member, "contact_", 8))
    return json_pack("{s:o}", "contact", contact(id->contact));
  if (!strcmp(member, "duplicated_contact_identities_notification"))
    return json_pack("{s:[{s:s,s:[s,s]}]}", "duplicated_identities", "channel", "SMS",
                     "contact_ids", id->contact, id->other);
  if (!strcmp(member, "opt_in_notification") || !strcmp(member, "opt_out_notification"))
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "request_id", id->other, "contact_id",
                     id->contact, "channel", "SMS", "identity", "46732001122", "status",
                     strcmp(member, "opt_in_notification") == 0 ? "OPT_IN_SUCCEEDED"
                                                                : "OPT_OUT_SUCCEEDED");
  if (!strcmp(member, "capability_notification"))
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "contact_id", id->contact, "identity",
                     "46732001122", "channel", "RCS", "capability_status", "CAPABILITY_FULL",
                     "request_id", id->other);
  if (!strcmp(member, "channel_event_notification"))
    return json_pack("{s:{s:s,s:s,s:{}}}", "channel_event", "channel", "WHATSAPP",
                     "event_type", "WHATSAPP_QUALITY_RATING_CHANGED", "additional_data");
  if (!strcmp(member, "unsupported_callback"))
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "channel", "SMS", "payload", "{}", "id",
                     id->message, "contact_id", id->contact, "conversation_id",
                     id->conversation, "channel_identity", channel_identity(app_id));
  if (!strcmp(member, "smart_conversation_notification"))
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{}}", "contact_id", id->contact,
                     "channel_identity", "46732001122", "channel", "SMS", "message_id",
                     id->message, "conversation_id", id->conversation, "analysis_results");
  /* record_notification */
  return json_pack("{s:s,s:s}", "conversation_id", id->conversation, "contact_id",
                   id->contact);
}

json_t *emu_event_body(const char *trigger, const char *app_id, const char *project_id,
                       const json_t *event, swh_error *err) {
  const char *member = emu_event_member(trigger);
  if (!member) {
    swh_error_set(err, SWH_ERR_VALIDATION,
                  "trigger: \"%.64s\" has no callback event (UNSPECIFIED_TRIGGER and unknown "
                  "triggers send none)",
                  trigger);
    return NULL;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned long long ms = (unsigned long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  ids id;
  new_id(id.message, ms);
  new_id(id.conversation, ms);
  new_id(id.contact, ms);
  new_id(id.other, ms);
  char iso[32];
  iso_now(&now, iso);
  json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "app_id", app_id,
                           "accepted_time", iso, "event_time", iso, "project_id", project_id,
                           member, sample(member, app_id, &id, iso), "message_metadata", "",
                           "correlation_id", "");
  if (body && event && json_object_update_recursive(body, (json_t *)event) != 0) {
    json_decref(body);
    body = NULL;
  }
  if (!body)
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory building a %s event", trigger);
  return body;
}
