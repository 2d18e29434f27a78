/*
 * swh_project: a project's apps and webhooks, indexed, and the rules that bind them
 * together. The snapshot check uses it (and, through the binding, swh.plan); the
 * emulator's store is meant to.
 *
 * The rules of a project live here, once: a webhook's app must be in the project, an app
 * holds at most SWH_WEBHOOKS_PER_APP webhooks, and a target is unique within its app
 * (swh_project_placement, worded by swh_project_placement_error). The rules of one webhook
 * (fields, triggers and their spellings, updatable fields, defaults) live in swh_webhook.h.
 *
 * Apps and webhooks are jansson objects, kept whole, so fields this code does not know
 * survive. The model holds a reference to each; their "id", "app_id" and "target" are what
 * it indexes them by, so change those only through the model (replace a webhook with a
 * changed copy); other fields may be changed in place. A project made with
 * swh_project_new_keyed holds webhooks in a form of the caller's instead, any JSON value,
 * and reads those three keys with the caller's function (the emulator keeps each webhook
 * packed in one string, a fifth of the memory of the object).
 *
 * Indexes (jansson objects used as hash maps): app id -> app, webhook id -> webhook, and per
 * app its webhooks in order. Every operation is O(1) on average: a target is found, and a
 * delete or a move finds its webhook, by walking the at most SWH_WEBHOOKS_PER_APP webhooks
 * of an app (no hash map per app: at 100,000 webhooks they would hold 15 MB).
 * A webhook without an id (a hand-written seed's, before the emulator gives it one) is
 * held and counted like the others, but cannot be found by id.
 *
 * Order: apps in the order they were added; each app's webhooks in the order they joined
 * it (a replace keeps a webhook's place; a move puts it last in its new app).
 *
 * Not thread-safe: the caller locks.
 */
#ifndef SWH_PROJECT_H
#define SWH_PROJECT_H

#include <stddef.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_webhook.h" /* SWH_WEBHOOKS_PER_APP */
#include "swh_export.h"

SWH_BEGIN_DECLS

typedef struct swh_project swh_project;

/* The rules a webhook's place can break (see swh_project_placement). */
typedef enum swh_placement {
  SWH_PLACEMENT_OK = 0,
  SWH_PLACEMENT_NO_APP,       /* its app is not in the project */
  SWH_PLACEMENT_APP_FULL,     /* its app already holds SWH_WEBHOOKS_PER_APP others */
  SWH_PLACEMENT_TARGET_TAKEN, /* another webhook of its app has its target */
} swh_placement;

/*
 * A new empty project. project_id (copied; may be NULL) only appears in messages.
 * Returns NULL when out of memory. The caller frees it with swh_project_free.
 */
SWH_API swh_project *swh_project_new(const char *project_id);

/*
 * How a project reads the keys of a webhook it is given: its id (NULL when it has none),
 * app_id and target, as strings that live as long as the webhook. false when it has no
 * string app_id and target, or an id that is not a string.
 */
typedef bool (*swh_project_keys_fn)(const json_t *webhook, const char **id,
                                    const char **app_id, const char **target);

/* The default swh_project_keys_fn: a webhook is an object; reads its "id", "app_id" and
   "target" fields. */
SWH_API bool swh_project_object_keys(const json_t *webhook, const char **id,
                                     const char **app_id, const char **target);

/* As swh_project_new, for webhooks whose keys keys reads. */
SWH_API swh_project *swh_project_new_keyed(const char *project_id, swh_project_keys_fn keys);

/* Releases the project and its references to apps and webhooks. NULL is fine. */
SWH_API void swh_project_free(swh_project *project);

/* The project id given to swh_project_new, or NULL. Borrowed. */
SWH_API const char *swh_project_id(const swh_project *project);

/*
 * Adds app (an object with a non-empty string "id"; the project takes a reference) as the
 * last app. SWH_ERR_VALIDATION if it has no such id or the id is taken
 * ("app.id: \"A\" is already an app of the project"), SWH_ERR_MEMORY; then nothing changed.
 */
SWH_API swh_status swh_project_add_app(swh_project *project, json_t *app, swh_error *err);

/* How many apps; the app at position (0 .. count-1, in order), borrowed, or NULL. */
SWH_API size_t swh_project_app_count(const swh_project *project);
SWH_API json_t *swh_project_app_at(const swh_project *project, size_t position);

/* The app with this id, borrowed, or NULL. */
SWH_API json_t *swh_project_app(const swh_project *project, const char *app_id);

/* The webhooks of the app with this id, in order, as an array (borrowed: do not change it;
   valid until the next change of the project), or NULL when there is no such app. */
SWH_API const json_t *swh_project_app_webhooks(const swh_project *project, const char *app_id);

/* How many webhooks the project holds. */
SWH_API size_t swh_project_webhook_count(const swh_project *project);

/* The webhook with this id, borrowed, or NULL. */
SWH_API json_t *swh_project_webhook(const swh_project *project, const char *id);

/* The webhook of app_id whose target is target, borrowed, or NULL. */
SWH_API json_t *swh_project_target_holder(const swh_project *project, const char *app_id,
                                          const char *target);

/*
 * Whether a webhook with this app_id and target can be in the project: the app exists, has
 * room, and no other webhook of it has this target. self is the webhook it would replace
 * (an update: it does not count against itself), or NULL (a create). *holder (if holder is
 * not NULL) is set to the webhook holding the target for SWH_PLACEMENT_TARGET_TAKEN, else
 * NULL. The checks run in that order, as the API makes them.
 */
SWH_API swh_placement swh_project_placement(const swh_project *project, const char *app_id,
                                            const char *target, const json_t *self,
                                            const json_t **holder);

/*
 * The API's message for a broken rule, as SWH_ERR_VALIDATION (SWH_OK for
 * SWH_PLACEMENT_OK). project_id may be NULL; holder names the webhook holding the target
 * (its id, or "webhooks[3]" for a file):
 *   "webhook.app_id: no such app \"X\" in project \"P\""   (without " in project" if NULL)
 *   "app \"A\" already has 5 webhooks, the most an app can have"
 *   "webhook.target: app \"A\" already has a webhook with this target (W)"
 * A caller that names the webhook otherwise replaces the leading "webhook".
 */
SWH_API swh_status swh_project_placement_error(swh_error *err, swh_placement rule,
                                               const char *project_id, const char *app_id,
                                               const char *holder);

/* swh_project_placement and, if refused, its message, naming the holder by its id. */
SWH_API swh_status swh_project_check_placement(const swh_project *project, const char *app_id,
                                               const char *target, const json_t *self,
                                               swh_error *err);

/*
 * Adds webhook (an object with string "app_id" and "target", and a string "id" or none; the
 * project takes a reference) as the last of its app, if swh_project_check_placement allows
 * it and its id is not taken ("webhook.id: \"W\" is already the id of another webhook").
 * On failure (SWH_ERR_VALIDATION, SWH_ERR_MEMORY) nothing changed.
 */
SWH_API swh_status swh_project_add_webhook(swh_project *project, json_t *webhook, swh_error *err);

/*
 * Puts webhook in the place of old (a webhook of the project): an update, a move to
 * another app (a new app_id: it joins that app last), a retarget, an id given to a webhook
 * without one; old's id, if it had one, must stay. Checked as swh_project_add_webhook with
 * old not counting against it. The project takes a reference to webhook and drops its
 * reference to old. On failure nothing changed.
 */
SWH_API swh_status swh_project_replace_webhook(swh_project *project, json_t *old, json_t *webhook,
                                               swh_error *err);

/* Removes webhook (a webhook of the project) and drops the project's reference to it.
   SWH_ERR_USAGE if it is not one. */
SWH_API swh_status swh_project_delete_webhook(swh_project *project, json_t *webhook,
                                              swh_error *err);

SWH_END_DECLS

#endif
