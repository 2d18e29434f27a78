--- swh.pretty: readable printing of webhooks, apps, errors and plain Lua values, as the swh
-- REPL shows them. Secrets (every key the core's swh_is_secret_key names: `secret`,
-- `client_secret`, `key_secret`, tokens, passwords, ...) are shown as "••••" unless the
-- caller asks for them with `{ secrets = true }`, and so is the password of a URL's
-- userinfo anywhere in the text ("https://user:••••@host/path").
--
--   local pretty = require "swh.pretty"
--   print(pretty.format(webhook))                 -- a block, secret masked
--   pretty.print(client.webhooks:list(app_id))    -- a table of webhooks
--   pretty.print(webhook, { secrets = true })     -- the secret in clear, on purpose
local type, pairs, ipairs, tostring, select = type, pairs, ipairs, tostring, select
local getmetatable, rawget, next = getmetatable, rawget, next
local concat, sort = table.concat, table.sort
local format, rep = string.format, string.rep
local math_type = math.type

-- JSON null is swh.core's (the same value as cjson.null), so lua-cjson is not needed here.
local core = require "swh.core"
local json_null = core.null
local core_mask_urls = core.mask_urls
local check = require "swh.check"

local pretty = { _VERSION = "0.1.0", MASK = "••••" }

local MAX_DEPTH = 12

--- Whether a field of this name holds a secret: the core's one predicate (swh_is_secret_key:
-- authorization, *secret*, *password*, a last word ending in token, api_key, ...), which the
-- -v trace uses too.
pretty.is_secret_key = core.is_secret_key

--- s with the password of every URL userinfo in it replaced by the mask, as the core masks
-- the trace's: "https://user:pw@example.com/h" becomes "https://user:••••@example.com/h".
function pretty.mask_urls(s)
  return core_mask_urls(s, pretty.MASK)
end

--- "1 webhook", "2 webhooks": n and the noun, plural (with an s) unless n is 1.
function pretty.count(n, noun)
  return ("%d %s%s"):format(n, noun, n == 1 and "" or "s")
end

local OPTIONS = { secrets = check.BOOLEAN }

-- Reads the options of pretty[fname]; a bad one raises at the line that called it.
local function options_of(opts, fname)
  return { secrets = check.options(opts, 2, fname, OPTIONS).secrets == true }
end

-- Display width: "••••" is 4 columns but 12 bytes.
local function width(s)
  return utf8.len(s) or #s
end

local function pad(s, n)
  return s .. rep(" ", n - width(s))
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or format("\\%03d", c:byte())
  end) .. '"'
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function is_error(v)
  return type(v) == "table" and type(rawget(v, "kind")) == "string"
      and type(rawget(v, "message")) == "string"
end

local function is_webhook(v)
  return type(v) == "table" and not has_tostring(v) and type(rawget(v, "target")) == "string"
      and (rawget(v, "triggers") ~= nil or rawget(v, "app_id") ~= nil
           or rawget(v, "target_type") ~= nil)
end

local function is_app(v)
  return type(v) == "table" and not has_tostring(v) and type(rawget(v, "id")) == "string"
      and rawget(v, "display_name") ~= nil and rawget(v, "target") == nil
end

-- The length of v when it is a non-empty sequence with no other keys, else nil.
local function sequence_length(v)
  local n = #v
  if n == 0 then return nil end
  local count = 0
  for k in pairs(v) do
    if math_type(k) ~= "integer" or k < 1 or k > n then return nil end
    count = count + 1
  end
  return count == n and n or nil
end

local function all(list, n, predicate)
  for i = 1, n do
    if not predicate(list[i]) then return false end
  end
  return true
end

--- The one-line form of an swh error (its __tostring when it has one).
local function error_line(err)
  if has_tostring(err) then return tostring(err) end
  local head = err.kind
  if type(err.status) == "string" and err.status ~= "" then
    head = err.status
    if err.http_status then head = head .. " (" .. tostring(err.http_status) .. ")" end
  end
  local line = head .. ": " .. err.message
  if type(err.request) == "string" and err.request ~= "" then
    line = line .. " [" .. err.request .. "]"
  end
  return line
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end -- numbers before strings before the rest
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function sorted_keys(t, skip)
  local keys = {}
  for k in pairs(t) do
    if not (skip and skip[k]) then keys[#keys + 1] = k end
  end
  sort(keys, key_order)
  return keys
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  if type(k) == "string" then return "[" .. quote(k) .. "]" end
  return "[" .. tostring(k) .. "]"
end

local format_value -- forward

local function masked(key, value, opts)
  return not opts.secrets and pretty.is_secret_key(key) and type(value) == "string"
      and value ~= ""
end

-- A nested value: quoted strings, `null`, tables in braces over several lines.
function format_value(v, opts, indent, seen, depth)
  if v == json_null then return "null" end
  local t = type(v)
  if t == "string" then return quote(v) end
  if t ~= "table" then return tostring(v) end
  if is_error(v) then return "error " .. error_line(v) end
  if has_tostring(v) then return tostring(v) end
  if seen[v] then return "<cycle>" end
  if next(v) == nil then return "{}" end
  if depth >= MAX_DEPTH then return "{…}" end
  seen[v] = true
  local inner = indent .. "  "
  local parts = {}
  local n = sequence_length(v)
  if n then
    local short, total = true, 0
    for i = 1, n do
      local item = v[i]
      local s = format_value(item, opts, inner, seen, depth + 1)
      parts[i] = s
      total = total + width(s) + 2
      if type(item) == "table" or s:find("\n", 1, true) then short = false end
    end
    seen[v] = nil
    if short and total + #indent <= 80 then return "{ " .. concat(parts, ", ") .. " }" end
    return "{\n" .. inner .. concat(parts, ",\n" .. inner) .. ",\n" .. indent .. "}"
  end
  for _, k in ipairs(sorted_keys(v)) do
    local value = v[k]
    local s = masked(k, value, opts) and pretty.MASK
        or format_value(value, opts, inner, seen, depth + 1)
    parts[#parts + 1] = key_text(k) .. " = " .. s
  end
  seen[v] = nil
  return "{\n" .. inner .. concat(parts, ",\n" .. inner) .. ",\n" .. indent .. "}"
end

local function nested(v, opts, indent)
  return format_value(v, opts, indent, {}, 1)
end

-- "name  value" lines with the names aligned; values that span lines stay indented.
local function field_lines(fields, indent)
  local w = 0
  for _, f in ipairs(fields) do
    if f[2] ~= nil and width(f[1]) > w then w = width(f[1]) end
  end
  local lines = {}
  for _, f in ipairs(fields) do
    if f.raw then
      lines[#lines + 1] = f.raw
    elseif f[2] == nil then
      lines[#lines + 1] = indent .. f[1]
    else
      lines[#lines + 1] = indent .. pad(f[1], w) .. "  " .. f[2]
    end
  end
  return concat(lines, "\n")
end

local function trigger_text(triggers)
  if type(triggers) ~= "table" or has_tostring(triggers) then return nil end
  local n = sequence_length(triggers)
  if next(triggers) == nil then return "(none)" end
  if not n or not all(triggers, n, function(x) return type(x) == "string" end) then
    return nil
  end
  return concat(triggers, ", ")
end

local WEBHOOK_ORDER = { "app_id", "target", "target_type", "triggers", "secret",
                        "client_credentials" }
local WEBHOOK_KNOWN = { id = true }
for _, k in ipairs(WEBHOOK_ORDER) do WEBHOOK_KNOWN[k] = true end

local function field_value(key, value, opts, indent)
  if masked(key, value, opts) then return pretty.MASK end
  if type(value) == "string" then return value end
  return nested(value, opts, indent)
end

local function format_webhook(w, opts)
  local head = "webhook " .. (type(w.id) == "string" and w.id or "(no id)")
  local fields = {}
  for _, k in ipairs(WEBHOOK_ORDER) do
    local value = w[k]
    if value ~= nil then
      if k == "triggers" then
        fields[#fields + 1] = { k, trigger_text(value) or nested(value, opts, "  ") }
      elseif k == "client_credentials" and type(value) == "table"
          and not has_tostring(value) and next(value) ~= nil then
        fields[#fields + 1] = { k }
        local sub = {}
        for _, ck in ipairs(sorted_keys(value)) do
          sub[#sub + 1] = { ck, field_value(ck, value[ck], opts, "    ") }
        end
        fields[#fields + 1] = { raw = field_lines(sub, "    ") }
      else
        fields[#fields + 1] = { k, field_value(k, value, opts, "  ") }
      end
    end
  end
  for _, k in ipairs(sorted_keys(w, WEBHOOK_KNOWN)) do
    fields[#fields + 1] = { tostring(k), field_value(k, w[k], opts, "  ") }
  end
  return head .. "\n" .. field_lines(fields, "  ")
end

local function format_app(a, opts)
  local head = "app " .. a.id .. "  " .. tostring(a.display_name)
  local fields = {}
  for _, k in ipairs(sorted_keys(a, { id = true, display_name = true })) do
    fields[#fields + 1] = { tostring(k), field_value(k, a[k], opts, "  ") }
  end
  if #fields == 0 then return head end
  return head .. "\n" .. field_lines(fields, "  ")
end

--- Rows as an aligned text table; the last column is not padded.
local function text_table(header, rows)
  local widths = {}
  for i, h in ipairs(header) do widths[i] = width(h) end
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do
      if width(cell) > widths[i] then widths[i] = width(cell) end
    end
  end
  local lines = {}
  local function line(cells)
    local out = {}
    for i, cell in ipairs(cells) do
      out[i] = i < #cells and pad(cell, widths[i]) or cell
    end
    lines[#lines + 1] = (concat(out, "  "):gsub("%s+$", ""))
  end
  line(header)
  for _, row in ipairs(rows) do line(row) end
  return concat(lines, "\n")
end
pretty.table = text_table

local function text(v)
  if v == nil or v == json_null then return "" end
  return tostring(v)
end

local function format_webhook_list(list, n, opts)
  local rows = {}
  for i = 1, n do
    local w = list[i]
    local secret = "-"
    if type(w.secret) == "string" and w.secret ~= "" then
      secret = opts.secrets and w.secret or pretty.MASK
    end
    local cc = w.client_credentials
    local oauth = (type(cc) == "table" and cc.client_id ~= nil) and text(cc.client_id) or "-"
    local target = opts.secrets and w.target or pretty.mask_urls(w.target)
    rows[i] = { text(w.id), text(w.app_id), target, trigger_text(w.triggers) or "?",
                secret, oauth }
  end
  return pretty.count(n, "webhook") .. "\n"
      .. text_table({ "ID", "APP_ID", "TARGET", "TRIGGERS", "SECRET", "OAUTH" }, rows)
end

local function format_app_list(list, n)
  local rows = {}
  for i = 1, n do rows[i] = { list[i].id, text(list[i].display_name) } end
  return format("%d app%s\n", n, n == 1 and "" or "s")
      .. text_table({ "ID", "DISPLAY_NAME" }, rows)
end

local function format_any(value, opts)
  if type(value) == "string" then return value end
  if type(value) ~= "table" then return format_value(value, opts, "", {}, 0) end
  if is_error(value) then return "error " .. error_line(value) end
  if has_tostring(value) then return tostring(value) end
  if is_webhook(value) then return format_webhook(value, opts) end
  if is_app(value) then return format_app(value, opts) end
  local n = sequence_length(value)
  if n and all(value, n, is_webhook) then return format_webhook_list(value, n, opts) end
  if n and all(value, n, is_app) then return format_app_list(value, n) end
  return format_value(value, opts, "", {}, 0)
end

--- The readable text of one value. Top-level strings are returned as they are (as `print`
-- would show them); webhooks, apps, lists of either and errors get their own layouts;
-- other tables are shown nested. Secrets, and the passwords in URLs, are masked unless
-- opts.secrets.
local function format_masked(value, opts)
  if opts.secrets then return format_any(value, opts) end
  return pretty.mask_urls(format_any(value, opts))
end

function pretty.format(value, opts)
  return format_masked(value, options_of(opts, "format"))
end

--- Writes one value formatted, then a newline.
function pretty.print(value, opts)
  io.stdout:write(format_masked(value, options_of(opts, "print")), "\n")
end

--- How the REPL shows the values of an expression: each formatted, tab-separated. Trailing
-- nils after a value are left out: a call that succeeded returns `value, nil`, and the nil
-- (no error) is noise. A lone nil still prints.
function pretty.results(...)
  local n = select("#", ...)
  while n > 1 and select(n, ...) == nil do n = n - 1 end
  local parts = {}
  for i = 1, n do parts[i] = pretty.format((select(i, ...))) end
  return concat(parts, "\t")
end

return pretty
