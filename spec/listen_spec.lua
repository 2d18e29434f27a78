-- swh.listen (lua/swh/listen.lua, src/binding/lua_listen.c): the local receiver of callbacks.
-- The callbacks come from the emulator of `swh --sandbox=FILE`, whose webhooks target the
-- receivers this spec starts on 127.0.0.1, so the whole loop is checked: the emulator signs,
-- the receiver verifies with the core's verifier, and the emulator's log says what it was
-- answered. OAuth2 tokens come from a standalone swh-emulator's token endpoint.
local cjson = require "cjson"
local swh = require "swh"
local h = require "host_run"
local helper = require "helper"

local APP = "01APPLISTEN000000000000001"
local SECRET = "listen-secret-1"

-- Runs `swh --sandbox` on a project whose webhooks are `webhooks` (id W1, W2... on APP),
-- triggers `trigger` once, waits for the deliveries and returns the delivery log.
local function deliver(webhooks, trigger)
  local list = {}
  for i, w in ipairs(webhooks) do
    w.id, w.app_id = "W" .. i, APP
    w.triggers = w.triggers or { trigger or "MESSAGE_DELIVERY" }
    list[i] = w
  end
  local file = os.tmpname()
  h.write(file, cjson.encode { swh_snapshot = 1, project_id = "listen-spec",
                               apps = { { id = APP } }, webhooks = list })
  local r = h.run({ "--sandbox=" .. file, "-e", ([[
    assert(swh.emulator_trigger { trigger = %q, app_id = %q })
    print(swh.json.encode(swh.emulator_deliveries { wait = 30 }))
  ]]):format(trigger or "MESSAGE_DELIVERY", APP) })
  os.remove(file)
  assert.equal("", r.err)
  assert.equal(0, r.status)
  return cjson.decode(r.out)
end

local function post_unsigned(url)
  return h.shell("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: "
    .. "application/json' -d '{\"app_id\":\"x\"}' " .. h.quote(url))
end

describe("swh.listen", function()
  local receivers = {}
  local function receiver(options)
    local r = assert(swh.listen(options))
    receivers[#receivers + 1] = r
    return r
  end
  after_each(function()
    for _, r in ipairs(receivers) do r:close() end
    receivers = {}
  end)

  it("verifies a signed callback from the emulator with the core's verifier", function()
    local r = receiver { secret = SECRET }
    local log = deliver { { target = r:url() .. "/hooks", secret = SECRET } }
    assert.equal(1, log.delivered)
    assert.equal(200, log.deliveries[1].status)
    local cb = r:next(5)
    assert.equal("valid", cb.signature)
    assert.equal(200, cb.status)
    assert.equal("/hooks", cb.path)
    assert.equal("HmacSHA256", cb.headers.algorithm)
    assert.equal(cjson.decode(cb.body).app_id, APP)
    assert.equal("200 valid message_delivery_report app " .. APP .. " /hooks", swh.listen_line(cb))
    assert.is_nil(r:next(0.1))
  end)

  it("refuses a callback signed with another secret, and the emulator hears 401", function()
    local r = receiver { secret = "not-the-secret" }
    local log = deliver { { target = r:url() .. "/", secret = SECRET } }
    assert.equal("failed", log.deliveries[1].outcome)
    assert.equal(401, log.deliveries[1].status)
    assert.equal(1, log.deliveries[1].attempts)
    local cb = r:next(5)
    assert.equal("invalid", cb.signature)
    assert.equal(401, cb.status)
    assert.equal("x-sinch-webhook-signature: does not match the body (a wrong secret, or the "
      .. "body was changed or re-serialised)", cb.reason)
  end)

  it("refuses an unsigned callback when it has a secret, and takes it without one", function()
    local strict, lax = receiver { secret = SECRET }, receiver {}
    assert.equal("401", post_unsigned(strict:url() .. "/x"))
    assert.equal("200", post_unsigned(lax:url() .. "/x"))
    local cb = strict:next(5)
    assert.equal("unsigned", cb.signature)
    assert.equal("x-sinch-webhook-signature: header missing (is the callback signed?)", cb.reason)
    assert.equal("unsigned", lax:next(5).signature)
  end)

  it("receives a webhook's OAuth2 callbacks with a Bearer token", function()
    local emu = helper.emulator()
    local r = receiver { secret = SECRET }
    local log = deliver({ { target = r:url() .. "/oauth", secret = SECRET,
      client_credentials = { client_id = emu.key_id, client_secret = emu.key_secret,
                             endpoint = emu.auth_url } } }, "CONTACT_CREATE")
    emu:stop()
    assert.equal(1, log.delivered)
    local cb = r:next(5)
    assert.equal("valid", cb.signature)
    assert.is_true(cb.headers.authorization)
    assert.is_table(cjson.decode(cb.body).contact_create_notification)
  end)

  it("forwards each callback as it came, answering with the forward's status", function()
    local final = receiver { secret = SECRET, status = 202 }
    local front = receiver { forward = final:url() .. "/app" }
    local log = deliver { { target = front:url() .. "/in", secret = SECRET } }
    assert.equal(202, log.deliveries[1].status)
    local first = front:next(5)
    assert.equal("unchecked", first.signature)
    assert.equal(202, first.status)
    local forwarded = final:next(5)
    assert.equal("valid", forwarded.signature) -- the raw body and the headers went on
    assert.equal("/app", forwarded.path)
    assert.equal(first.body, forwarded.body)
    -- a forward that cannot be reached: 502, and the error said
    local dead = receiver { forward = "http://127.0.0.1:1/" }
    assert.equal("502", post_unsigned(dead:url()))
    local cb = dead:next(5)
    assert.equal(502, cb.status)
    assert.matches("127.0.0.1", cb.forward_error, 1, true)
  end)

  it("receives from an emulator started in this process, retrying a 500", function()
    local emulator = require "swh.emulator"
    local failing = receiver { secret = SECRET, status = 500 }
    local emu = assert(emulator.start { callback_retry_ms = 20, callback_attempts = 2,
      seed = { swh_snapshot = 1, project_id = "p", apps = { { id = APP } }, webhooks = {
        { id = "W1", app_id = APP, target = failing:url() .. "/r", secret = SECRET,
          triggers = { "OPT_IN" } } } } })
    local sent = assert(emu:trigger { trigger = "OPT_IN", app_id = APP })
    assert.equal("W1", sent.webhooks[1].id)
    local log = emu:deliveries { wait = 10 }
    assert.equal("gave_up", log.deliveries[1].outcome)
    assert.equal(500, log.deliveries[1].status)
    assert.equal(2, log.deliveries[1].attempts)
    local first, second = failing:next(5), failing:next(5)
    assert.equal("valid", first.signature)
    assert.equal("valid", second.signature)
    assert.equal(first.body, second.body)
    local _, err = emu:trigger { trigger = "OPT_IN", app_id = "NOPE" }
    assert.equal('app_id: no such app "NOPE"', err.message)
    emu:stop()
  end)

  it("says what is wrong with its options", function()
    -- in swh.check's one wording, as every public function
    local ok, raised = pcall(swh.listen, { prot = 1 })
    assert.is_false(ok)
    assert.equal('bad argument #1 to \'listen\' (unknown option "prot" (did you mean "port"? '
      .. 'known: port, secret, webhook, client, max_age, forward, status))', raised)
    local listener, err = swh.listen { webhook = "W1" }
    assert.is_nil(listener)
    assert.equal('listen: webhook = "W1" needs client = a client to read its secret with',
      err.message)
  end)

  it("prints JSON lines with listen_run", function()
    local lines, url = {}, nil
    local got = swh.listen_run { json = true, count = 1, timeout = 10, output = function(l)
      lines[#lines + 1] = l
    end, on_ready = function(u)
      url = u
      -- the callback is sent from another process while listen_run waits
      h.shell("(sleep 0.2; curl -s -o /dev/null -X POST -d '{\"app_id\":\"A\",\"message\":{}}' "
        .. h.quote(u .. "/j") .. ") >/dev/null 2>&1 &")
    end }
    assert.is_string(url)
    assert.equal(1, got)
    local record = cjson.decode(lines[1])
    assert.equal("message", record.event)
    assert.equal("unsigned", record.signature)
    assert.equal("A", record.body.app_id)
  end)
end)
