-- journal.lua: the journal of a plan of STEPS steps, and swh.resume over it. The journal is
-- written by swh's own journal code, with the steps swh.plan makes (in each group of five:
-- an update of triggers, a delete, a retarget paired with it, a delete, a create paired
-- with that), each step sent and done:
--   swh -q journal.lua write PATH STEPS     writes a complete journal at PATH
--   swh -q journal.lua resume PATH STEPS    times swh.resume(PATH) and checks its summary
-- Resuming reads the journal and sums it up; when the run was cut after its last step (the
-- "complete" line removed), it also appends "resumed" and "complete". No request is sent:
-- the client's URL is a closed port. scripts/bench runs both, each in a process of its own
-- (as a resume after a crash is).
-- luacheck: read globals swh
local journal = require "swh.plan.journal"
local gettime = require("system").gettime

local mode, path = arg[1], arg[2]
local count = math.tointeger(tonumber(arg[3] or ""))
assert((mode == "write" or mode == "resume") and path and count and count >= 5
  and count % 5 == 0, "usage: journal.lua write|resume PATH STEPS (a multiple of 5)")

local array = getmetatable(swh.json.decode("[]"))
local function list(t) return setmetatable(t, array) end

-- The live webhook k of app a.
local function live(a, k)
  return { id = ("01W4FFL35P4NC4K35W%04dH%03d"):format(a % 10000, k),
           app_id = ("app-%06d"):format(a), target_type = "HTTP",
           target = ("https://old.example.com/hooks/%06d/%d"):format(a, k),
           secret = ("secret-%06d-%d"):format(a, k),
           triggers = list { "MESSAGE_DELIVERY", "MESSAGE_INBOUND", "EVENT_DELIVERY" } }
end

local function update(wave, before, changes)
  local after, mask = {}, list {}
  for key, v in pairs(before) do after[key] = v end
  for key, v in pairs(changes) do after[key], mask[#mask + 1] = v, key end
  return { op = "update", wave = wave, id = before.id, before = before, after = after,
           changes = changes, mask = mask }
end

-- The plan's steps, wave by wave as swh.plan lists them: for n = count / 5 apps, n updates,
-- then 2n deletes, then n retargets and n creates, each paired with a delete of its app.
local function plan_steps()
  local n, steps = count // 5, {}
  for a = 1, n do
    steps[a] = update(1, live(a, 1), { triggers = list { "MESSAGE_DELIVERY", "OPT_IN" } })
    steps[n + 2 * a - 1] = { op = "delete", wave = 2, webhook = live(a, 4) }
    steps[n + 2 * a] = { op = "delete", wave = 2, webhook = live(a, 5) }
    local retarget = update(3, live(a, 2), { target = live(a, 4).target })
    retarget.pair = n + 2 * a - 1
    steps[3 * n + 2 * a - 1] = retarget
    steps[3 * n + 2 * a] = { op = "create", wave = 3, pair = n + 2 * a, webhook = {
      app_id = ("app-%06d"):format(a), target = ("https://new.example.com/hooks/%06d"):format(a),
      triggers = list { "MESSAGE_DELIVERY" }, secret = ("new-secret-%06d"):format(a) } }
  end
  return steps
end

local client = assert(swh.client { project_id = "bench-project", key_id = "k", key_secret = "s",
                                   base_url = "http://127.0.0.1:9", auth = "basic" })

if mode == "write" then
  local steps = plan_steps()
  local j <close> = assert(journal.create(path, { project_id = "bench-project",
                                                  api_host = client:api_host(),
                                                  steps = steps }))
  for i = 1, #steps do
    assert(j:write { step = i, state = "sent" })
    assert(j:write { step = i, state = "done", id = steps[i].id or ("01NEW%021d"):format(i) })
  end
  assert(j:write { state = "complete" })
  return
end

local t0, cpu0 = gettime(), os.clock()
local summary = assert(swh.resume(path, client, { progress = false }))
local seconds, cpu = gettime() - t0, os.clock() - cpu0
assert(summary.skipped == count and summary.failed == 0 and summary.updated == 2 * count // 5
       and summary.created == count // 5 and summary.deleted == 2 * count // 5, tostring(summary))
local f = assert(io.open(path, "rb"))
local size = f:seek("end")
f:close()
local status = assert(io.open("/proc/self/status", "r"))
local rss = status:read("a"):match("VmHWM:%s*(%d+) kB")
status:close()
print(("swh.resume over %d steps (%.1f MB, %s): %.0f ms (CPU %.0f ms), peak RSS %d MB")
  :format(count, size / 1e6, summary.already_complete and "complete" or "cut after its last step",
          seconds * 1000, cpu * 1000, tonumber(rss) // 1024))
