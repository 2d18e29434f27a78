-- An apply stopped for real: the swh executable carries out a plan of 40 steps against an
-- emulator that answers slowly, is killed (SIGKILL) or interrupted (SIGINT, as Ctrl-C)
-- once its journal shows some steps done, and swh.resume finishes the plan. The project
-- must end in the desired state: nothing duplicated, nothing lost.
local helper = require "helper"
local fx = require "plan_fixtures"
local h = require "host_run"
local swh = require "swh"

local H = "https://h.example.com/"
local APPS = 8

-- The script the swh process runs: plan the desired list in arg[1], apply it with the
-- journal arg[2], two requests at a time so the run lasts long enough to be stopped.
local SCRIPT = [[
local f = assert(io.open(arg[1], "rb"))
local desired = assert(swh.json.decode(f:read("a")))
f:close()
local plan = assert(swh.plan(client, desired))
print(assert(plan:apply { journal = arg[2], concurrency = 2 }))
]]

-- Whether pid runs (an exited child not yet reaped does not).
local function alive(pid)
  local stat = io.open("/proc/" .. pid .. "/stat", "r")
  if not stat then return false end
  local text = stat:read("a") or ""
  stat:close()
  return text:match("^%d+ %b() (%a)") ~= "Z"
end

local count = h.count

describe("an apply stopped by a signal", function()
  local emu, client, dir, seed, desired

  setup(function()
    swh.quiet = true
    dir = h.temp_dir()
    -- 8 full apps; each keeps 3 webhooks (one with new triggers), loses 2, gains 2: steps
    -- are 8 updates, then 16 deletes, then 16 creates paired with them.
    seed = { swh_snapshot = 1, project_id = "emulator-project", apps = {}, webhooks = {} }
    desired = {}
    for a = 1, APPS do
      local app_id = ("app-%02d"):format(a)
      seed.apps[a] = { id = app_id, display_name = "App " .. a }
      for w = 1, 5 do
        local hook = { app_id = app_id, target = ("%s%s/%d"):format(H, app_id, w),
                       secret = ("seed-secret-%d-%d"):format(a, w), triggers = { "OPT_IN" } }
        seed.webhooks[#seed.webhooks + 1] = hook
        if w <= 3 then
          local kept = fx.copy(hook)
          if w == 1 then kept.triggers = { "OPT_IN", "MESSAGE_DELIVERY" } end
          desired[#desired + 1] = kept
        end
      end
      for n = 1, 2 do
        desired[#desired + 1] = { app_id = app_id, target = ("%s%s/new%d"):format(H, app_id, n),
                                  secret = ("new-secret-%d-%d"):format(a, n) }
      end
    end
    h.write(dir .. "/desired.json", swh.json.encode(desired))
    h.write(dir .. "/apply.lua", SCRIPT)
  end)
  teardown(function() h.remove_dir(dir) end)

  before_each(function()
    h.write(dir .. "/seed.json", swh.json.encode(seed))
    emu = helper.emulator { args = { "--latency", "25", dir .. "/seed.json" } }
    client = helper.client(emu)
  end)
  after_each(function()
    client:close()
    emu:stop()
  end)

  -- Starts swh on the script; waits (at most 10 s) until the journal has `done` lines
  -- marked done, calls meanwhile() if given, then sends signal. Returns how the process
  -- ended, the journal's text at the signal, and what the process printed.
  local function apply_until(done, signal, journal, meanwhile)
    local out = dir .. "/out.txt"
    local env = { SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
                  SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
                  SINCH_AUTH_URL = emu.auth_url }
    local vars = {}
    for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. h.quote(v) end
    local command = ("exec sh -c 'echo $$; exec \"$@\" >%s 2>&1' sh env %s %s -q %s %s %s"):format(
      h.quote(out), table.concat(vars, " "), h.quote(h.swh), h.quote(dir .. "/apply.lua"),
      h.quote(dir .. "/desired.json"), h.quote(journal))
    local handle = assert(io.popen(command, "r"))
    local pid = assert(tonumber(handle:read("l")))
    local at_signal = ""
    for _ = 1, 1000 do
      local f = io.open(journal, "rb")
      at_signal = f and f:read("a") or ""
      if f then f:close() end
      if count(at_signal, '"state":"done"') >= done or not alive(pid) then break end
      helper.sleep(0.01)
    end
    if meanwhile then meanwhile() end
    os.execute(("kill -%s %d 2>/dev/null"):format(signal, pid))
    for _ = 1, 1000 do
      if not alive(pid) then break end
      helper.sleep(0.01)
    end
    if alive(pid) then os.execute("kill -KILL " .. pid) end
    local _, how, code = handle:close()
    return how, code, at_signal, h.read(out)
  end

  local function check_finished(journal, printed)
    local summary = assert(swh.resume(journal, client))
    assert.equal(0, summary.failed)
    assert.equal(0, summary.restored)
    assert.equal(2 * APPS, summary.created)
    assert.equal(APPS, summary.updated)
    assert.equal(2 * APPS, summary.deleted)
    assert.is_true(summary.skipped > 0 and summary.skipped < 5 * APPS)
    local state = fx.state(client)
    assert.same(fx.expected(assert(client.apps:list()), desired), state)
    for app_id, hooks in pairs(state) do -- no (app_id, target) twice
      for i = 2, #hooks do assert.are_not.equal(hooks[i - 1].target, hooks[i].target, app_id) end
    end
    for _, secret in ipairs { "seed-secret-", "new-secret-", emu.key_secret } do
      assert.is_nil(printed:find(secret, 1, true), secret)
    end
  end

  it("SIGKILL: swh.resume finishes the plan from the journal", function()
    local journal = dir .. "/kill.journal"
    local how, code, at_signal, printed = apply_until(6, "KILL", journal)
    assert.equal("signal", how)
    assert.equal(9, code)
    assert.is_nil(at_signal:find('"state":"complete"', 1, true))
    assert.equal("600", fx.mode(journal))
    check_finished(journal, printed)
  end)

  it("a second apply of the journal while the first runs is refused; neither is lost",
  function()
    local journal = dir .. "/race.journal"
    local refused, text_before, text_after
    local how = apply_until(4, "KILL", journal, function()
      text_before = h.read(journal)
      local plan = assert(swh.plan(client, { { app_id = "app-01", target = H .. "other" } }))
      local summary, err = plan:apply { journal = journal }
      assert.is_nil(summary)
      refused = err.message
      text_after = h.read(journal)
    end)
    assert.equal("signal", how)
    assert.equal(("cannot create the journal %s: in use by another run (an apply or resume of "
      .. "this journal is still going on)"):format(journal), refused)
    -- what the first run had written is still there, and its run goes on from it
    assert.equal(text_before, text_after:sub(1, #text_before))
    check_finished(journal, "")
  end)

  it("SIGINT (Ctrl-C): swh stops with status 130 and swh.resume finishes the plan", function()
    local journal = dir .. "/int.journal"
    local how, code, at_signal, printed = apply_until(12, "INT", journal)
    assert.equal("exit", how)
    assert.equal(130, code)
    assert.truthy(printed:find("swh: interrupted", 1, true), printed)
    assert.truthy(printed:find(('swh: the run stopped; its journal %s keeps what was done: '
      .. 'swh.resume("%s", client) finishes it\n'):format(journal, journal), 1, true), printed)
    assert.is_nil(at_signal:find('"state":"complete"', 1, true))
    check_finished(journal, printed)
  end)
end)
