--- swh export: every webhook of the project, with its app's name, on standard output as
-- JSON, JSON lines or CSV (RFC 4180), for jq and spreadsheets. Secrets are masked unless
-- --with-secrets.
local swh = require "swh"
local args = require "swh.commands.args"

local concat, sort = table.concat, table.sort

local MASK = require("swh.pretty").MASK -- the REPL's, one wording of a hidden secret
local COLUMNS = { "id", "app_id", "app_name", "target", "target_type", "triggers", "secret",
                  "client_credentials" }

local command = {
  name = "export",
  summary = "print every webhook, with its app's name, as JSON, JSON lines or CSV",
  usage = "swh export [--format json|jsonl|csv] [--with-secrets]",
  description = "One record a webhook, in the order of apps (by name) and targets, with\n"
    .. "the fields " .. concat(COLUMNS, ", ") .. ".\n"
    .. "In CSV, triggers are joined with spaces and client_credentials is JSON. Secrets\n"
    .. "(secret, client_credentials.client_secret) read " .. MASK .. " unless --with-secrets.",
  flags = {
    { "format", value = "FORMAT", choices = { "json", "jsonl", "csv" }, default = "json",
      help = "json (an array, the default), jsonl (an object a line) or csv" },
    { "with-secrets", help = "print secrets in clear" },
  },
  statuses = "0 printed, 1 the project could not be read, 2 bad arguments.",
}

-- One record: the webhook's fields, its app's name, secrets masked unless asked.
local function record(w, app, with_secrets)
  local r = setmetatable({}, swh.object_mt)
  for k, v in pairs(w) do r[k] = v end
  r.app_name = app and app.display_name or nil
  if not with_secrets then
    if r.secret ~= nil and r.secret ~= "" then r.secret = MASK end
    if type(r.client_credentials) == "table" then
      local cc = setmetatable({}, swh.object_mt)
      for k, v in pairs(r.client_credentials) do cc[k] = v end
      if cc.client_secret ~= nil then cc.client_secret = MASK end
      r.client_credentials = cc
    end
  end
  return r
end

-- A CSV field (RFC 4180): quoted when it holds a quote, a comma or a line break, quotes
-- doubled.
local function csv_field(v)
  if v == nil or v == swh.null then return "" end
  if type(v) == "table" then
    if getmetatable(v) == swh.array_mt or #v > 0 then v = concat(v, " ")
    else v = swh.json.encode(v, { sort_keys = true }) end
  end
  v = tostring(v)
  if v:find('[",\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

function command.run(opts, _, env)
  local snapshot, err = swh.snapshot(env.client())
  if not snapshot then args.fail("cannot read the project: " .. tostring(err)) end
  local app_of = {}
  for _, app in ipairs(snapshot.apps) do app_of[app.id] = app end
  local records = {}
  for i, w in ipairs(snapshot.webhooks) do
    records[i] = record(w, app_of[w.app_id], opts.with_secrets)
  end
  sort(records, function(a, b)
    local an, bn = a.app_name or a.app_id, b.app_name or b.app_id
    if an ~= bn then return an < bn end
    if a.app_id ~= b.app_id then return a.app_id < b.app_id end
    return a.target < b.target
  end)
  local out = io.stdout
  if opts.format == "json" then
    out:write(swh.json.encode(setmetatable(records, swh.array_mt),
      { indent = 2, sort_keys = true }), "\n")
  elseif opts.format == "jsonl" then
    for _, r in ipairs(records) do out:write(swh.json.encode(r, { sort_keys = true }), "\n") end
  else
    out:write(concat(COLUMNS, ","), "\r\n")
    local row = {}
    for _, r in ipairs(records) do
      for i, c in ipairs(COLUMNS) do row[i] = csv_field(r[c]) end
      out:write(concat(row, ","), "\r\n")
    end
  end
  return 0
end

return command
