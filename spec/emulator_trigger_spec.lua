-- swh.emulator_trigger and swh.emulator_deliveries under --sandbox (doc/CALLBACKS.md): the
-- callbacks of the in-process emulator, triggered and read back from a script. The target
-- is another emulator (swh-emulator on 127.0.0.1), which answers a callback on /hook 404,
-- a final answer; test_callbacks.c checks the deliveries themselves against a receiver.
local cjson = require "cjson"
local h = require "host_run"
local helper = require "helper"

local APP = "01APPTRIGGER00000000000001"

local function seed(targets)
  local webhooks = {}
  for i, t in ipairs(targets) do
    webhooks[i] = { id = "W" .. i, app_id = APP, target = t.target, secret = t.secret,
                    target_type = t.target_type, triggers = t.triggers }
  end
  local path = os.tmpname()
  local text = cjson.encode { swh_snapshot = 1, project_id = "trigger-spec",
                              apps = { { id = APP } }, webhooks = webhooks }
  h.write(path, #webhooks > 0 and text or (text:gsub('"webhooks":{}', '"webhooks":[]')))
  return path
end

local function run_script(file, script)
  local result = h.run({ "--sandbox=" .. file, "-e", script })
  os.remove(file)
  return result
end

describe("swh.emulator_trigger", function()
  it("sends an event to the subscribed webhooks and logs each outcome", function()
    local target = helper.emulator()
    local file = seed {
      { target = target.url .. "/hook", triggers = { "MESSAGE_INBOUND" } },
      { target = "https://hooks.example.com/other", triggers = { "MESSAGE_DELIVERY" } },
      { target = "https://hooks.example.com/dismissed", target_type = "DISMISS",
        triggers = { "MESSAGE_INBOUND" } },
    }
    local r = run_script(file, [[
      local sent = assert(swh.emulator_trigger { trigger = "MESSAGE_INBOUND", app_id = "]]
      .. APP .. [[" })
      local log = swh.emulator_deliveries { wait = 60 }
      print(swh.json.encode { sent = sent, log = log })
    ]])
    assert.equal("", r.err)
    assert.equal(0, r.status)
    local out = cjson.decode(r.out)
    assert.equal("MESSAGE_INBOUND", out.sent.trigger)
    assert.equal(1, out.sent.events)
    assert.same({ { id = "W1", target = target.url .. "/hook" } }, out.sent.webhooks)
    assert.equal(0, out.log.pending)
    assert.equal(1, #out.log.deliveries)
    local d = out.log.deliveries[1]
    assert.equal("W1", d.webhook_id)
    assert.equal("MESSAGE_INBOUND", d.trigger)
    assert.equal(404, d.status)
    assert.equal("failed", d.outcome)
    assert.equal(1, d.attempts)
    assert.equal(target.url .. "/hook", d.target)
    assert.is_true(d.latency_ms >= 0 and d.latency_ms <= d.elapsed_ms)
    target:stop()
  end)

  it("says what is wrong with a trigger or an app", function()
    local file = seed {}
    local r = run_script(file, [[
      local a, e1 = swh.emulator_trigger { trigger = "NOPE", app_id = "]] .. APP .. [[" }
      local b, e2 = swh.emulator_trigger { trigger = "MESSAGE_DELIVERY", app_id = "X" }
      print(a, e1.kind, e1.message)
      print(b, e2.kind, e2.message)
      print(pcall(swh.emulator_trigger, { trigger = "MESSAGE_DELIVERY", app = "X" }))
    ]])
    assert.equal("", r.err)
    assert.equal(table.concat({
      'nil\tvalidation\ttrigger: "NOPE" is not a trigger with callbacks',
      'nil\tvalidation\tapp_id: no such app "X"',
      "false\temulator_trigger: unknown option app", "" }, "\n"), r.out)
  end)

  it("is there only under --sandbox", function()
    local r = h.run({ "-e", "print(swh.emulator_trigger, swh.emulator_deliveries)" })
    assert.equal("nil\tnil\n", r.out)
  end)
end)
