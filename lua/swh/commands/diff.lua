--- swh diff A B: what differs between two states of the project's webhooks, each a
-- snapshot file (swh backup) or `live` (the project now). Webhooks are matched by id, then
-- those left by (app_id, target): a webhook deleted and made again (a restore) differs only
-- by its id. Secrets are compared, never printed. Exit status as diff(1).
local swh = require "swh"
local args = require "swh.commands.args"

local concat, sort = table.concat, table.sort

local command = {
  name = "diff",
  summary = "show the webhooks that differ between two snapshots, or a snapshot and live",
  usage = "swh diff A B",
  description = "A and B are each a snapshot file (swh backup) or the word live. One block a\n"
    .. "webhook that differs: + only in B, - only in A, ~ changed (a line a field, secrets\n"
    .. "as \"differs\"). A webhook only in A and one only in B with the same app and target\n"
    .. "are one webhook whose id changed (as a restore makes again what was deleted).",
  positional = { { "A", help = "a snapshot file, or live" }, { "B", help = "the same" } },
  statuses = "0 no difference, 1 differences, 2 trouble (a file that cannot be read, the\n"
    .. "project unreachable, bad arguments), as diff(1).",
}

local SECRET = { secret = true, client_credentials = true }

local function read_state(which, env)
  if which == "live" then
    local snap, err = swh.snapshot(env.client())
    if not snap then args.fail("cannot read the project: " .. tostring(err), 2) end
    return snap
  end
  local snap, err = swh.load(which)
  if not snap then args.fail(tostring(err.message or err), 2) end
  return snap
end

-- A field's value as text to compare: JSON with sorted keys; triggers as a set.
local function canonical(field, v)
  if v == nil then return "null" end
  if field == "triggers" and type(v) == "table" then
    local names = {}
    for i, t in ipairs(v) do names[i] = tostring(t) end
    sort(names)
    return concat(names, " ")
  end
  return swh.json.encode(v, { sort_keys = true })
end

-- The lines saying how b's fields differ from a's (id aside).
local function field_lines(a, b)
  local keys, seen = {}, {}
  for _, w in ipairs({ a, b }) do
    for k in pairs(w) do
      if k ~= "id" and not seen[k] then seen[k] = true; keys[#keys + 1] = k end
    end
  end
  sort(keys)
  local lines = {}
  for _, k in ipairs(keys) do
    local x, y = canonical(k, a[k]), canonical(k, b[k])
    if x ~= y then
      if SECRET[k] then
        lines[#lines + 1] = ("    %s: differs"):format(k)
      else
        lines[#lines + 1] = ("    %s: %s -> %s"):format(k, x, y)
      end
    end
  end
  return lines
end

function command.run(_, positional, env)
  local a = read_state(positional[1], env)
  local b = read_state(positional[2], env)
  local names = {}
  for _, s in ipairs({ a, b }) do
    for _, app in ipairs(s.apps or {}) do names[app.id] = app.display_name end
  end
  local function where(w)
    local app = names[w.app_id] and ("%s (%s)"):format(names[w.app_id], w.app_id) or w.app_id
    return ("app %s, %s"):format(app, tostring(w.target))
  end
  local b_by_id = {}
  for _, w in ipairs(b.webhooks) do b_by_id[w.id] = w end
  local a_ids, only_a = {}, {}
  local out = {}
  for _, w in ipairs(a.webhooks) do
    a_ids[w.id] = true
    local other = b_by_id[w.id]
    if other then
      local lines = field_lines(w, other)
      if #lines > 0 then
        out[#out + 1] = ("~ %s  %s"):format(w.id, where(w))
        for _, l in ipairs(lines) do out[#out + 1] = l end
      end
    else
      only_a[w.app_id .. "\0" .. tostring(w.target)] = w
      only_a[#only_a + 1] = w
    end
  end
  local matched = {}
  for _, w in ipairs(b.webhooks) do
    if not a_ids[w.id] then
      local before = only_a[w.app_id .. "\0" .. tostring(w.target)]
      if before then
        matched[before] = true
        out[#out + 1] = ("~ %s -> %s  %s"):format(before.id, w.id, where(w))
        out[#out + 1] = ("    id: %s -> %s"):format(before.id, w.id)
        for _, l in ipairs(field_lines(before, w)) do out[#out + 1] = l end
      else
        out[#out + 1] = ("+ %s  %s (only in %s)"):format(w.id, where(w), positional[2])
      end
    end
  end
  for _, w in ipairs(only_a) do
    if not matched[w] then
      out[#out + 1] = ("- %s  %s (only in %s)"):format(w.id, where(w), positional[1])
    end
  end
  if #out == 0 then return 0 end
  io.stdout:write(concat(out, "\n"), "\n")
  return 1
end

return command
