--- swh.check: the errors of misuse (a bad argument, an unknown option, a closed client) for
-- the public functions of swh's Lua modules, in the wording of luaL_argerror and of the
-- binding (src/binding/lua_options.c), so that C and Lua functions refuse alike:
--   bad argument #2 to 'map' (function expected, got nil)
--   bad argument #3 to 'map' (unknown option "concurency" (did you mean "concurrency"? …))
--   bad argument #1 to 'apply' (concurrency: expected a positive integer, got 0)
--   attempt to use a closed client
-- Every error is raised at the script's line: the first level of the stack that is not a
-- module of lua/swh/. So a public function may check in a helper, or be reached through
-- a wrapper or a tail call, without counting levels. Only public entry points check; the
-- modules trust each other's arguments (as lua-resty-redis does).
--
-- The function's name is given by the caller, not read with debug.getinfo as luaL_argerror
-- does: the public functions are reached through wrappers and tail calls (swh.plan calls
-- swh.plan's module), where the stack no longer holds the name the script used.

local core = require "swh.core"

local error, getinfo, getmetatable, pairs, setmetatable, tostring, type = error,
  debug.getinfo, getmetatable, pairs, setmetatable, tostring, type
local math_type, huge = math.type, math.huge
local sort = table.sort

local M = {}

-- "@lua/swh/" (or the installed or embedded equivalent): the sources of swh's own modules.
local own_prefix = getinfo(1, "S").source:match("^(@.*/)[^/]*$")

--- check.raise(message): raises message at the script's line.
function M.raise(message)
  local level = 2
  if own_prefix then
    while true do
      local info = getinfo(level, "S")
      if not info then level = 0 break end -- nothing outside swh: no position
      if info.source:sub(1, #own_prefix) ~= own_prefix then break end
      level = level + 1
    end
  end
  error(message, level)
end
local raise = M.raise

local ARGERROR = "bad argument #%s to '%s' (%s)" -- as luaL_argerror words it

--- check.argerror(n, fname, message): bad argument #n to 'fname' (message).
function M.argerror(n, fname, message)
  raise(ARGERROR:format(n, fname, message))
end
local argerror = M.argerror

--- check.renamed(message, fname): the argument error of a C function of swh.core, naming
-- fname instead. Called through pcall, a C function has no name at its call site, so
-- luaL_argerror names it by its place in package.loaded ('swh.core.client').
function M.renamed(message, fname)
  local n, reason = message:match("^bad argument #(%d+) to '[^']*' %((.*)%)$")
  if not n then return message end
  return ARGERROR:format(n, fname, reason)
end

--- check.type(v, want, n, fname [, what]): v must be of Lua type want; what names a field
-- of the argument ("app_id: string expected, got nil").
function M.type(v, want, n, fname, what)
  if type(v) ~= want then
    argerror(n, fname, ("%s%s expected, got %s"):format(what and what .. ": " or "", want,
      type(v)))
  end
end

--- check.open(core_client): raises if the client is closed.
function M.open(core_client)
  if core_client:is_closed() then raise("attempt to use a closed client") end
end

--- check.client(client, n, fname): argument n must be an swh client, and open.
function M.client(client, n, fname)
  local mt = getmetatable(client)
  if type(client) ~= "table" or type(mt) ~= "table" or mt.__name ~= "swh.client" then
    argerror(n, fname, "swh client expected, got " .. type(client))
  end
  M.open(client)
end

--- check.self(self, mt, fname, usage): a method called with a bad self.
function M.self(self, mt, fname, usage)
  if getmetatable(self) ~= mt then
    raise(("calling '%s' on bad self (use %s)"):format(fname, usage))
  end
end

------------------------------------------------------------------------------------------
-- Options: check.options(opts, n, fname, kinds) reads argument n, a table of options or
-- nil, where kinds maps each known name to one of the kinds below. Returns opts (or an empty
-- table); an unknown name or a bad value raises.

local function kind(expected, test, numeric)
  return { expected = expected, test = test, numeric = numeric }
end

M.POSITIVE_INTEGER = kind("a positive integer",
  function(v) return math_type(v) == "integer" and v >= 1 end, true)
M.POSITIVE_NUMBER = kind("a positive number",
  function(v) return type(v) == "number" and v > 0 and v < huge end, true)
M.COUNT_OR_ZERO = kind("a number, 0 or more",
  function(v) return type(v) == "number" and v >= 0 and v < huge end, true)
M.PATH = kind("a file path", function(v) return type(v) == "string" and v ~= "" end)
M.LABEL = kind("a label, or false", function(v) return v == false or type(v) == "string" end)
M.PATH_OR_FALSE = kind("a file path, or false",
  function(v) return v == false or (type(v) == "string" and v ~= "") end)
M.FUNCTION = kind("a function", function(v) return type(v) == "function" end)
M.BOOLEAN = kind("a boolean", function(v) return type(v) == "boolean" end)

-- What a refused value was, as the binding says it: a number where a number was expected
-- by its value (0, 1.5), anything else by its type.
local function got(v, want)
  if want.numeric and type(v) == "number" then return tostring(v) end
  return type(v)
end

local known_names = setmetatable({}, { __mode = "k" }) -- kinds table -> sorted names

function M.options(opts, n, fname, kinds)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    argerror(n, fname, "options table expected, got " .. type(opts))
  end
  for k, v in pairs(opts) do
    local want = kinds[k]
    if not want then
      local known = known_names[kinds]
      if not known then
        known = {}
        for name in pairs(kinds) do known[#known + 1] = name end
        sort(known)
        known_names[kinds] = known
      end
      argerror(n, fname, core.unknown_option(k, known))
    elseif not want.test(v) then
      argerror(n, fname, ("%s: expected %s, got %s"):format(k, want.expected, got(v, want)))
    end
  end
  return opts
end

return M
