--- The realistic row of scripts/bench: a bulk run with swh's defaults only (no concurrency,
-- no rate), against an emulator with the real API's 800 requests/s project limit and 20 ms
-- of latency, compared with the bound that limit sets (requests / 800 s).
--   swh -q realistic.lua seed FILE      -- writes the project: 1,200 apps, the first 1,000
--                                       -- with 5 webhooks each, the last 200 empty
--   swh -q realistic.lua run URL        -- the run, against an emulator seeded with FILE
-- The run: swh.snapshot (list every app's webhooks), update every webhook's target, create
-- 1,000 webhooks in the empty apps, delete them. Prints, for scripts/bench:
--   phase NAME REQUESTS SECONDS FAILED   (one line per phase)
-- Every item is checked; failures are counted, not fatal, so the row shows them.
-- luacheck: read globals swh
local gettime = require("system").gettime

local FULL_APPS, EMPTY_APPS, PER_APP = 1000, 200, 5
local mode = arg[1]

local function app_id(a) return ("01REALAPP%017d"):format(a) end

if mode == "seed" then
  local path = assert(arg[2], "usage: realistic.lua seed FILE")
  local apps, webhooks = {}, {}
  for a = 1, FULL_APPS + EMPTY_APPS do
    apps[a] = { id = app_id(a), display_name = "App " .. a }
    if a <= FULL_APPS then
      for k = 1, PER_APP do
        webhooks[#webhooks + 1] = {
          id = ("01REALHOOK%016d"):format(#webhooks + 1), app_id = app_id(a),
          target = ("https://old.example.com/%d/%d"):format(a, k), target_type = "HTTP",
          triggers = { "MESSAGE_INBOUND", "MESSAGE_DELIVERY" }, secret = "real-secret",
        }
      end
    end
  end
  assert(swh.save({ swh_snapshot = 1, project_id = "emulator-project", apps = apps,
                    webhooks = webhooks }, path))
  return
end

local url = assert(mode == "run" and arg[2], "usage: realistic.lua seed FILE | run URL")
local client = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
  key_secret = "emulator-secret", base_url = url, auth_url = url .. "/oauth2/token" })
assert(client.apps:list()) -- the token, untimed

local phases = {}
local function timed(name, fn)
  local t0 = gettime()
  local requests, failed = fn()
  phases[#phases + 1] = ("phase %s %d %.6f %d"):format(name, requests, gettime() - t0, failed)
end

local snap
timed("list", function()
  local err
  snap, err = swh.snapshot(client)
  if not snap then
    io.stderr:write("realistic.lua: the snapshot failed: ", tostring(err), "\n")
    return 1, 1
  end
  local apps = #snap.apps
  -- a wrong count is a failure of every list that did not give what was seeded
  return 1 + apps, (#snap.webhooks == FULL_APPS * PER_APP and apps == FULL_APPS + EMPTY_APPS)
    and 0 or apps
end)
if not snap then os.exit(1) end

-- swh.each over items with the defaults; an item fails when fn fails or check(value) does not
-- hold. Returns the items and the failures.
local function run_all(items, fn, check)
  local failed = 0
  swh.each(items, fn, { on_result = function(i, ok, value)
    if not ok or not check(value, i) then
      failed = failed + 1
      if failed <= 3 then
        io.stderr:write(("realistic.lua: item %d: %s\n"):format(i, tostring(value)))
      end
    end
  end })
  return #items, failed
end

local function new_target(w) return (w.target:gsub("^https://old%.", "https://new.")) end
timed("update", function()
  return run_all(snap.webhooks, function(w)
    return client.webhooks:update(w.id, { target = new_target(w) })
  end, function(value, i) return value.target == new_target(snap.webhooks[i]) end)
end)

local made, specs = {}, {}
for a = FULL_APPS + 1, FULL_APPS + EMPTY_APPS do
  for k = 1, PER_APP do
    specs[#specs + 1] = { app_id = app_id(a), triggers = { "MESSAGE_INBOUND" },
                          target = ("https://made.example.com/%d/%d"):format(a, k) }
  end
end
timed("create", function()
  return run_all(specs, function(s) return client.webhooks:create(s) end, function(value, i)
    made[i] = value.id
    return value.target == specs[i].target
  end)
end)

timed("delete", function()
  return run_all(made, function(id) return client.webhooks:delete(id) end,
    function(value) return value == true end)
end)

for _, line in ipairs(phases) do print(line) end
