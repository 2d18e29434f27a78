--- The bench workload, through swh: run by scripts/bench as
--   swh -q workload.lua URL PROJECT KEY_ID KEY_SECRET APPS PER_APP CONCURRENCY
--
-- Written the way a user writes a bulk script: one client, swh.map over the items with the
-- client's concurrency, straight-line code in each item. Phases, each timed on its own:
-- create PER_APP webhooks in each of the first APPS apps, list every app's webhooks, update
-- every webhook's target (update_mask = target), get each, delete each. Untimed checks
-- before and after: the apps start with no webhooks and end with none, and every count and
-- value is exact, so a broken run exits non-zero instead of posting a figure.
--
-- Prints to stdout, for scripts/bench: phase NAME REQUESTS SECONDS, rss_kb N (peak RSS),
-- cpu_s S (CPU time of the whole process, user + system) and phases_cpu_s S (of the timed
-- phases alone: start-up, setup and checks left out).
local swh = require "swh"

local url, project, key_id, key_secret = arg[1], arg[2], arg[3], arg[4]
local n_apps, per_app = tonumber(arg[5]), tonumber(arg[6])
local concurrency = math.tointeger(tonumber(arg[7]))
assert(url and project and key_id and key_secret and n_apps and per_app and concurrency,
  "usage: workload.lua URL PROJECT KEY_ID KEY_SECRET APPS PER_APP CONCURRENCY")

-- A wall clock with sub-millisecond resolution: luasystem (a dependency of busted).
local ok_system, system = pcall(require, "system")
assert(ok_system and system.gettime, "workload.lua needs luasystem (Debian: lua-system)")
local now = system.gettime

local function fail(fmt, ...)
  io.stderr:write("workload.lua: ", fmt:format(...), "\n")
  os.exit(1)
end

-- Fails the run on the first failed item of a swh.map, with its error.
local function check_all(results, what)
  for i, r in ipairs(results) do
    if not r.ok then fail("%s #%d failed: %s", what, i, tostring(r.err)) end
  end
end

local client = assert(swh.client{
  project_id = project, key_id = key_id, key_secret = key_secret,
  base_url = url, auth_url = url .. "/oauth2/token",
  concurrency = concurrency,
  -- The SDK does no pacing; the emulator runs without a rate limit. A rate far above what
  -- one client reaches keeps swh's pacing out of the comparison (by default it is the real
  -- API's 800/s project limit).
  rate = 1e6,
})

-- Setup (untimed): the apps (this also fetches the OAuth2 token) and an empty start.
local all_apps = assert(client.apps:list())
if #all_apps < n_apps then fail("the emulator has %d apps, %d wanted", #all_apps, n_apps) end
local apps = {}
for i = 1, n_apps do apps[i] = all_apps[i] end

local function count_webhooks()
  local results = swh.map(apps, function(app) return client.webhooks:list(app.id) end,
    { concurrency = concurrency })
  check_all(results, "list (check)")
  local total = 0
  for _, r in ipairs(results) do total = total + #r.value end
  return total
end
local before = count_webhooks()
if before ~= 0 then fail("the apps hold %d webhooks before the run; expected none", before) end

local function target(kind, a, w)
  return ("https://%s.bench.example.com/app/%d/hook/%d"):format(kind, a, w)
end

local phases, phases_cpu = {}, 0
local function timed(name, requests, fn)
  local cpu0, t0 = os.clock(), now()
  fn()
  phases[#phases + 1] = { name = name, requests = requests, seconds = now() - t0 }
  phases_cpu = phases_cpu + os.clock() - cpu0
end

local specs = {}
for a, app in ipairs(apps) do
  for w = 1, per_app do
    specs[#specs + 1] = { app_id = app.id, a = a, w = w }
  end
end
local n = #specs
local created = {}

timed("create", n, function()
  local results = swh.map(specs, function(s)
    return client.webhooks:create{
      app_id = s.app_id, target = target("old", s.a, s.w), target_type = "HTTP",
      triggers = { "MESSAGE_INBOUND", "MESSAGE_DELIVERY" }, secret = "bench-secret",
    }
  end, { concurrency = concurrency })
  check_all(results, "create")
  for i, r in ipairs(results) do created[i] = r.value end
end)

local listed = {}
timed("list", #apps, function()
  local results = swh.map(apps, function(app) return client.webhooks:list(app.id) end,
    { concurrency = concurrency })
  check_all(results, "list")
  for _, r in ipairs(results) do
    for _, w in ipairs(r.value) do listed[#listed + 1] = w end
  end
end)
if #listed ~= n then fail("listed %d webhooks, created %d", #listed, n) end
local by_id = {}
for _, w in ipairs(created) do by_id[w.id] = true end
for _, w in ipairs(listed) do
  if not by_id[w.id] then fail("listed webhook %s was not created by this run", w.id) end
  by_id[w.id] = nil
end

timed("update", n, function()
  local results = swh.map(created, function(w, i)
    return client.webhooks:update(w.id, { target = target("new", specs[i].a, specs[i].w) })
  end, { concurrency = concurrency })
  check_all(results, "update")
  for i, r in ipairs(results) do
    if r.value.target ~= target("new", specs[i].a, specs[i].w) then
      fail("update #%d answered target %s", i, tostring(r.value.target))
    end
  end
end)

timed("get", n, function()
  local results = swh.map(created, function(w) return client.webhooks:get(w.id) end,
    { concurrency = concurrency })
  check_all(results, "get")
  for i, r in ipairs(results) do
    if r.value.id ~= created[i].id or r.value.target ~= target("new", specs[i].a, specs[i].w)
       or r.value.secret ~= "bench-secret" then
      fail("get #%d: not the updated webhook", i)
    end
  end
end)

timed("delete", n, function()
  local results = swh.map(created, function(w) return client.webhooks:delete(w.id) end,
    { concurrency = concurrency })
  check_all(results, "delete")
end)

local after = count_webhooks()
if after ~= 0 then fail("%d webhooks left after the delete phase", after) end
client:close()

for _, p in ipairs(phases) do
  print(("phase %s %d %.6f"):format(p.name, p.requests, p.seconds))
end
local status = assert(io.open("/proc/self/status", "r"))
local hwm = status:read("a"):match("VmHWM:%s*(%d+) kB")
status:close()
print("rss_kb " .. assert(hwm, "no VmHWM in /proc/self/status"))
print(("cpu_s %.6f"):format(os.clock())) -- the process's CPU time, user + system
print(("phases_cpu_s %.6f"):format(phases_cpu)) -- of the timed phases alone
