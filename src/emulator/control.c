/* The control API and swh_emulator_trigger (see control.h and swh_emulator.h). */
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "events.h"
#include "swh_emulator.h"
#include "swh_webhook.h" /* swh_trigger_canonical */

#define MAX_EVENTS 100000
#define MAX_RATE 100000.0

bool emu_control_path(const char *path) { return strncmp(path, "/_emulator/", 11) == 0; }

/* Whether webhook w takes trigger's callbacks: subscribed (under any spelling of the
   trigger the core knows: swh_trigger_canonical) and of target_type HTTP. */
static bool subscribed(const json_t *w, const char *trigger) {
  const char *type = json_string_value(json_object_get(w, "target_type"));
  if (type && strcmp(type, "HTTP") != 0)
    return false; /* DISMISS, or a type the emulator cannot send to */
  const char *wanted = swh_trigger_canonical(trigger);
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(w, "triggers"), i, t) {
    const char *name = json_string_value(t);
    const char *canonical = name ? swh_trigger_canonical(name) : NULL;
    if (name && (!strcmp(name, trigger) || (wanted && canonical && !strcmp(canonical, wanted))))
      return true;
  }
  return false;
}

/* The webhooks of app_id taking trigger, unpacked (copies: the store may change once its
   lock is released), or NULL with err. */
static json_t *matching_webhooks(emu_store *store, const char *app_id, const char *trigger,
                                 swh_error *err) {
  pthread_rwlock_rdlock(&store->lock);
  json_t *found = NULL;
  if (!swh_project_app(store->project, app_id)) {
    swh_error_set(err, SWH_ERR_VALIDATION, "app_id: no such app \"%.128s\"", app_id);
  } else if (!(found = json_array())) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  } else {
    size_t i;
    json_t *w;
    /* the app's own webhooks (the project's index), not a scan of the project's */
    json_array_foreach(swh_project_app_webhooks(store->project, app_id), i, w) {
      json_t *webhook = emu_packed_unpack(w);
      if (!webhook || (subscribed(webhook, trigger) &&
                       json_array_append(found, webhook) != 0)) {
        json_decref(webhook);
        json_decref(found);
        found = NULL;
        swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
        break;
      }
      json_decref(webhook);
    }
  }
  pthread_rwlock_unlock(&store->lock);
  return found;
}

json_t *swh_emulator_trigger(swh_emulator *emulator, const swh_emulator_event *event,
                             swh_error *err) {
  if (!event || !event->trigger || !event->app_id) {
    swh_error_set(err, SWH_ERR_USAGE, "trigger: the trigger and the app_id are required");
    return NULL;
  }
  if (!emu_event_member(event->trigger)) {
    swh_error_set(err, SWH_ERR_VALIDATION, "trigger: \"%.64s\" is not a trigger with callbacks",
                  event->trigger);
    return NULL;
  }
  if (event->count < 0 || event->count > MAX_EVENTS) {
    swh_error_set(err, SWH_ERR_VALIDATION, "count: %d is not from 0 to %d", event->count,
                  MAX_EVENTS);
    return NULL;
  }
  /* written so that a NaN rate is refused too */
  if (!(event->rate >= 0 && event->rate <= MAX_RATE)) {
    swh_error_set(err, SWH_ERR_VALIDATION, "rate: %g is not from 0 to %g", event->rate,
                  MAX_RATE);
    return NULL;
  }
  if (event->event && !json_is_object(event->event)) {
    swh_error_set(err, SWH_ERR_VALIDATION, "event: expected a JSON object");
    return NULL;
  }
  json_t *webhooks = matching_webhooks(&emulator->store, event->app_id, event->trigger, err);
  if (!webhooks)
    return NULL;
  size_t n = json_array_size(webhooks);
  int count = event->count ? event->count : 1;
  emu_delivery_target *targets = calloc(n ? n : 1, sizeof *targets);
  json_t *answer = json_pack("{s:s,s:s,s:i,s:[]}", "trigger", event->trigger, "app_id",
                             event->app_id, "events", count, "webhooks");
  if (!targets || !answer) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *w = json_array_get(webhooks, i);
    json_t *cc = json_object_get(w, "client_credentials");
    targets[i] = (emu_delivery_target){
        .webhook_id = json_string_value(json_object_get(w, "id")),
        .target = json_string_value(json_object_get(w, "target")),
        .secret = json_string_value(json_object_get(w, "secret")),
        .client_credentials = json_is_object(cc) ? cc : NULL,
    };
    if (json_array_append_new(json_object_get(answer, "webhooks"),
                              json_pack("{s:s?,s:s?}", "id", targets[i].webhook_id, "target",
                                        targets[i].target)) != 0) {
      swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
      goto fail;
    }
  }
  for (int k = 0; n > 0 && k < count; k++) {
    /* each event its own ids and time; at a rate, the k-th goes k/rate s from now */
    json_t *body = emu_event_body(event->trigger, event->app_id, emulator->store.project_id,
                                  event->event, err);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
      if (body)
        swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
      goto fail;
    }
    long delay_ms = event->rate > 0 ? (long)(k * 1000.0 / event->rate) : 0;
    swh_status status = emu_delivery_send(emulator->delivery, event->trigger, targets, n, text,
                                          strlen(text), delay_ms, err);
    free(text);
    if (status != SWH_OK)
      goto fail; /* the events before it are on their way: say how many */
  }
  free(targets);
  json_decref(webhooks);
  return answer;
fail:
  free(targets);
  json_decref(webhooks);
  json_decref(answer);
  return NULL;
}

json_t *swh_emulator_deliveries(swh_emulator *emulator, long limit) {
  return emu_delivery_log(emulator->delivery, limit);
}

bool swh_emulator_wait_deliveries(swh_emulator *emulator, long timeout_ms) {
  return emu_delivery_wait(emulator->delivery, timeout_ms);
}

/* POST /_emulator/events */
static void post_event(struct swh_emulator *emulator, const emu_request *request,
                       emu_reply *reply) {
  json_error_t jerr;
  json_t *body = request->body_len ? json_loadb(request->body, request->body_len, 0, &jerr)
                                   : NULL;
  if (!json_is_object(body)) {
    emu_reply_error(reply, 400, "request body: expected a JSON object {\"trigger\":…,"
                                "\"app_id\":…}");
    json_decref(body);
    return;
  }
  json_t *trigger = json_object_get(body, "trigger"), *app = json_object_get(body, "app_id");
  json_t *count = json_object_get(body, "count"), *rate = json_object_get(body, "rate");
  json_t *event = json_object_get(body, "event");
  const char *wrong = !json_is_string(trigger) ? "trigger: expected a string"
                      : !json_is_string(app)   ? "app_id: expected a string"
                      : count && !json_is_integer(count) ? "count: expected an integer"
                      : rate && !json_is_number(rate)    ? "rate: expected a number"
                      : event && !json_is_object(event)  ? "event: expected an object"
                                                         : NULL;
  if (wrong) {
    emu_reply_error(reply, 400, "%s", wrong);
    json_decref(body);
    return;
  }
  json_int_t n = count ? json_integer_value(count) : 0;
  swh_emulator_event e = {
      .trigger = json_string_value(trigger),
      .app_id = json_string_value(app),
      .event = event,
      .count = n < 0 || n > MAX_EVENTS ? -1 : (int)n,
      .rate = rate ? json_number_value(rate) : 0,
  };
  swh_error err;
  swh_error_init(&err);
  json_t *answer = swh_emulator_trigger(emulator, &e, &err);
  if (answer) {
    emu_reply_json(reply, 200, answer);
  } else {
    bool no_app = strncmp(err.message, "app_id: no such app", 19) == 0;
    emu_reply_error(reply, err.kind == SWH_ERR_MEMORY ? 500 : no_app ? 404 : 400, "%s",
                    err.message);
  }
  swh_error_clear(&err);
  json_decref(body);
}

void emu_control(struct swh_emulator *emulator, const emu_request *request, emu_reply *reply) {
  emu_quote method, path;
  bool post = strcmp(request->method, "POST") == 0, get = strcmp(request->method, "GET") == 0;
  if (!strcmp(request->path, "/_emulator/events")) {
    if (post)
      post_event(emulator, request, reply);
    else
      emu_reply_error(reply, 501, "Method %s is not implemented for /_emulator/events (POST)",
                      emu_quote_text(&method, request->method, 16));
  } else if (!strcmp(request->path, "/_emulator/deliveries")) {
    if (get)
      emu_reply_json(reply, 200, swh_emulator_deliveries(emulator, 0));
    else
      emu_reply_error(reply, 501, "Method %s is not implemented for /_emulator/deliveries (GET)",
                      emu_quote_text(&method, request->method, 16));
  } else {
    emu_reply_error(reply, 404, "No such route: %s %s",
                    emu_quote_text(&method, request->method, 16),
                    emu_quote_text(&path, request->path, 256));
  }
}
