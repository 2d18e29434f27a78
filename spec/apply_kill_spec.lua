-- An apply of 2,016 steps killed again and again: the swh executable applies the plan, is
-- killed (SIGKILL) at 24 points chosen with a fixed seed (as soon as its journal appears,
-- as soon as its plan is being written, at the end and start of each wave, the others
-- anywhere), and each time the run is taken up again as a user would: swh.resume when the
-- journal says something may have been sent, else the apply again. At the end the project
-- must be exactly the plan's: every webhook there once, none lost, none made twice, the
-- kept ones with their ids. The same with the emulator killed and restarted (--state) along
-- the way, and against an emulator that injects faults. About 50 s in all, 40 of them the
-- emulator's --state writes (it rewrites its whole state on every change, for now).
local helper = require "helper"
local fx = require "plan_fixtures"
local h = require "host_run"
local swh = require "swh"
local journal = require "swh.plan.journal"

-- The restart variant authenticates with OAuth2: its tokens outlive a restart of the
-- emulator (which keeps the key that signs them in --state), and a client renews a cached
-- token refused by any 401 once.
local RESTART_AUTH = "oauth2"

local H = "https://h.example.com/"
local APPS = 448 -- 3 in 4 full: 336 x 5 steps; the others 112 x 3 steps: 2,016 steps
local FULL, PARTIAL = APPS // 4 * 3, APPS // 4
local KILLS = 24
local SEED = 20261201

-- The script each swh process runs: arg[1] "apply" (plan the desired list arg[2] and apply
-- it with the journal arg[3]) or "resume" (the journal arg[3]). The client is made from
-- the environment, with the pacing lifted (the emulator has no rate limit) and retries
-- enough for the faults' variant. Prints the summary's counts.
local SCRIPT = [[
local mode, desired_path, journal_path = arg[1], arg[2], arg[3]
local env = os.getenv
local c = assert(swh.client { project_id = env("SINCH_PROJECT_ID"), key_id = env("SINCH_KEY_ID"),
  key_secret = env("SINCH_KEY_SECRET"), base_url = env("SINCH_CONVERSATION_URL"),
  auth_url = env("SINCH_AUTH_URL"), auth = env("SINCH_AUTH"), rate = 1e6, retries = 10 })
local summary
if mode == "apply" then
  local f = assert(io.open(desired_path, "rb"))
  local desired = assert(swh.json.decode(f:read("a")))
  f:close()
  summary = assert(assert(swh.plan(c, desired)):apply { journal = journal_path })
else
  summary = assert(swh.resume(journal_path, c))
end
print(("%d created, %d updated, %d deleted, %d restored, %d failed"):format(summary.created,
  summary.updated, summary.deleted, summary.restored, summary.failed))
]]

-- Whether pid runs (an exited child not yet reaped does not).
local function alive(pid)
  local stat = io.open("/proc/" .. pid .. "/stat", "r")
  if not stat then return false end
  local text = stat:read("a") or ""
  stat:close()
  return text:match("^%d+ %b() (%a)") ~= "Z"
end

-- A deterministic generator (a 32-bit LCG): the same kill points on every run.
local function random(seed)
  local state = seed
  return function(n)
    state = (state * 1103515245 + 12345) % 2147483648
    return state % n + 1
  end
end

-- The seed snapshot, the desired list, and the ids the plan keeps: { [target] = id } of the
-- webhooks that must end with their seed id. In a full app (3 in 4): w1 gets new triggers
-- (wave 1), w4 and w5 are deleted (wave 2), w2 takes w5's target and a new webhook takes
-- w4's room (wave 3, each paired with a delete), w3 stays. In the others (w1-w3): w1 gets
-- new triggers and two webhooks are made (wave 1).
local function project()
  local seed = { swh_snapshot = 1, project_id = "emulator-project", apps = {}, webhooks = {} }
  local desired, kept = {}, {}
  for a = 1, APPS do
    local app_id = ("app-%03d"):format(a)
    seed.apps[a] = { id = app_id, display_name = "App " .. a }
    local full = a % 4 ~= 0
    local hooks = {}
    for w = 1, full and 5 or 3 do
      hooks[w] = { id = ("SEED%03dW%d"):format(a, w), app_id = app_id,
                   target = ("%s%s/w%d"):format(H, app_id, w),
                   secret = ("seed-secret-%d-%d"):format(a, w), triggers = { "OPT_IN" } }
      seed.webhooks[#seed.webhooks + 1] = hooks[w]
    end
    local w1, w2, w3 = fx.copy(hooks[1]), fx.copy(hooks[2]), fx.copy(hooks[3])
    w1.triggers = { "OPT_IN", "MESSAGE_DELIVERY" }
    if full then w2.target = hooks[5].target end
    for _, w in ipairs { w1, w2, w3 } do
      desired[#desired + 1] = w
      kept[w.target] = w.id
    end
    if full then
      desired[#desired + 1] = { app_id = app_id, target = ("%s%s/new"):format(H, app_id),
                                secret = ("new-secret-%d"):format(a) }
    else
      for n = 1, 2 do
        desired[#desired + 1] = { app_id = app_id, target = ("%s%s/new%d"):format(H, app_id, n) }
      end
    end
  end
  return seed, desired, kept
end

-- The steps done in the journal at path, counted as it grows: a function returning the
-- number of distinct steps with a "done" record. Reads only what was added since its last
-- call, up to the last whole line.
local function done_counter(path)
  local offset, done, count = 0, {}, 0
  return function()
    local f = io.open(path, "rb")
    if not f then return count end
    f:seek("set", offset)
    local added = f:read("a") or ""
    f:close()
    local last = added:match(".*()\n")
    if not last then return count end
    offset = offset + last
    for step in added:sub(1, last):gmatch('"state":"done","step":(%d+)') do
      if not done[step] then done[step], count = true, count + 1 end
    end
    return count
  end
end

describe("an apply of 2,016 steps killed at 24 points or more", function()
  local dir, seed, desired, kept
  setup(function()
    swh.quiet = true
    dir = h.temp_dir()
    seed, desired, kept = project()
    h.write(dir .. "/desired.json", swh.json.encode(desired))
    h.write(dir .. "/seed.json", swh.json.encode(seed))
    h.write(dir .. "/run.lua", SCRIPT)
  end)
  teardown(function() h.remove_dir(dir) end)

  -- One variant: opts.name (of its journal), opts.args (the emulator's own), opts.auth, and
  -- opts.restarts: the emulator (with a --state file) is killed and restarted on its port
  -- at every third point while swh goes on (its retries span the gap), and at every third
  -- along with swh. SWH_KILL_TRACE=1 prints each point on stderr.
  local function variant(opts)
    local state_file = dir .. "/state.json"
    local path = dir .. "/" .. opts.name .. ".journal"
    os.remove(state_file)
    os.remove(path)
    local emu, client, port
    local function start_emulator()
      local args = { "--rate-limit", "-1" }
      if port then args[#args + 1] = "--port=" .. port end -- after helper's --port 0: wins
      for _, a in ipairs(opts.args or {}) do args[#args + 1] = a end
      if opts.restarts then
        args[#args + 1] = "--state"
        args[#args + 1] = state_file
      end
      args[#args + 1] = dir .. "/seed.json" -- used until the state file exists
      emu = helper.emulator { args = args }
      port = emu.url:match(":(%d+)$")
      if client then client:close() end
      client = helper.client(emu, { auth = opts.auth, retries = 10, rate = 1e6 })
    end
    start_emulator()

    -- Starts swh on the script in mode: { pid, handle, out }.
    local function start(mode)
      local out = dir .. "/out.txt"
      local env = { SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
                    SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
                    SINCH_AUTH_URL = emu.auth_url, SINCH_AUTH = opts.auth or "oauth2" }
      local vars = {}
      for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. h.quote(v) end
      local command = ("exec sh -c 'echo $$; exec \"$@\" >%s 2>&1' sh env %s %s -q %s %s %s %s")
        :format(h.quote(out), table.concat(vars, " "), h.quote(h.swh), h.quote(dir .. "/run.lua"),
                mode, h.quote(dir .. "/desired.json"), h.quote(path))
      local handle = assert(io.popen(command, "r"))
      return { pid = assert(tonumber(handle:read("l"))), handle = handle, out = out }
    end

    -- Reaps child (killed, or ended by itself): a kill by SIGKILL or a run that succeeded
    -- are expected, anything else fails the spec with what swh printed.
    local function reap(child)
      local _, how, code = child.handle:close()
      assert(how == "signal" and code == 9 or how == "exit" and code == 0, h.read(child.out))
      return how == "signal"
    end

    -- How a run is taken up: the apply again when nothing of it can have been sent (no
    -- journal, an empty one, or its plan cut off), else swh.resume; nil when it is complete.
    local function next_mode()
      local data, err = journal.read(path)
      if data then return not data.complete and "resume" or nil end
      if err.message:find("cannot open: No such file", 1, true)
         or err.message:find("there is nothing to resume", 1, true) then
        return "apply"
      end
      error("unexpected journal: " .. err.message)
    end

    -- The points, in steps done: as soon as the journal exists (0, twice: the file is made,
    -- the plan not yet written) and as soon as it is not empty (-1: its plan written, or
    -- being written); at each wave's last steps and the next one's first; the others
    -- anywhere (a point already passed kills the next run as it starts).
    local total = FULL * 5 + PARTIAL * 3
    local wave1 = APPS + PARTIAL * 2
    local wave2 = wave1 + FULL * 2
    local points = { 0, 0, -1, wave1 - 3, wave1 + 2, wave2 - 3, wave2 + 2, total - 8 }
    local next_random = random(SEED)
    local n_points = opts.restarts and KILLS * 3 // 2 or KILLS
    while #points < n_points do points[#points + 1] = next_random(total - 10) end
    table.sort(points)

    local count_done = done_counter(path)
    local function reached(at)
      if at > 0 then return count_done() >= at end
      local f = io.open(path, "rb")
      if not f then return false end
      local size = f:seek("end")
      f:close()
      return at == 0 or size > 0
    end

    local kills, restarts, child = 0, 0, nil
    for k, at in ipairs(points) do
      if not child then
        local mode = next_mode()
        if not mode then break end
        child = start(mode)
      end
      for _ = 1, 6000 do -- at most 60 s
        if reached(at) or not alive(child.pid) then break end
        helper.sleep(at <= 0 and 0.001 or 0.005)
      end
      local action = not opts.restarts and "swh" or ({ "swh", "emulator", "both" })[k % 3 + 1]
      if action ~= "swh" then os.execute("kill -KILL " .. emu.pid) end -- the emulator first
      if action ~= "emulator" or not alive(child.pid) then
        os.execute("kill -KILL " .. child.pid .. " 2>/dev/null")
        if reap(child) then kills = kills + 1 end
        child = nil
      end
      if action ~= "swh" then
        emu:stop() -- reaps it
        start_emulator()
        restarts = restarts + 1
      end
      if os.getenv("SWH_KILL_TRACE") then
        io.stderr:write(("point %d at %d: %s, %d steps done\n"):format(k, at, action,
          count_done()))
      end
    end
    -- The last run goes to the end (at most 120 s).
    local last = not child and next_mode()
    if last then child = start(last) end
    if child then
      for _ = 1, 12000 do
        if not alive(child.pid) then break end
        helper.sleep(0.01)
      end
      os.execute("kill -KILL " .. child.pid .. " 2>/dev/null")
      assert.is_false(reap(child), "the last run did not end in 120 s")
    end
    local ok, err = pcall(function()
      assert.is_nil(next_mode())
      assert.is_true(kills >= 20, "kills: " .. kills)
      if opts.restarts then assert.is_true(restarts >= 10, "restarts: " .. restarts) end
      -- The summary of the whole plan, from the journal: everything done, nothing failed.
      local summary = assert(swh.resume(path, client))
      assert.is_true(summary.already_complete)
      assert.same({ FULL + PARTIAL * 2, APPS + FULL, FULL * 2, 0, 0 }, { summary.created,
        summary.updated, summary.deleted, summary.restored, summary.failed }, tostring(summary))
      -- The project is the plan's: each webhook once, none lost, none made twice (a target
      -- is unique in its app: a second create would fail and show in the summary), and the
      -- kept ones are the seed's own (never deleted and made again).
      local state = fx.state(client)
      assert.same(fx.expected(assert(client.apps:list()), desired), state)
      local ids, n = {}, 0
      for app_id in pairs(state) do
        for _, w in ipairs(assert(client.webhooks:list(app_id))) do
          ids[w.target] = w.id
          n = n + 1
        end
      end
      assert.equal(#desired, n)
      for target, id in pairs(kept) do assert.equal(id, ids[target], target) end
    end)
    client:close()
    emu:stop()
    assert(ok, err)
  end

  it("ends in the plan's state, nothing duplicated or lost", function()
    variant { name = "kills" }
  end)

  it("and so with the emulator killed and restarted from its --state file", function()
    variant { name = "restarts", restarts = true, auth = RESTART_AUTH }
  end)

  it("and so against an emulator that fails requests, drops them and loses answers", function()
    variant { name = "faults", args = { "--faults", "500=0.02,503=0.02,429=0.02,lost=0.02,"
      .. "drop=0.02", "--seed", "7" } }
  end)
end)

describe("a create whose server dies after making it and before answering", function()
  it("is looked up after the restart, not made twice, even when libcurl cannot reconnect",
  function()
    -- libcurl silently resends a request whose reused connection broke with no answer;
    -- the client refuses that resend for a create, but when the reconnect itself is
    -- refused (the server is down), the failure read as "never sent" and the create went
    -- out again without a lookup: a 400 duplicate, the webhook made but the step failed.
    local dir = h.temp_dir()
    local state = dir .. "/state.json"
    local emu = helper.emulator { apps = 1, args = { "--state", state, "--latency", "1000" } }
    local port = emu.url:match(":(%d+)$")
    h.write(dir .. "/create.lua", [[
local env = os.getenv
local c = assert(swh.client { project_id = env("SINCH_PROJECT_ID"), key_id = env("SINCH_KEY_ID"),
  key_secret = env("SINCH_KEY_SECRET"), base_url = env("SINCH_CONVERSATION_URL"),
  auth = "basic", retries = 10 })
local app = assert(c.apps:list())[1] -- a connection for the create to reuse
local made, err = c.webhooks:create { app_id = app.id, target = "https://h.example.com/once" }
print(made and "made" or "failed: " .. tostring(err))
local n = 0
for _, w in ipairs(assert(c.webhooks:list(app.id))) do
  if w.target == "https://h.example.com/once" then n = n + 1 end
end
print(n)
]])
    local command = ("exec env SINCH_PROJECT_ID=%s SINCH_KEY_ID=%s SINCH_KEY_SECRET=%s "
      .. "SINCH_CONVERSATION_URL=%s %s -q %s 2>&1"):format(h.quote(emu.project_id),
      h.quote(emu.key_id), h.quote(emu.key_secret), h.quote(emu.url), h.quote(h.swh),
      h.quote(dir .. "/create.lua"))
    local child = assert(io.popen(command, "r"))
    local made = false
    -- at most 10 s: until the server has made the webhook (and logged it: a change goes to
    -- the state's log, state.json.log, before it is answered)
    for _ = 1, 1000 do
      local f = io.open(state .. ".log", "rb")
      made = f and f:read("a"):find("h.example.com/once", 1, true) ~= nil
      if f then f:close() end
      if made then break end
      helper.sleep(0.01)
    end
    os.execute("kill -KILL " .. emu.pid) -- while its answer waits out the latency
    emu:stop()
    helper.sleep(0.3) -- the client finds the port closed, and backs off
    local again = helper.emulator { args = { "--port=" .. port, "--state", state } }
    local out = child:read("a")
    child:close()
    again:stop()
    h.remove_dir(dir)
    assert.is_true(made)
    assert.equal("made\n1\n", out)
  end)
end)
