/*
 * swh_webhook: the one definition of a valid webhook, shared by the client (which refuses
 * bad input before sending) and the emulator (which answers 400 like the real API).
 *
 * A webhook is a jansson object, so fields this code does not know are kept as they are and
 * written back unchanged. Validation looks only at the fields API.md defines.
 */
#ifndef SWH_WEBHOOK_H
#define SWH_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

#define SWH_WEBHOOKS_PER_APP 5
#define SWH_TARGET_MAX_LEN 742
#define SWH_SCOPE_MAX_LEN 1024
#define SWH_RESPONSE_TYPE_MAX_LEN 64

/* The 21 usable triggers of API.md, in its order. */
#define SWH_TRIGGERS(X)                                                          \
  X(MESSAGE_DELIVERY) X(MESSAGE_SUBMIT) X(EVENT_DELIVERY) X(MESSAGE_INBOUND)     \
  X(EVENT_INBOUND) X(SMART_CONVERSATION)                                         \
  X(MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION) X(CONVERSATION_START)          \
  X(CONVERSATION_STOP) X(CONVERSATION_DELETE) X(CONTACT_CREATE) X(CONTACT_DELETE)\
  X(CONTACT_MERGE) X(CONTACT_UPDATE) X(CONTACT_IDENTITIES_DUPLICATION)           \
  X(UNSUPPORTED) X(OPT_IN) X(OPT_OUT) X(CAPABILITY) X(CHANNEL_EVENT)             \
  X(RECORD_NOTIFICATION)

/* Other spellings of trigger names, accepted on input and sent as the API's:
   X(spelling, trigger). SMART_CONVERSATIONS is the Node SDK's. */
#define SWH_TRIGGER_ALIASES(X) X(SMART_CONVERSATIONS, SMART_CONVERSATION)

/* The top-level fields update_mask may name, in API.md's order. */
#define SWH_UPDATABLE_FIELDS(X) \
  X(app_id) X(target) X(target_type) X(triggers) X(secret) X(client_credentials)

/* Flags for swh_webhook_validate. */
enum {
  /* Only the fields present are checked and none is required (an update's changes).
     Without it: app_id and target are required and id must be absent (a create). */
  SWH_VALIDATE_PARTIAL = 1u << 0,
  /* Trigger names must be among the known ones (the emulator, which is the server).
     Without it, a well-formed unknown name (A-Z, 0-9, _) that is not a likely typo of a
     known one passes, since Sinch adds triggers over time and a client must carry them. */
  SWH_VALIDATE_STRICT_TRIGGERS = 1u << 1,
  /* A whole webhook as a server holds it (a snapshot's): as a create, but id may be there
     (its type is the caller's to check). */
  SWH_VALIDATE_WITH_ID = 1u << 2,
};
/* Fields not in API.md are kept and passed on (Sinch adds fields), except a likely typo of
   one: a key within the trigger-suggestion distance of a known field is refused. */

/*
 * Checks a webhook (or an update's changes with SWH_VALIDATE_PARTIAL) against API.md:
 * types, target present, a http(s) URL of at most 742 characters whose host is not
 * conversation-api.*.sinch.com, target_type HTTP or DISMISS, triggers an array of names with
 * no repeats and never UNSPECIFIED_TRIGGER (an unknown name close to a known one gets
 * "did you mean"), client_credentials null (partial only: clears) or an object with
 * client_id, client_secret and endpoint, scope <= 1024, response_type <= 64,
 * token_request_type BASIC or FORM. SMART_CONVERSATIONS (the Node SDK's spelling) counts as
 * SMART_CONVERSATION, also when looking for repeats. client_credentials.endpoint must be an
 * http(s) URL too (it is where Sinch fetches its token). target_type (HTTP, DISMISS) and
 * token_request_type (BASIC, FORM) are enums the API may extend or have legacy values of:
 * a wrongly cased value or a likely typo of a known one is refused with "did you mean";
 * another well-formed value (A-Z, 0-9, _) passes without SWH_VALIDATE_STRICT_TRIGGERS, so
 * that a client carries through what it read; with it, only one more_triggers names as
 * "target_type=VALUE" or "token_request_type=VALUE" (a value the emulator's seed held).
 * A key that is not one of API.md's fields (id, app_id, target, target_type, secret,
 * triggers, client_credentials; inside client_credentials: client_id, client_secret,
 * endpoint, scope, response_type, token_request_type) but is close to one, with or without
 * SWH_VALIDATE_PARTIAL, is refused before anything else in its object:
 *   "webhook.triger: unknown field (did you mean \"triggers\"?)"
 *   "webhook.client_credentials.client_secert: unknown field (did you mean \"client_secret\"?)"
 * Other unknown keys pass and are kept.
 * On failure returns SWH_ERR_VALIDATION with a message naming the field, e.g.
 *   "webhook.triggers[2]: unknown trigger \"MESAGE_DELIVERY\" (did you mean \"MESSAGE_DELIVERY\"?)"
 * and never quoting a secret. Returns SWH_OK otherwise.
 */
SWH_API swh_status swh_webhook_validate(const json_t *webhook, unsigned flags, swh_error *err);

/*
 * swh_webhook_validate, with more_triggers (an object whose keys are trigger names, and
 * enum values as "target_type=VALUE", or NULL) counted as known: a server that has seen newer triggers (the emulator loaded from a backup
 * of the real API) checks with SWH_VALIDATE_STRICT_TRIGGERS and those names. A name there is
 * never "corrected" by a suggestion.
 */
SWH_API swh_status swh_webhook_validate_with(const json_t *webhook, unsigned flags,
                                             const json_t *more_triggers, swh_error *err);

/*
 * The keys of webhook that API.md does not define, and those inside its client_credentials
 * object, as paths: "signing_secret", "client_credentials.audience". A new array (empty when
 * there are none; none for a webhook that is not an object), NULL when memory runs out.
 * The emulator drops, keeps or refuses them; the client warns about them (doc/EMULATOR.md).
 */
SWH_API json_t *swh_webhook_unknown_fields(const json_t *webhook);

/* Rewrites the other spellings of trigger names (SWH_TRIGGER_ALIASES:
   SMART_CONVERSATIONS) to the API's (SMART_CONVERSATION) in webhook->triggers, in place. */
SWH_API void swh_webhook_normalize(json_t *webhook);

/*
 * What an updatable field is when a webhook leaves it out, as a new JSON value (the caller
 * owns it): target_type "HTTP", triggers [], secret "" and client_credentials null (none,
 * in the words an update uses to clear them). NULL for app_id and target (required, no
 * default), for any other name, and when out of memory.
 */
SWH_API json_t *swh_webhook_field_default(const char *field);

/*
 * Gives a webhook being created what the API fills in: each field left out whose default
 * is a value (target_type, triggers) gets it, and secret "" (none) is removed. Returns
 * false when out of memory (then some defaults may be missing).
 */
SWH_API bool swh_webhook_apply_defaults(json_t *webhook);

/*
 * Applies an update's changes (an object of fields, borrowed) to webhook, in place, as the
 * API does: a null value removes its field (clears client_credentials), and so does a ""
 * secret (none); any other value (a copy) replaces the field's. Trigger names are then
 * normalised (swh_webhook_normalize). Returns false when out of memory (then some changes
 * may be missing: apply them to a copy).
 */
SWH_API bool swh_webhook_apply_changes(json_t *webhook, const json_t *changes);

/* The API's spelling of a known trigger name (SMART_CONVERSATION for the Node SDK's
   SMART_CONVERSATIONS; the name itself for the others), static; NULL for an unknown name. */
SWH_API const char *swh_trigger_canonical(const char *name);

/* Whether name is one of the 21 usable triggers (SMART_CONVERSATIONS counts). */
SWH_API bool swh_trigger_known(const char *name);

/* The known trigger closest to name within a small edit distance, or NULL. Static string. */
SWH_API const char *swh_trigger_suggest(const char *name);

/* Whether name is one of SWH_UPDATABLE_FIELDS. */
SWH_API bool swh_field_updatable(const char *name);

/*
 * Builds "a,b" from the keys of changes (an object), in SWH_UPDATABLE_FIELDS order, into
 * buf. Refuses (SWH_ERR_VALIDATION) an empty object, "id" (read-only) and any key not
 * updatable, naming it ("webhook.<key>: not an updatable field (did you mean ...; updatable:
 * ...)") and listing the updatable fields. SWH_ERR_USAGE if buf is NULL or too small (then
 * buf is ""). The values are not checked here: that is swh_webhook_validate's work.
 */
SWH_API swh_status swh_update_mask_build(const json_t *changes, char *buf, size_t size,
                                         swh_error *err);

/*
 * Parses an update_mask into a new array of field names (the caller owns it), accepting the
 * comma-joined form; each element may itself be comma-joined, so the repeated forms can be
 * passed value by value by calling it once per query value and merging. Unknown paths give
 * SWH_ERR_VALIDATION "update_mask: unknown field \"x\" (...)". Returns NULL on failure.
 * Tolerated: spaces around paths, empty paths ("a,,b", a trailing comma), repeats (kept
 * once), and the lowerCamelCase of protobuf's JSON FieldMask (targetType, appId,
 * clientCredentials), which is turned into the snake_case name. "" gives an empty array.
 */
SWH_API json_t *swh_update_mask_parse(const char *mask, swh_error *err);

SWH_END_DECLS

#endif
