/*
 * emu_packed: how the store keeps a webhook. As jansson objects a webhook takes ~1.9 KB (an
 * object, its hash table, a node and a string a field); packed, it is one string value of
 * ~450 bytes holding its keys and its whole text:
 *
 *     ID \0 APP_ID \0 TARGET \0 JSON
 *
 * the keys the project model indexes it by (emu_packed_keys, its swh_project_keys_fn; an
 * empty ID for a webhook without one), then the webhook as compact JSON text, exactly as an
 * answer gives it (EMU_REPLY_JSON_FLAGS): a GET answers the text as it is, a list joins the
 * texts, and whatever reads the fields unpacks a copy. That is what holds 100,000 webhooks
 * in well under 200 MB. Packed values are never changed: a change packs a new one.
 *
 * The keys are read as the project model reads an object's, as C strings: a key with a
 * "\u0000" in it is cut there, in the model and here alike (the text keeps it whole).
 */
#ifndef EMU_PACKED_H
#define EMU_PACKED_H

#include <stdbool.h>

#include <jansson.h>

/* webhook (an object with a string "app_id" and "target", and a string "id" or none;
   borrowed) packed, a new value, or NULL when out of memory or without those keys. */
json_t *emu_packed_new(const json_t *webhook);

/* The webhook a packed value holds, as a new object the caller owns and may change, or NULL
   when out of memory. */
json_t *emu_packed_unpack(const json_t *packed);

/* The packed webhook's compact JSON text (borrowed: valid as long as packed is). */
const char *emu_packed_text(const json_t *packed);

/* The packed webhook's keys (borrowed), as swh_project_keys_fn: *id is NULL when it has
   none. false when packed is not a packed webhook. */
bool emu_packed_keys(const json_t *packed, const char **id, const char **app_id,
                     const char **target);

#endif
