--- host_run: runs the swh executable for the host specs (host_spec, sandbox_spec,
-- repl_spec) and captures what it did. The binary is $SWH_BUILD/swh, SWH_BUILD defaulting
-- to build/release, as in .busted.
local M = {}

local build = os.getenv("SWH_BUILD")
if build == nil or build == "" then build = "build/release" end
if build:sub(1, 1) ~= "/" then build = (os.getenv("PWD") or ".") .. "/" .. build end
M.swh = build .. "/swh" -- absolute: M.run may run it in another directory

--- A word quoted for sh.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function quote_all(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = M.quote(s) end
  return table.concat(out, " ")
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- The variables swh reads (swh.environment, from the core's settings table), asked of the
-- swh under test once: a sanitized build's module cannot load into this Lua.
local variables
local function swh_variables()
  if not variables then
    local pipe = assert(io.popen("env -i " .. M.quote(M.swh)
      .. " -e 'print(table.concat(swh.environment, \" \"))'", "r"))
    variables = {}
    for name in pipe:read("a"):gmatch("%S+") do variables[#variables + 1] = name end
    pipe:close()
    assert(#variables > 0, "swh.environment is empty")
  end
  return variables
end

--- The environment prefix: every variable swh reads unset unless given, plus the given
-- variables.
local function env_prefix(env)
  local parts = { "env" }
  for _, name in ipairs(swh_variables()) do parts[#parts + 1] = "-u " .. name end
  local names = {}
  for name in pairs(env or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do parts[#parts + 1] = name .. "=" .. M.quote(env[name]) end
  return table.concat(parts, " ")
end

--- Runs an sh command line: its stdout, then how and the code pipe:close says it ended.
local function capture(command)
  local pipe = assert(io.popen(command, "r"))
  local out = pipe:read("a")
  local _, how, code = pipe:close()
  return out, how, code
end

--- Runs swh with args (a list); opts.env adds variables (SINCH_* are unset otherwise),
-- opts.stdin is fed on standard input, opts.dir is the directory it runs in. Returns
-- {out, err, status} (status: the exit code, or 128 + the signal).
function M.run(args, opts)
  opts = opts or {}
  local err_path, in_path = os.tmpname(), os.tmpname()
  M.write(in_path, opts.stdin or "")
  local command = ("%stimeout 60 %s %s %s <%s 2>%s"):format(
    opts.dir and "cd " .. M.quote(opts.dir) .. " && " or "", env_prefix(opts.env),
      M.quote(M.swh), quote_all(args), M.quote(in_path), M.quote(err_path))
  local out, how, code = capture(command)
  local err = M.read(err_path)
  os.remove(err_path)
  os.remove(in_path)
  return { out = out, err = err, status = how == "signal" and 128 + code or code }
end

--- Runs an sh command line (for what M.run cannot say: signals), returning its stdout.
function M.shell(command)
  return (capture(command))
end

--- A fresh temporary directory (removed by M.remove_dir).
function M.temp_dir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -m 700 " .. M.quote(path)))
  return path
end

function M.remove_dir(path)
  os.execute("rm -rf " .. M.quote(path))
end

-- Runs swh with args in a pseudo-terminal (script(1)), with opts.env plus TERM=dumb and
-- HOME=opts.home (else opts.env's, else none); before and after are the sh text around the
-- command that types its input ("(...) | " before it, or "<file " after it); the transcript
-- is also written to log (a path, else /dev/null) as it comes. Returns the transcript without
-- carriage returns, and the exit status.
local function in_terminal(args, opts, before, after, log)
  local env = {}
  for name, value in pairs(opts.env or {}) do env[name] = value end
  env.TERM, env.HOME = "dumb", opts.home or env.HOME or "/nonexistent"
  -- script(1) runs the command with $SHELL -c. swh must replace that shell: a shell left
  -- waiting in the terminal's foreground group would die of the Ctrl-C that swh survives
  -- (dash does, bash does not). SHELL is pinned so that a run here is a run in CI.
  env.SHELL = "/bin/sh"
  local inner = "exec " .. M.quote(M.swh) .. (#args > 0 and " " .. quote_all(args) or "")
  local out, _, code = capture(("%s%s timeout 30 script -qfec %s %s %s2>&1"):format(
    before, env_prefix(env), M.quote(inner), M.quote(log or "/dev/null"), after))
  return (out:gsub("\r", "")), code
end

--- Runs swh in a pseudo-terminal, typing input (lines joined with newlines, then Ctrl-D).
-- Returns the transcript without carriage returns, and the exit status.
function M.repl(args, input, opts)
  local in_path = os.tmpname()
  M.write(in_path, table.concat(input, "\n") .. "\n\4")
  local out, code = in_terminal(args, opts or {}, "", "<" .. M.quote(in_path) .. " ")
  os.remove(in_path)
  return out, code
end

--- Like M.repl, but types each step's keys (sent as they are) only once the transcript
-- shows step.seen for the step.times-th time (default 1), so that keys such as Ctrl-C
-- ("\3") reach swh in the state the step expects, however slow the machine. Each wait is
-- bounded (20 s); a step that is never seen is typed anyway and the assertions then fail.
function M.repl_typed(args, steps, opts)
  local log = os.tmpname()
  local typing = {}
  for _, step in ipairs(steps) do
    typing[#typing + 1] = ("i=0; while [ $(grep -oF -- %s %s | wc -l) -lt %d ] && "
      .. "[ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; printf '%%s' %s"):format(
      M.quote(step.seen), M.quote(log), step.times or 1, M.quote(step.keys))
  end
  local out, code = in_terminal(args, opts or {}, "(" .. table.concat(typing, "; ") .. ") | ",
                                "", log)
  os.remove(log)
  return out, code
end

--- Whether text contains plain (no patterns).
function M.has(text, plain)
  return text:find(plain, 1, true) ~= nil
end

--- How many times text contains plain (no patterns; occurrences do not overlap).
function M.count(text, plain)
  local n, from = 0, 1
  while true do
    local at = text:find(plain, from, true)
    if not at then return n end
    n, from = n + 1, at + #plain
  end
end

return M
