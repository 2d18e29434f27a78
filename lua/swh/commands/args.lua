--- swh.commands.args: the command line of one swh command, read against the command's
-- table of flags, with one wording for every mistake (exit status 2, the flag named).
--
--   local args = require "swh.commands.args"
--   local opts, positional = args.parse(command, argv)
--
-- command.flags is a list of { name, value = "WORD" (absent: a switch), repeatable = true,
-- choices = { … }, default = …, help = "…" }; command.positional a list of
-- { "NAME", optional = true, help = "…" }. opts has a key a flag, "-" read as "_"
-- (--dry-run -> opts.dry_run); a repeatable flag gives a list. --help (or -h) sets
-- opts.help and skips the other checks. Mistakes raise args.usage errors, which
-- swh.commands.run prints as "swh COMMAND: message" with a hint, and exits 2.
local core = require "swh.core"

local error, ipairs, setmetatable, tostring = error, ipairs, setmetatable, tostring
local concat = table.concat

local M = {}

-- A command's failure: what to say and the exit status. Raised (error(value, 0)) by any
-- command to end with a message and no traceback; swh.commands.run reports it.
local Failure = { __name = "swh.commands.failure" }
Failure.__tostring = function(f) return f.message end
M.Failure = Failure

--- Ends the command: message on stderr, exit status (default 1).
function M.fail(message, status)
  error(setmetatable({ message = message, status = status or 1 }, Failure), 0)
end

--- Ends the command as a bad command line (exit status 2, with the --help hint).
function M.usage(message)
  error(setmetatable({ message = message, status = 2, usage = true }, Failure), 0)
end

-- swh's own options, which go before the command name.
local HOST_OPTIONS = { ["--sandbox"] = true, ["--project"] = true, ["--region"] = true,
  ["--base-url"] = true, ["--auth"] = true, ["--auth-url"] = true, ["-v"] = true,
  ["-q"] = true, ["--verbose"] = true, ["--quiet"] = true, ["-e"] = true, ["-i"] = true }

local function key_of(name) return (name:gsub("%-", "_")) end

local function check_choice(flag, value)
  if not flag.choices then return end
  for _, c in ipairs(flag.choices) do if c == value then return end end
  M.usage(('--%s: expected %s, got "%s"'):format(flag[1], concat(flag.choices, ", "), value))
end

local function unknown(command, name)
  local bare = name:match("^([^=]*)")
  if HOST_OPTIONS[bare] then
    M.usage(("%s is an option of swh itself: put it before the command (swh %s %s …)")
      :format(bare, bare, command.name))
  end
  local known = { "--help" }
  for _, f in ipairs(command.flags or {}) do known[#known + 1] = "--" .. f[1] end
  M.usage(core.unknown_option(bare, known))
end

--- Reads argv (a list of strings) for command: opts, positional (a list).
function M.parse(command, argv)
  local by_name = {}
  for _, f in ipairs(command.flags or {}) do by_name[f[1]] = f end
  local opts, positional = {}, {}
  local i, only_positional = 1, false
  while i <= #argv do
    local a = argv[i]
    if only_positional or a == "-" or a:sub(1, 1) ~= "-" then
      positional[#positional + 1] = a
    elseif a == "--" then
      only_positional = true
    elseif a == "--help" or a == "-h" then
      opts.help = true
    else
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:match("^%-%-(.+)$")
      local flag = name and by_name[name]
      if not flag then unknown(command, a) end
      if flag.value then
        if value == nil then
          i = i + 1
          value = argv[i]
        end
        if value == nil or value == "" then
          M.usage(("--%s needs a value (%s)"):format(name, flag.value))
        end
        check_choice(flag, value)
      elseif value ~= nil then
        M.usage(("--%s takes no value"):format(name))
      else
        value = true
      end
      local key = key_of(name)
      if flag.repeatable then
        opts[key] = opts[key] or {}
        opts[key][#opts[key] + 1] = value
      elseif opts[key] ~= nil then
        M.usage(("--%s given twice"):format(name))
      else
        opts[key] = value
      end
    end
    i = i + 1
  end
  if opts.help then return opts, positional end
  for _, f in ipairs(command.flags or {}) do
    local key = key_of(f[1])
    if opts[key] == nil then
      if f.repeatable then opts[key] = {} else opts[key] = f.default end
    end
  end
  local wanted = command.positional or {}
  local required = 0
  for _, p in ipairs(wanted) do if not p.optional then required = required + 1 end end
  if #positional < required then
    M.usage(("%s is missing (usage: %s)"):format(wanted[#positional + 1][1], command.usage))
  end
  if #positional > #wanted and not (wanted[#wanted] or {}).rest then
    M.usage(('unexpected argument "%s" (usage: %s)'):format(positional[#wanted + 1],
      command.usage))
  end
  return opts, positional
end

--- The --help text of command.
function M.help(command)
  local lines = { "usage: " .. command.usage, "", command.summary }
  if command.description then
    lines[#lines + 1] = ""
    lines[#lines + 1] = command.description
  end
  local rows = {}
  for _, p in ipairs(command.positional or {}) do
    if p.help then rows[#rows + 1] = { p[1], p.help } end
  end
  for _, f in ipairs(command.flags or {}) do
    rows[#rows + 1] = { "--" .. f[1] .. (f.value and " " .. f.value or ""), f.help or "" }
  end
  rows[#rows + 1] = { "--help", "show this help" }
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Arguments and options:"
  local w = 0
  for _, r in ipairs(rows) do if #r[1] > w then w = #r[1] end end
  for _, r in ipairs(rows) do
    lines[#lines + 1] = ("  %-" .. w .. "s  %s"):format(r[1], tostring(r[2]))
  end
  if command.statuses then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Exit status: " .. command.statuses
  end
  return concat(lines, "\n")
end

return M
