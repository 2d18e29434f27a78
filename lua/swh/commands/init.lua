--- swh.commands: the commands of `swh COMMAND [args]`, each a Lua script on the public swh
-- module in lua/swh/commands/ (shipped in the executable). Adding one is a file
-- (lua/swh/commands/NAME.lua, "-" in NAME written "_") and its name in NAMES below.
--
-- A command file returns { name, summary, usage, description, flags, positional, statuses,
-- run = function(opts, positional, env) -> exit status }, read by swh.commands.args;
-- env = { client = function() -> client, terminal = bool, quiet = bool, key_hint = what a
-- refused key's message adds (nil in the sandbox) }. A command ends
-- with a message and a status by raising args.fail / args.usage (no traceback).
local args = require "swh.commands.args"

local error, getmetatable, io, ipairs, require, tostring, type, xpcall =
  error, getmetatable, io, ipairs, require, tostring, type, xpcall
local traceback = debug.traceback
local concat = table.concat

local M = {}

-- In the order `swh help` lists them.
M.NAMES = { "backup", "export", "diff", "apply", "restore", "retarget", "triggers",
            "rotate-secrets", "resume", "undo", "verify", "listen", "help" }

local KNOWN = {}
for _, name in ipairs(M.NAMES) do KNOWN[name] = true end

--- The command named name (its table), or nil when there is none.
function M.find(name)
  if not KNOWN[name] then return nil end
  return require("swh.commands." .. name:gsub("%-", "_"))
end

--- The lines `swh --help` and `swh help` list the commands with.
function M.listing()
  local lines = {}
  for _, name in ipairs(M.NAMES) do
    lines[#lines + 1] = ("  %-16s %s"):format(name, M.find(name).summary)
  end
  return concat(lines, "\n")
end

--- Runs the command name with argv (a list of strings): its exit status.
function M.run(name, argv, env)
  local command = M.find(name)
  -- A bug's message keeps where it happened; a failure or an interruption goes on as it is.
  local ok, status = xpcall(function()
    local opts, positional = args.parse(command, argv)
    if opts.help then
      io.stdout:write(args.help(command), "\n")
      return 0
    end
    return command.run(opts, positional, env)
  end, function(e) return type(e) == "string" and traceback(e, 2) or e end)
  if ok then return status or 0 end
  if getmetatable(status) ~= args.Failure then error(status, 0) end
  io.stdout:flush()
  local message = tostring(status.message)
  if env.key_hint and (message:find("UNAUTHENTICATED (401)", 1, true)
                       or message:find("PERMISSION_DENIED (403)", 1, true)) then
    message = message .. "\n  (" .. env.key_hint .. ")"
  end
  io.stderr:write(("swh %s: %s\n"):format(name, message))
  if status.usage then
    io.stderr:write(("Try 'swh %s --help' for more information.\n"):format(name))
  end
  return status.status
end

return M
