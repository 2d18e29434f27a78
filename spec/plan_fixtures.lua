--- plan_fixtures: what the plan, apply and resume specs share: a project laid out as a spec
-- needs it, and its state in a form that compares across runs (no ids, sorted).
local swh = require "swh"
local host_run = require "host_run"

local M = {}

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end
M.copy = copy

--- Deletes every webhook of the project, then creates layout[i] (a list of webhooks without
-- app_id) in the i-th app. Returns the apps and made[i], the webhooks created in app i.
function M.reset(client, layout)
  local apps = assert(client.apps:list())
  for _, app in ipairs(apps) do
    for _, w in ipairs(assert(client.webhooks:list(app.id))) do
      assert(client.webhooks:delete(w.id))
    end
  end
  local made = {}
  for i, app in ipairs(apps) do
    made[i] = {}
    for j, w in ipairs(layout and layout[i] or {}) do
      local body = copy(w)
      body.app_id = app.id
      made[i][j] = assert(client.webhooks:create(body))
    end
  end
  return apps, made
end

-- A webhook as the server holds it: defaults filled in, no id, plain tables.
local function held(w)
  local out = copy(w)
  out.id = nil
  out.target_type = out.target_type or "HTTP"
  out.triggers = out.triggers or {}
  if out.secret == "" then out.secret = nil end
  if out.client_credentials == swh.null then out.client_credentials = nil end
  return out
end

local function by_target(list)
  table.sort(list, function(a, b) return a.target < b.target end)
  return list
end

--- The live webhooks of every app, { [app_id] = {webhook without id, …} }, by target.
function M.state(client)
  local out = {}
  for _, app in ipairs(assert(client.apps:list())) do
    local list = {}
    for _, w in ipairs(assert(client.webhooks:list(app.id))) do list[#list + 1] = held(w) end
    out[app.id] = by_target(list)
  end
  return out
end

--- What M.state should be: every app of apps with the webhooks of `webhooks` whose app_id
-- it is, as the server would hold them.
function M.expected(apps, webhooks)
  local out = {}
  for _, app in ipairs(apps) do out[app.id] = {} end
  for _, w in ipairs(webhooks) do
    local list = out[w.app_id]
    list[#list + 1] = held(w)
  end
  for _, list in pairs(out) do by_target(list) end
  return out
end

--- A fresh path for a journal (the file does not exist).
function M.journal_path()
  local path = os.tmpname()
  os.remove(path)
  return path
end

M.read, M.write = host_run.read, host_run.write

--- The lines of a file, without their newlines (a last line without one included).
function M.lines(path)
  local lines = {}
  for line in M.read(path):gmatch("[^\n]+") do lines[#lines + 1] = line end
  return lines
end

--- The journal's records after its plan (format 2: the header line, then a line a step;
-- format 1: the plan on line 1), decoded.
function M.records(path)
  local lines = M.lines(path)
  local header = assert(swh.json.decode(lines[1]))
  local plan_lines = 1 + (header.swh_journal == 2 and header.steps or 0)
  local out = {}
  for n = plan_lines + 1, #lines do out[#out + 1] = assert(swh.json.decode(lines[n])) end
  return out
end

--- The message fn raises, its position written "@: " when it is fn's own line: misuse must
-- be reported at the line of the script that called swh, here the line fn is on.
function M.raised(fn)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error")
  local info = debug.getinfo(fn, "S")
  local here = info.short_src .. ":" .. info.linedefined .. ": "
  if type(err) == "string" and err:sub(1, #here) == here then return "@: " .. err:sub(#here + 1) end
  return err
end

--- The mode bits of a file, e.g. "600".
function M.mode(path)
  local p = assert(io.popen("stat -c %a '" .. path:gsub("'", "'\\''") .. "'"))
  local mode = p:read("l")
  p:close()
  return mode
end

return M
