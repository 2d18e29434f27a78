-- client.webhooks and client.apps against the emulator: every operation, the answers the
-- API gives, what the client refuses before sending, and what it keeps.
local helper = require "helper"
local swh = require "swh"

local APP_A = "01SEEDAPP0000000000000000A"
local APP_B = "01SEEDAPP0000000000000000B"
local APP_C = "01SEEDAPP0000000000000000C"
local SEEDED = "01SEEDWEBHOOK0000000000001"

-- A project whose app A has a webhook with fields this code does not know.
local seed = [[
{"swh_snapshot":1,"project_id":"emulator-project",
 "apps":[{"id":"01SEEDAPP0000000000000000A","display_name":"Seeded",
          "future_app_setting":{"k":[],"o":{}}},
         {"id":"01SEEDAPP0000000000000000B","display_name":"Other"},
         {"id":"01SEEDAPP0000000000000000C","display_name":"Empty"}],
 "webhooks":[{"id":"01SEEDWEBHOOK0000000000001","app_id":"01SEEDAPP0000000000000000A",
              "target":"https://example.com/seeded","target_type":"HTTP",
              "triggers":["MESSAGE_DELIVERY"],"secret":"seeded-secret",
              "future_field":{"nested":[],"obj":{},"n":null}}]}
]]

local function sorted_json(v)
  return swh.json.encode(v, { sort_keys = true })
end

describe("client.webhooks and client.apps", function()
  local emu, client, seed_path

  lazy_setup(function()
    seed_path = os.tmpname()
    local f = assert(io.open(seed_path, "w"))
    f:write(seed)
    f:close()
    emu = helper.emulator{ args = { "--seed-file", seed_path } }
    client = helper.client(emu)
  end)

  lazy_teardown(function()
    if client then client:close() end
    if emu then emu:stop() end
    os.remove(seed_path)
  end)

  describe("apps:list", function()
    it("returns every app of the project, whole, as an array", function()
      local apps = assert(client.apps:list())
      assert.equal(swh.array_mt, getmetatable(apps))
      assert.equal(3, #apps)
      assert.equal(APP_A, apps[1].id)
      assert.equal("Seeded", apps[1].display_name)
      assert.equal('{"k":[],"o":{}}', sorted_json(apps[1].future_app_setting))
      assert.equal(APP_B, apps[2].id)
      assert.equal(APP_C, apps[3].id)
    end)
  end)

  describe("create, get, list, update and delete", function()
    local created

    it("creates a webhook and returns it with its new id", function()
      local w, err = client.webhooks:create{
        app_id = APP_B, target = "https://example.com/hook", triggers = { "MESSAGE_DELIVERY",
        "MESSAGE_INBOUND" }, secret = "create-secret",
      }
      assert.is_nil(err)
      assert.equal(swh.object_mt, getmetatable(w))
      assert.equal("string", type(w.id))
      assert.equal(26, #w.id)
      assert.equal(APP_B, w.app_id)
      assert.equal("https://example.com/hook", w.target)
      assert.equal("HTTP", w.target_type)
      assert.same({ "MESSAGE_DELIVERY", "MESSAGE_INBOUND" }, { w.triggers[1], w.triggers[2] })
      assert.equal("create-secret", w.secret)
      created = w
    end)

    it("gets it back as it was created", function()
      local w = assert(client.webhooks:get(created.id))
      assert.equal(sorted_json(created), sorted_json(w))
    end)

    it("lists the webhooks of an app", function()
      local list = assert(client.webhooks:list(APP_B))
      assert.equal(swh.array_mt, getmetatable(list))
      assert.equal(1, #list)
      assert.equal(created.id, list[1].id)
    end)

    it("lists an app without webhooks as an empty array", function()
      local list = assert(client.webhooks:list(APP_C))
      assert.equal(swh.array_mt, getmetatable(list))
      assert.is_nil(next(list))
      assert.equal("[]", swh.json.encode(list))
    end)

    it("updates only the fields it is given", function()
      local w = assert(client.webhooks:update(created.id, { target = "https://example.com/moved",
        triggers = { "EVENT_INBOUND" } }))
      assert.equal("https://example.com/moved", w.target)
      assert.same({ "EVENT_INBOUND" }, { w.triggers[1] })
      assert.equal(1, #w.triggers)
      assert.equal("create-secret", w.secret)
      assert.equal(APP_B, w.app_id)
      assert.equal(sorted_json(w), sorted_json(assert(client.webhooks:get(created.id))))
    end)

    it("clears the secret when it is updated to an empty string", function()
      local w = assert(client.webhooks:update(created.id, { secret = "" }))
      assert.is_nil(w.secret)
      assert.is_nil(assert(client.webhooks:get(created.id)).secret)
    end)

    it("sets client_credentials, and clears them with swh.null", function()
      local cc = { client_id = "id", client_secret = "cc-secret",
        endpoint = "https://auth.example.com/token" }
      local w = assert(client.webhooks:update(created.id, { client_credentials = cc }))
      assert.equal('{"client_id":"id","client_secret":"cc-secret",'
        .. '"endpoint":"https://auth.example.com/token"}', sorted_json(w.client_credentials))
      w = assert(client.webhooks:update(created.id, { client_credentials = swh.null }))
      assert.is_nil(w.client_credentials)
      assert.is_nil(assert(client.webhooks:get(created.id)).client_credentials)
    end)

    it("moves a webhook to another app by updating app_id", function()
      local w = assert(client.webhooks:update(created.id, { app_id = APP_C }))
      assert.equal(APP_C, w.app_id)
      assert.equal(1, #assert(client.webhooks:list(APP_C)))
      assert.is_nil(next(assert(client.webhooks:list(APP_B))))
    end)

    it("accepts the Node SDK's SMART_CONVERSATIONS as SMART_CONVERSATION", function()
      local w = assert(client.webhooks:update(created.id, { triggers = { "SMART_CONVERSATIONS" } }))
      assert.same({ "SMART_CONVERSATION" }, { w.triggers[1] })
      assert.equal(1, #w.triggers)
    end)

    it("deletes it, returning true, after which it is not found", function()
      assert.equal(true, client.webhooks:delete(created.id))
      local w, err = client.webhooks:get(created.id)
      assert.is_nil(w)
      assert.equal(404, err.http_status)
      assert.equal("NOT_FOUND", err.status)
    end)
  end)

  -- resent: an earlier run may have sent the same request (its journal says so); the core
  -- goes on as after an ambiguous failure (spec/c/test_client.c tests each branch).
  describe("create and delete resent", function()
    it("returns the webhook an earlier create made, without making another", function()
      local body = { app_id = APP_A, target = "https://example.com/resent" }
      local first = assert(client.webhooks:create(body))
      local again = assert(client.webhooks:create(body, { resent = true }))
      assert.equal(first.id, again.id)
      local count = 0
      for _, w in ipairs(assert(client.webhooks:list(APP_A))) do
        if w.target == body.target then count = count + 1 end
      end
      assert.equal(1, count)
      -- Not made before: made now.
      local made = assert(client.webhooks:create({ app_id = APP_A,
        target = "https://example.com/resent-2" }, { resent = true }))
      assert.equal("https://example.com/resent-2", assert(client.webhooks:get(made.id)).target)
      assert(client.webhooks:delete(made.id))
      -- A delete whose earlier send did it: done.
      assert(client.webhooks:delete(first.id))
      assert.equal(true, client.webhooks:delete(first.id, { resent = true }))
      local ok, err = client.webhooks:delete(first.id)
      assert.is_nil(ok)
      assert.equal(404, err.http_status)
    end)

    it("refuses other options", function()
      local function message(fn)
        local ok, err = pcall(fn)
        assert.is_false(ok)
        return (err:gsub("^spec/webhooks_spec%.lua:%d+: ", ""))
      end
      assert.equal("bad argument #2 to 'create' (unknown option \"resend\" (did you mean "
        .. "\"resent\"? known: resent))", message(function()
          client.webhooks:create({ app_id = APP_A, target = "https://example.com/x" },
            { resend = true })
        end))
      assert.equal("bad argument #2 to 'delete' (resent: expected a boolean, got string)",
        message(function() client.webhooks:delete("W", { resent = "yes" }) end))
    end)
  end)

  describe("answers of the API", function()
    it("gives 404 NOT_FOUND for an unknown webhook, as nil, err", function()
      local w, err = client.webhooks:get("01NOSUCHWEBHOOK00000000000")
      assert.is_nil(w)
      assert.equal(swh.error_mt, getmetatable(err))
      assert.equal("http", err.kind)
      assert.equal(404, err.http_status)
      assert.equal("NOT_FOUND", err.status)
      assert.equal("Webhook not found", err.message)
      assert.equal(false, err.retryable)
      assert.equal("GET /v1/projects/emulator-project/webhooks/01NOSUCHWEBHOOK00000000000",
        err.request)
      assert.equal(swh.array_mt, getmetatable(err.details))
      assert.is_nil(next(err.details))
      assert.equal("NOT_FOUND (404): Webhook not found [GET /v1/projects/emulator-project/"
        .. "webhooks/01NOSUCHWEBHOOK00000000000]", tostring(err))
    end)

    it("gives 404 for deleting and updating an unknown webhook", function()
      local ok, err = client.webhooks:delete("01NOSUCHWEBHOOK00000000000")
      assert.is_nil(ok)
      assert.equal("NOT_FOUND (404): Webhook not found [DELETE /v1/projects/emulator-project/"
        .. "webhooks/01NOSUCHWEBHOOK00000000000]", tostring(err))
      local w
      w, err = client.webhooks:update("01NOSUCHWEBHOOK00000000000",
        { target = "https://x.example" })
      assert.is_nil(w)
      assert.equal("NOT_FOUND (404): Webhook not found [PATCH /v1/projects/emulator-project/"
        .. "webhooks/01NOSUCHWEBHOOK00000000000]", tostring(err))
    end)

    it("gives 404 App not found for the webhooks of an unknown app", function()
      local list, err = client.webhooks:list("nope")
      assert.is_nil(list)
      assert.equal("NOT_FOUND (404): App not found [GET /v1/projects/emulator-project/apps/"
        .. "nope/webhooks]", tostring(err))
    end)

    it("percent-encodes ids in the path", function()
      local w, err = client.webhooks:get("a/b c")
      assert.is_nil(w)
      assert.equal(404, err.http_status)
      assert.equal("GET /v1/projects/emulator-project/webhooks/a%2Fb%20c", err.request)
    end)

    it("gives 400 INVALID_ARGUMENT for a target already used in the app", function()
      local w, err = client.webhooks:create{ app_id = APP_A, target = "https://example.com/seeded" }
      assert.is_nil(w)
      assert.equal("http", err.kind)
      assert.equal(400, err.http_status)
      assert.equal("INVALID_ARGUMENT", err.status)
      assert.equal('webhook.target: app "01SEEDAPP0000000000000000A" already has a webhook with '
        .. "this target (01SEEDWEBHOOK0000000000001)", err.message)
    end)

    it("gives 400 for a sixth webhook in an app", function()
      local ids = {}
      for i = 1, 4 do
        ids[i] = assert(client.webhooks:create{ app_id = APP_A,
          target = "https://example.com/fill/" .. i }).id
      end
      local w, err = client.webhooks:create{ app_id = APP_A, target = "https://example.com/6" }
      assert.is_nil(w)
      assert.equal("INVALID_ARGUMENT (400): app \"01SEEDAPP0000000000000000A\" already has 5 "
        .. "webhooks, the most an app can have [POST /v1/projects/emulator-project/webhooks]",
        tostring(err))
      for _, id in ipairs(ids) do
        assert.equal(true, client.webhooks:delete(id))
      end
    end)

    it("gives 400 for an app that does not exist", function()
      local w, err = client.webhooks:create{ app_id = "nope", target = "https://example.com/x" }
      assert.is_nil(w)
      assert.equal(400, err.http_status)
      assert.equal('webhook.app_id: no such app "nope" in project "emulator-project"', err.message)
    end)
  end)

  describe("validation before sending", function()
    local CREATE = "POST /v1/projects/emulator-project/webhooks"
    local UPDATE = "PATCH /v1/projects/emulator-project/webhooks/" .. SEEDED

    -- Refused by the client: no HTTP status, but the request it would have been.
    local function refused(w, err, message, request)
      assert.is_nil(w)
      assert.equal("validation", err.kind)
      assert.is_nil(err.http_status)
      assert.is_nil(err.status)
      assert.equal(request or CREATE, err.request)
      assert.equal(false, err.retryable)
      assert.equal(message, err.message)
      assert.equal("validation: " .. message .. " [" .. (request or CREATE) .. "]", tostring(err))
    end

    it("suggests the trigger meant by a typo", function()
      local w, err = client.webhooks:create{ app_id = APP_C, target = "https://example.com/typo",
        triggers = { "MESAGE_DELIVERY" } }
      refused(w, err, 'webhook.triggers[0]: unknown trigger "MESAGE_DELIVERY" (did you mean '
        .. '"MESSAGE_DELIVERY"?)')
      assert.is_nil(next(assert(client.webhooks:list(APP_C))))
    end)

    it("refuses a Sinch API host as target", function()
      local w, err = client.webhooks:create{ app_id = APP_C,
        target = "https://conversation-api.eu.sinch.com/x" }
      refused(w, err, 'webhook.target: the host "conversation-api.eu.sinch.com" is a Sinch API '
        .. "host (conversation-api.*.sinch.com) and cannot receive webhooks")
    end)

    it("refuses a target longer than 742 characters", function()
      local w, err = client.webhooks:create{ app_id = APP_C,
        target = "https://example.com/" .. ("x"):rep(800) }
      refused(w, err, "webhook.target: 820 characters long, at most 742 are allowed")
    end)

    it("refuses repeated triggers, UNSPECIFIED_TRIGGER and a bad target_type", function()
      local w, err = client.webhooks:update(SEEDED, { triggers = { "MESSAGE_DELIVERY",
        "MESSAGE_DELIVERY" } })
      refused(w, err, 'webhook.triggers[1]: "MESSAGE_DELIVERY" repeats webhook.triggers[0]',
        UPDATE)
      w, err = client.webhooks:update(SEEDED, { triggers = { "UNSPECIFIED_TRIGGER" } })
      refused(w, err, "webhook.triggers[0]: UNSPECIFIED_TRIGGER is not a usable trigger", UPDATE)
      w, err = client.webhooks:update(SEEDED, { target_type = "HTTPS" })
      refused(w, err, 'webhook.target_type: must be "HTTP" or "DISMISS", got "HTTPS" (did you '
        .. 'mean "HTTP"?)', UPDATE)
    end)

    it("refuses a create without app_id, or with an id", function()
      local w, err = client.webhooks:create{ target = "https://example.com/x" }
      refused(w, err, "webhook.app_id: required")
      w, err = client.webhooks:create{ app_id = APP_C, id = "x", target = "https://example.com/x" }
      refused(w, err, "webhook.id: must be absent on create (the server assigns it)")
    end)

    it("refuses updating id, and an update with nothing to change", function()
      local w, err = client.webhooks:update(SEEDED, { id = "x" })
      refused(w, err, "webhook.id: read-only, it cannot be updated (updatable: app_id, target, "
        .. "target_type, triggers, secret, client_credentials)", UPDATE)
      w, err = client.webhooks:update(SEEDED, {})
      refused(w, err, "changes: nothing to update; give at least one of app_id, target, "
        .. "target_type, triggers, secret, client_credentials", UPDATE)
    end)

    it("refuses an id with a NUL byte, which would act on the id before it", function()
      local ok, err = client.webhooks:delete(SEEDED .. "\0junk")
      assert.is_nil(ok)
      assert.equal("validation", err.kind)
      assert.equal("webhook_id: contains a NUL byte (byte 27 of 31), which would cut it short",
                   err.message)
      assert.equal(false, err.retryable)
      local list
      list, err = client.webhooks:list(APP_A .. "\0")
      assert.is_nil(list)
      assert.equal("app_id: contains a NUL byte (byte 27 of 27), which would cut it short",
                   err.message)
      assert.equal(SEEDED, assert(client.webhooks:get(SEEDED)).id) -- untouched
    end)

    it("refuses the ids . and .., which would change the request's path", function()
      local base = "/v1/projects/emulator-project/"
      for _, id in ipairs{ ".", ".." } do
        local why = ('"%s" cannot be an id (as a path segment it would change the request\'s '
          .. "path)"):format(id)
        local w, err = client.webhooks:delete(id)
        refused(w, err, "webhook_id: " .. why, "DELETE " .. base .. "webhooks/" .. id)
        w, err = client.webhooks:get(id)
        refused(w, err, "webhook_id: " .. why, "GET " .. base .. "webhooks/" .. id)
        w, err = client.webhooks:update(id, { target_type = "HTTP" })
        refused(w, err, "webhook_id: " .. why, "PATCH " .. base .. "webhooks/" .. id)
        w, err = client.webhooks:list(id)
        refused(w, err, "app_id: " .. why, "GET " .. base .. "apps/" .. id .. "/webhooks")
        w, err = client.webhooks:create{ app_id = id, target = "https://example.com/dots" }
        refused(w, err, "webhook.app_id: " .. why)
      end
      assert.equal(SEEDED, assert(client.webhooks:get(SEEDED)).id)
    end)

    it("refuses incomplete client_credentials without quoting the secret", function()
      local w, err = client.webhooks:update(SEEDED, { client_credentials = { client_id = "a",
        client_secret = "TOPSECRET-CC" } })
      refused(w, err, "webhook.client_credentials.endpoint: required", UPDATE)
      assert.is_nil(tostring(err):find("TOPSECRET-CC", 1, true))
    end)
  end)

  describe("fields the client does not know", function()
    it("are kept through a read", function()
      local w = assert(client.webhooks:get(SEEDED))
      assert.equal('{"n":null,"nested":[],"obj":{}}', sorted_json(w.future_field))
      assert.equal(swh.null, w.future_field.n)
    end)

    it("stay on the server through an update of other fields", function()
      assert(client.webhooks:update(SEEDED, { target = "https://example.com/seeded-moved" }))
      local w = assert(client.webhooks:get(SEEDED))
      assert.equal("https://example.com/seeded-moved", w.target)
      assert.equal('{"n":null,"nested":[],"obj":{}}', sorted_json(w.future_field))
      assert.equal("seeded-secret", w.secret)
    end)

    it("are written back unchanged when a webhook read is created again", function()
      local w = assert(client.webhooks:get(SEEDED))
      local copy = {}
      for k, v in pairs(w) do copy[k] = v end
      copy.id = nil
      copy.app_id = APP_B
      local created = assert(client.webhooks:create(copy))
      assert.equal('{"n":null,"nested":[],"obj":{}}', sorted_json(created.future_field))
      assert.equal("seeded-secret", created.secret)
      assert.equal(true, client.webhooks:delete(created.id))
    end)

    it("include trigger names newer than this client, which it sends on", function()
      -- The emulator knows only today's triggers, so it answers 400: the client sent it.
      local w, err = client.webhooks:update(SEEDED, { triggers = { "FUTURE_TRIGGER_X" } })
      assert.is_nil(w)
      assert.equal("http", err.kind)
      assert.equal(400, err.http_status)
      assert.equal('webhook.triggers[0]: unknown trigger "FUTURE_TRIGGER_X"', err.message)
    end)
  end)
end)
