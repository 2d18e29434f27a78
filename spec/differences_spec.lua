-- The emulator's remaining differences from the live API (doc/EMULATOR.md), through the
-- client: fields the API does not define, a mask naming an absent secret, and the client's
-- warnings about what it sends.
local swh = require "swh"
local emulator = require "swh.emulator"

local APP = "01JGFJJZ00SK4Z041V4W63Q2CV"
local SEEDED = "01JGFJK6QF7CE9EEWZKJ309MBD"

-- An emulator seeded with one app and one webhook holding a field swh does not know.
local function start(unknown_fields)
  return assert(emulator.start{ unknown_fields = unknown_fields, seed = {
    swh_snapshot = 1, project_id = "differences", apps = { { id = APP } },
    webhooks = { { id = SEEDED, app_id = APP, target = "https://example.com/seeded",
                   triggers = { "OPT_IN" }, secret = "seeded-secret",
                   future_field = { kept = true } } } } })
end

-- Runs fn with swh.warn collecting the warnings; returns them.
local function warnings_of(fn)
  local seen, saved = {}, swh.warn
  swh.warn = function(message) seen[#seen + 1] = message end
  local ok, err = pcall(fn)
  swh.warn = saved
  assert(ok, err)
  return seen
end

local UNKNOWN = "webhook.signing_secret: not a field of the Conversation API (a webhook has "
  .. "app_id, target, target_type, triggers, secret, client_credentials); the API drops or "
  .. "keeps it, never uses it"

describe("fields the API does not define", function()
  it("are dropped from a create by default, and the client warns once per name", function()
    local emu <close> = start()
    local client <close> = assert(swh.client(emu:client_options()))
    local made
    local warned = warnings_of(function()
      made = assert(client.webhooks:create{ app_id = APP, target = "https://example.com/a",
                                            signing_secret = "typo-SECRET" })
      assert(client.webhooks:create{ app_id = APP, target = "https://example.com/b",
                                     signing_secret = "typo-SECRET" })
    end)
    assert.same({ UNKNOWN }, warned)
    assert.is_nil(made.signing_secret)
    assert.is_nil(made.secret)
    assert.is_nil(assert(client.webhooks:get(made.id)).signing_secret)
  end)

  it("that a seed held are the emulated API's own, kept through a create", function()
    local emu <close> = start()
    local client <close> = assert(swh.client(emu:client_options()))
    local seeded = assert(client.webhooks:get(SEEDED))
    local copy = {}
    for k, v in pairs(seeded) do copy[k] = v end
    copy.id, copy.target = nil, "https://example.com/copy"
    local made
    local warned = warnings_of(function() made = assert(client.webhooks:create(copy)) end)
    assert.equal(true, made.future_field.kept)
    assert.equal(1, #warned) -- the client cannot tell: it warns all the same, once
    assert.truthy(warned[1]:find("^webhook%.future_field: not a field"), warned[1])
  end)

  it("are kept with unknown_fields = \"keep\", refused with \"refuse\"", function()
    local emu <close> = start("keep")
    local client <close> = assert(swh.client(emu:client_options()))
    local made
    warnings_of(function()
      made = assert(client.webhooks:create{ app_id = APP, target = "https://example.com/k",
                                            signing_secret = "x" })
    end)
    assert.equal("x", made.signing_secret)

    local strict <close> = start("refuse")
    local strict_client <close> = assert(swh.client(strict:client_options()))
    local w, err
    warnings_of(function()
      w, err = strict_client.webhooks:create{ app_id = APP, target = "https://example.com/r",
                                              signing_secret = "x" }
    end)
    assert.is_nil(w)
    assert.equal(400, err.http_status)
    assert.equal("webhook.signing_secret: unknown field (the API defines id, app_id, target, "
      .. "target_type, secret, triggers, client_credentials)", err.message)
  end)

  it("inside client_credentials are named with their path", function()
    local emu <close> = start()
    local client <close> = assert(swh.client(emu:client_options()))
    local made
    local warned = warnings_of(function()
      made = assert(client.webhooks:create{ app_id = APP, target = "https://example.com/c",
        client_credentials = { client_id = "c", client_secret = "cs", audience = "a",
                               endpoint = "https://auth.example.com/token" } })
    end)
    assert.same({ "webhook.client_credentials.audience: not a field of the Conversation API "
      .. "(client_credentials has client_id, client_secret, endpoint, scope, response_type, "
      .. "token_request_type); the API drops or keeps it, never uses it" }, warned)
    assert.is_nil(made.client_credentials.audience)
    assert.equal("c", made.client_credentials.client_id)
  end)
end)

describe("a target on a Sinch API host", function()
  it("gets a warning once per host, and nothing for other hosts", function()
    local emu <close> = start()
    local client <close> = assert(swh.client(emu:client_options()))
    local warned = warnings_of(function()
      assert(client.webhooks:create{ app_id = APP,
                                     target = "https://us.conversation.api.sinch.com/x" })
      local w = assert(client.webhooks:create{ app_id = APP, target = "https://example.com/o" })
      assert(client.webhooks:update(w.id, { target = "https://u:p@AUTH.sinch.com.:443/t" }))
      assert(client.webhooks:update(w.id, { target = "https://auth.sinch.com/again" }))
      assert(client.webhooks:update(w.id, { target = "https://sinch.com.example.org/" }))
    end)
    assert.same({
      "webhook.target: us.conversation.api.sinch.com is a Sinch API host (it serves the API "
        .. "and receives no callbacks)",
      "webhook.target: auth.sinch.com is a Sinch API host (it serves the API and receives no "
        .. "callbacks)",
    }, warned)
  end)
end)

describe("an update_mask naming secret with no secret in the body", function()
  it("clears the secret, as a Google-style field mask resets a masked field", function()
    local emu <close> = start()
    -- the client sends secret = "" to clear; a request with the mask alone does the same
    local url = ("%s/v1/projects/differences/webhooks/%s?update_mask=secret"):format(emu.url,
                                                                                 SEEDED)
    local pipe = assert(io.popen(("curl -s -o /dev/null -w '%%{http_code}' -X PATCH "
      .. "-u emulator-key:emulator-secret -H 'Content-Type: application/json' -d '{}' '%s'")
      :format(url)))
    local status = pipe:read("a")
    pipe:close()
    assert.equal("200", status)
    local client <close> = assert(swh.client(emu:client_options()))
    local w = assert(client.webhooks:get(SEEDED))
    assert.is_nil(w.secret)
    assert.equal("https://example.com/seeded", w.target)
  end)
end)

describe("enum values read from the API that swh does not know", function()
  local LEGACY = "01JGFJK6QF7CE9EEWZKJ309MBE"
  local function start_legacy()
    return assert(emulator.start{ seed = {
      swh_snapshot = 1, project_id = "differences", apps = { { id = APP } },
      webhooks = { { id = LEGACY, app_id = APP, target = "https://example.com/legacy",
                     target_type = "GRPC", triggers = { "OPT_IN" },
                     client_credentials = { client_id = "c", client_secret = "old-SECRET",
                                            endpoint = "https://auth.example.com/token",
                                            token_request_type = "JWT" } } } } })
  end

  it("are sent back unchanged by a read-modify-write", function()
    local emu <close> = start_legacy()
    local client <close> = assert(swh.client(emu:client_options()))
    local w = assert(client.webhooks:get(LEGACY))
    local cc = {}
    for k, v in pairs(w.client_credentials) do cc[k] = v end
    cc.client_secret = "new-SECRET"
    local updated = assert(client.webhooks:update(LEGACY, { client_credentials = cc,
                                                            target_type = w.target_type }))
    assert.equal("JWT", updated.client_credentials.token_request_type)
    assert.equal("new-SECRET", updated.client_credentials.client_secret)
    assert.equal("GRPC", updated.target_type)
  end)

  it("are kept by a plan that changes other fields", function()
    local emu <close> = start_legacy()
    local client <close> = assert(swh.client(emu:client_options()))
    local plan = assert(swh.plan(client, function(w) w.target = "https://example.com/moved" end))
    assert(plan:apply{ journal = false, progress = false })
    local w = assert(client.webhooks:get(LEGACY))
    assert.equal("https://example.com/moved", w.target)
    assert.equal("GRPC", w.target_type)
    assert.equal("JWT", w.client_credentials.token_request_type)
  end)

  it("are checked when the user sets them: a typo is refused before sending", function()
    local emu <close> = start_legacy()
    local client <close> = assert(swh.client(emu:client_options()))
    local w, err = client.webhooks:update(LEGACY, { target_type = "DISMIS" })
    assert.is_nil(w)
    assert.equal("validation", err.kind)
    assert.equal('webhook.target_type: must be "HTTP" or "DISMISS", got "DISMIS" (did you '
      .. 'mean "DISMISS"?)', err.message)
    -- a well-formed value the emulated API has never had: the client sends it, the API refuses
    w, err = client.webhooks:update(LEGACY, { target_type = "WEBSOCKET" })
    assert.is_nil(w)
    assert.equal(400, err.http_status)
  end)
end)

describe("rate limits and error forms, by option", function()
  it("limits Basic auth more tightly than OAuth2", function()
    local emu <close> = assert(emulator.start{ apps = 1, basic_rate_limit = 1 })
    local opts = emu:client_options()
    opts.auth = "basic"
    local basic <close> = assert(swh.client(opts))
    local oauth <close> = assert(swh.client(emu:client_options()))
    -- one a second, a burst of one: the client waits out the 429s (Retry-After), so three
    -- lists take two seconds at least; the message is the C test's (test_emulator.c)
    -- (the clock read with date: luv loaded here upsets loop_spec's later use of it)
    local function hrtime()
      local pipe = assert(io.popen("date +%s%N"))
      local ns = tonumber(pipe:read("l"))
      pipe:close()
      return ns
    end
    local t0 = hrtime()
    for _ = 1, 3 do assert(basic.apps:list()) end
    assert.is_true((hrtime() - t0) / 1e9 >= 1.9)
    for _ = 1, 5 do assert(oauth.apps:list()) end
  end)

  it("answers errors flat with error_form = \"flat\", which the client reads", function()
    local emu <close> = assert(emulator.start{ apps = 1, error_form = "flat" })
    local client <close> = assert(swh.client(emu:client_options()))
    local w, err = client.webhooks:get("01JGFJK6QF7CE9EEWZKJ309MBX")
    assert.is_nil(w)
    assert.equal(404, err.http_status)
    assert.equal("NOT_FOUND", err.status)
    assert.equal("Webhook not found", err.message)
  end)
end)

describe("apps", function()
  it("carry the fields the SDKs model, read through the client", function()
    local emu <close> = assert(emulator.start{ apps = 1 })
    local client <close> = assert(swh.client(emu:client_options()))
    local app = assert(client.apps:list())[1]
    assert.same({ outbound_size = 0, outbound_limit = 500000 }, app.queue_stats)
    assert.equal(false, app.persist_message_status.enabled)
    assert.equal(false, app.message_search.enabled)
    assert.equal("", app.callback_settings.secret_for_overridden_callback_urls)
    assert.equal(3600, app.message_retry_settings.retry_duration)
  end)
end)
