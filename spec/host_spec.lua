-- The swh executable: flags, -e, script arguments, exit statuses, messages, the client global.
local h = require "host_run"
local run, has = h.run, h.has

local TRY_HELP = "Try 'swh --help' for more information.\n"

describe("swh", function()
  local dir
  setup(function() dir = h.temp_dir() end)
  teardown(function() h.remove_dir(dir) end)

  local function script(name, text)
    local path = dir .. "/" .. name
    h.write(path, text)
    return path
  end

  describe("flags", function()
    it("prints its version with --version", function()
      local r = run { "--version" }
      assert.equal(0, r.status)
      assert.truthy(r.out:match("^swh 0%.1%.0 %(Lua 5%.4%.%d+%)\n$"), r.out)
      assert.equal("", r.err)
    end)

    it("prints its usage with --help", function()
      local r = run { "--help" }
      assert.equal(0, r.status)
      assert.truthy(has(r.out, "usage: swh [options] [script.lua [args...]]\n"))
      for _, flag in ipairs { "-e CODE", "-i ", "-v ", "-q ", "--sandbox ", "--sandbox=empty",
                              "--sandbox=FILE", "--project=ID", "--region=REGION",
                              "--base-url=URL", "--auth=METHOD", "--auth-url=URL" } do
        assert.truthy(has(r.out, flag), flag)
      end
      assert.truthy(has(r.out, "  --sandbox=FILE     ... loaded from a snapshot file (the "
                               .. "swh-emulator snapshot\n                     format, e.g. its "
                               .. "--state file)\n"), r.out)
      assert.falsy(has(r.out, "swh.save"))
    end)

    it("refuses an unknown flag with exit status 2", function()
      local r = run { "--bogus", "-e", "print('ran')" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.equal("swh: unknown option '--bogus'\n" .. TRY_HELP, r.err)
      r = run { "--sandbx=empty", "-e", "print('ran')" }
      assert.equal(2, r.status)
      assert.equal("swh: unknown option '--sandbx' (did you mean '--sandbox'?)\n"
                   .. TRY_HELP, r.err)
      r = run { "--auth_url", "http://127.0.0.1:9" }
      assert.equal(2, r.status)
      assert.equal("swh: unknown option '--auth_url' (did you mean '--auth-url'?)\n" .. TRY_HELP,
                   r.err)
    end)

    it("never shows the value of an unknown flag, and says where keys come from", function()
      local r = run { "--key-secret=key-SECRET", "-e", "print('ran')" }
      assert.equal(2, r.status)
      assert.equal("swh: unknown option '--key-secret' (keys are read from SINCH_KEY_ID and "
                   .. "SINCH_KEY_SECRET, never from the command line)\n" .. TRY_HELP, r.err)
      r = run { "--Key_Id=key-ID" }
      assert.equal("swh: unknown option '--Key_Id' (keys are read from SINCH_KEY_ID and "
                   .. "SINCH_KEY_SECRET, never from the command line)\n" .. TRY_HELP, r.err)
      r = run { "--colour=pw-SECRET" }
      assert.equal("swh: unknown option '--colour'\n" .. TRY_HELP, r.err)
    end)

    it("refuses a flag without its value", function()
      local r = run { "--project" }
      assert.equal(2, r.status)
      assert.equal("swh: option '--project' needs a value\n" .. TRY_HELP, r.err)
      -- an empty value is none, written "--project=" or "--project ''"
      for _, args in ipairs { { "--project=" }, { "--project", "" } } do
        table.move({ "-e", "print('ran')" }, 1, 2, #args + 1, args)
        r = run(args)
        assert.equal(2, r.status)
        assert.equal("", r.out)
        assert.equal("swh: option '--project' needs a value\n" .. TRY_HELP, r.err)
      end
      r = run { "-e" }
      assert.equal(2, r.status)
      assert.equal("swh: option '-e' needs an argument (Lua code)\n" .. TRY_HELP, r.err)
    end)

    it("takes the tuning flags of the core's settings table to the client", function()
      local r = run { "--sandbox", "--rate=50", "--concurrency", "3", "--timeout=2.5",
                      "--retries=2", "--retry-time=4", "-e",
                      "local s = client:settings() print(s.rate, s.concurrency, s.timeout, "
                      .. "s.retries, s.retry_time)" }
      assert.equal("", r.err)
      assert.equal("50.0\t3\t2.5\t2\t4.0\n", r.out)
      assert.equal(0, r.status)
    end)

    it("gives scripts swh.emulator, as a stock lua5.4 has it", function()
      local r = run { "-e", "local e <close> = assert(require('swh.emulator').start { apps = 2 }) "
        .. "local c = assert(swh.client(e:client_options())) print(#assert(c.apps:list()))" }
      assert.equal("", r.err)
      assert.equal("2\n", r.out)
      assert.equal(0, r.status)
    end)

    it("holds requests in flight to --concurrency (timed on an emulator answering in 200 ms)",
    function()
      local emu = require("helper").emulator { apps = 24, args = { "--latency", "200" } }
      local env = { SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
                    SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
                    SINCH_AUTH = "basic" }
      local code = "local apps = assert(client.apps:list()) local clock = require('system') "
        .. "local t = clock.gettime() "
        .. "swh.map(apps, function(a) return assert(client.webhooks:list(a.id)) end) "
        .. "print(('%.2f'):format(clock.gettime() - t))"
      local slow = run({ "-q", "--concurrency=3", "-e", code }, { env = env })
      local fast = run({ "-q", "--concurrency=24", "-e", code }, { env = env })
      emu:stop()
      assert.equal("", slow.err)
      -- 24 lists of 200 ms: 3 at a time take 8 rounds (1.6 s at the least), 24 at once one
      assert.is_true(tonumber(slow.out) >= 1.6, slow.out)
      assert.is_true(tonumber(fast.out) < 1.0, fast.out)
    end)

    it("refuses an unknown region, auth method or a base URL that is not http(s)", function()
      local r = run { "--region=mars" }
      assert.equal(2, r.status)
      assert.equal('swh: --region: "mars" is not a region (us, eu, br)\n' .. TRY_HELP, r.err)
      r = run { "--auth", "token" }
      assert.equal(2, r.status)
      -- one wording for every refused setting, wherever it came from
      assert.equal('swh: --auth: "token" is not an auth scheme (oauth2, basic)\n' .. TRY_HELP,
                   r.err)
      r = run { "--rate=fast" }
      assert.equal(2, r.status)
      assert.equal('swh: --rate: "fast" is not a positive number\n' .. TRY_HELP, r.err)
      r = run { "--concurrency", "0" }
      assert.equal(2, r.status)
      assert.equal('swh: --concurrency: "0" is not an integer from 1 to 100000\n' .. TRY_HELP,
                   r.err)
      r = run { "--project=.." }
      assert.equal(2, r.status)
      assert.equal('swh: --project: ".." cannot be an id (as a path segment it would change '
                   .. "the request's path)\n" .. TRY_HELP, r.err)
      r = run { "--base-url=notaurl", "-e", "print('ran')" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.equal('swh: --base-url: "notaurl" is not an http:// or https:// URL\n' .. TRY_HELP,
                   r.err)
      r = run { "--base-url=ftp://user:pw-SECRET@s.example.com/h" }
      assert.equal(2, r.status)
      assert.equal('swh: --base-url: "ftp://user:[redacted]@s.example.com/h" is not an http:// '
                   .. 'or https:// URL\n' .. TRY_HELP, r.err)
      -- libcurl's URL parser has the last word (the core's swh_url_check)
      r = run { "--base-url=http://u:pw-SECRET@" }
      assert.equal(2, r.status)
      assert.equal('swh: --base-url: "http://u:[redacted]@" has no host\n' .. TRY_HELP, r.err)
      r = run { "--base-url=http://127.0.0.1:99999/" }
      assert.equal(2, r.status)
      assert.equal('swh: --base-url: "http://127.0.0.1:99999/" is not a valid URL (Port number '
                   .. 'was not a decimal number between 0 and 65535)\n' .. TRY_HELP, r.err)
      -- swh adds the API's path to a base URL; a query or fragment would swallow it
      r = run { "--base-url=http://127.0.0.1:9/v1?region=eu" }
      assert.equal(2, r.status)
      assert.equal('swh: --base-url: "http://127.0.0.1:9/v1?region=eu" has a query or fragment '
                   .. "('?' or '#'), which an API URL cannot have\n" .. TRY_HELP, r.err)
    end)

    it("refuses --sandbox with a flag that names another project", function()
      local r = run { "--sandbox", "--base-url=http://127.0.0.1:1" }
      assert.equal(2, r.status)
      assert.equal("swh: option '--sandbox' cannot be combined with '--base-url': the sandbox "
                   .. "is its own project\n" .. TRY_HELP, r.err)
      r = run { "--sandbox=empty", "--auth-url=http://127.0.0.1:1/t" }
      assert.equal(2, r.status)
      assert.equal("swh: option '--sandbox' cannot be combined with '--auth-url': the sandbox "
                   .. "is its own project\n" .. TRY_HELP, r.err)
    end)

    it("refuses an --auth-url that is not a URL the client can use", function()
      local r = run { "--auth-url=http://", "-e", "print('ran')" }
      assert.equal(2, r.status)
      assert.equal("", r.out)
      assert.equal('swh: --auth-url: "http://" has no host\n' .. TRY_HELP, r.err)
    end)

    it("exposes -q to scripts as swh.quiet", function()
      assert.equal("true\n", run({ "-q", "-e", "print(swh.quiet)" }).out)
      assert.equal("false\n", run({ "-e", "print(swh.quiet)" }).out)
    end)
  end)

  describe("-e", function()
    it("runs the code, several in order", function()
      local r = run { "-e", "x = 6", "-e", "print(x * 7)" }
      assert.equal(0, r.status)
      assert.equal("42\n", r.out)
      assert.equal("", r.err)
    end)

    it("runs before the script, in the same globals", function()
      local path = script("uses_x.lua", "print(x + 1)\n")
      assert.equal("8\n", run({ "-e", "x = 7", path }).out)
    end)

    it("gives the globals swh and a require that finds the bundled modules", function()
      local r = run { "-e", "print(type(swh), type(swh.client), require('swh') == swh, "
                      .. "type(require('swh.pretty').format), type(require('swh.core')))" }
      assert.equal("table\tfunction\ttrue\tfunction\ttable\n", r.out)
      assert.equal(0, r.status)
    end)

    it("finds the bundled modules without LUA_PATH or LUA_CPATH", function()
      local r = run({ "-e", "print(require('swh.pretty').MASK)" },
                    { env = { LUA_PATH = "/nonexistent/?.lua", LUA_CPATH = "/nonexistent/?.so",
                              LUA_PATH_5_4 = "/nonexistent/?.lua",
                              LUA_CPATH_5_4 = "/nonexistent/?.so" } })
      assert.equal("••••\n", r.out)
      assert.equal(0, r.status)
    end)
  end)

  describe("output to a file", function()
    it("keeps what was printed before a progress bar or a warning before it", function()
      -- stdout to a file is buffered and stderr is not: without a flush before each line on
      -- stderr, "before" would come after the bar
      local out = h.shell(("%s -e %s 2>&1"):format(h.quote(h.swh), h.quote(
        'print("before") swh.map({ 1, 2 }, function() end, { progress = "Work" }) '
        .. 'print("between") swh.warn("careful") print("after")')))
      assert.equal("before\nWork [" .. ("="):rep(30) .. "] 2/2\nbetween\n"
        .. "swh: warning: careful\nafter\n", out)
    end)
  end)

  describe("scripts", function()
    it("get their arguments in arg and in ...", function()
      local path = script("args.lua", [[
print(arg[0], arg[1], arg[2], #arg)
print(select("#", ...), ...)
print(arg[-1], arg[-2])
]])
      local r = run { "-q", path, "one", "two words" }
      assert.equal(0, r.status)
      assert.equal(path .. "\tone\ttwo words\t2\n2\tone\ttwo words\n-q\t" .. h.swh .. "\n", r.out)
    end)

    it("take the arguments after the script as theirs, flags included", function()
      local path = script("flags.lua", "print(...)\n")
      local r = run { path, "-v", "--bogus" }
      assert.equal(0, r.status)
      assert.equal("-v\t--bogus\n", r.out)
    end)

    it("can be read from stdin with -", function()
      local r = run({ "-", "a", "b" }, { stdin = "print('stdin', ...)\n" })
      assert.equal("stdin\ta\tb\n", r.out)
      assert.equal(0, r.status)
      -- an -e whose code is "--" does not end the options: the "-" after it is still stdin
      r = run({ "-e", "--", "-", "a" }, { stdin = "print('stdin', ...)\n" })
      assert.equal("stdin\ta\n", r.out)
      assert.equal(0, r.status)
    end)

    it("take a \"-\" after \"--\" as a file named -", function()
      local r = run({ "--", "-" }, { stdin = "print('stdin')\n" })
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.equal("swh: cannot open -: No such file or directory\n", r.err)
    end)

    it("are read from stdin when there is no script and stdin is not a terminal", function()
      local r = run({}, { stdin = "print(6 * 7)\n" })
      assert.equal("42\n", r.out)
      assert.equal(0, r.status)
    end)

    it("skip a #! first line", function()
      local path = script("shebang.lua", "#!/usr/bin/env swh\nprint('ok')\n")
      local r = run { path }
      assert.equal("ok\n", r.out)
      assert.equal("", r.err)
      assert.equal(0, r.status)
    end)

    it("exit with status 0 when they succeed", function()
      local r = run { script("fine.lua", "local x = 1\n") }
      assert.equal(0, r.status)
      assert.equal("", r.out .. r.err)
    end)

    it("exit with status 1 and a traceback on stderr when they fail", function()
      local path = script("fails.lua", "local function inner()\n  error('boom')\nend\ninner()\n")
      local r = run { path }
      assert.equal(1, r.status)
      assert.equal(1, select(2, r.err:gsub("^swh: " .. path:gsub("%p", "%%%0")
                                           .. ":2: boom\nstack traceback:\n", "")))
      assert.truthy(has(r.err, "in local 'inner'"), r.err)
      assert.truthy(has(r.err, path .. ":4: in main chunk"), r.err)
    end)

    it("stop at the first failing -e, with status 1", function()
      local r = run { "-e", "error('first')", "-e", "print('never')" }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.truthy(r.err:find("^swh: %(command line%):1: first\nstack traceback:\n"), r.err)
    end)

    it("report an error object through its __tostring", function()
      local r = run { "-e", "error(setmetatable({}, {__tostring = function() "
                      .. "return 'a custom failure' end}))" }
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^swh: a custom failure\nstack traceback:\n"), r.err)
    end)

    it("report an error table by its message, and other objects by their type", function()
      local r = run { "-e", "error({ message = 'from a table' })" }
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^swh: from a table\nstack traceback:\n"), r.err)
      r = run { "-e", "error(true)" }
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^swh: %(error object is a boolean value%)\nstack traceback:\n"),
                    r.err)
    end)

    it("that do not exist are named in a clear message", function()
      local r = run { "nosuch.lua" }
      assert.equal(1, r.status)
      assert.equal("swh: cannot open nosuch.lua: No such file or directory\n", r.err)
      assert.equal("", r.out)
    end)

    it("that cannot be read are named with the reason", function()
      local r = run { dir }
      assert.equal(1, r.status)
      assert.equal("swh: cannot read " .. dir .. ": Is a directory\n", r.err)
    end)

    it("with a syntax error are reported without running", function()
      local r = run { script("broken.lua", "print('x'\n") }
      assert.equal(1, r.status)
      assert.truthy(r.err:find("^swh: [^\n]*broken%.lua:2: '%)' expected %(to close '%(' at "
                               .. "line 1%) near <eof>\n$"), r.err)
    end)

    it("can end with os.exit and its status", function()
      assert.equal(3, run({ "-e", "os.exit(3)" }).status)
      assert.equal(4, run({ "-e", "os.exit(4, true)" }).status)
    end)

    -- Runs the script (lines) in dir/name, sends SIGINT once it has printed "started"
    -- (polling at most 10 s), and returns its exit status, stdout and stderr. A swh that
    -- does not stop is killed after 20 s (timeout passes the SIGINT on to it).
    local function interrupted(name, lines)
      h.write(dir .. "/" .. name, table.concat(lines, "\n"))
      -- int.out is emptied first: the background job's own redirection may come after the
      -- first grep, which would then find the previous spec's "started".
      local status = h.shell(("d=%s; : >$d/int.out; "
        .. "timeout --foreground -s KILL 20 %s $d/%s >$d/int.out 2>$d/int.err & pid=$!; "
        .. "i=0; while ! grep -q started $d/int.out && [ $i -lt 200 ]; "
        .. "do sleep 0.05; i=$((i + 1)); done; kill -INT $pid; wait $pid; echo $?"):format(
        h.quote(dir), h.quote(h.swh), name))
      return status, h.read(dir .. "/int.out"), h.read(dir .. "/int.err")
    end

    it("are interrupted by Ctrl-C (SIGINT) with status 130, saying where", function()
      local status, out, err = interrupted("spin.lua", {
        "local function spin()",
        "  local n = 0",
        "  while true do n = n + 1 end",
        "end",
        "io.write('started\\n') io.flush()",
        "spin()",
      })
      assert.equal("130\n", status)
      assert.equal("started\n", out)
      -- stderr is a file here: no new line first (that is for a terminal)
      assert.equal(("swh: interrupted\nstack traceback:\n\t%s/spin.lua:3: in local 'spin'\n"
                    .. "\t%s/spin.lua:6: in main chunk\n\t[C]: in ?\n"):format(dir, dir), err)
    end)

    -- interrupted(), expecting status 130 after "started" and "swh: interrupted" with a
    -- traceback; returns stderr.
    local function stopped(name, lines)
      local status, out, err = interrupted(name, lines)
      assert.equal("130\n", status, name)
      assert.equal("started\n", out)
      assert.truthy(err:find("^swh: interrupted\nstack traceback:\n"), err)
      return err
    end

    it("are interrupted in a busy task of swh.map or swh.run, which does not count it as the "
       .. "task's failure", function()
      local err = stopped("busy-map.lua", {
        "local results = swh.map({ 1, 2, 3 }, function(i)",
        "  if i == 2 then io.write('started\\n') io.flush() while true do end end",
        "  return i",
        "end, { concurrency = 1 })",
        "print('not reached', #results)",
      })
      assert.truthy(err:find("\n\t" .. dir:gsub("%p", "%%%0") .. "/busy%-map%.lua:1: in main "
                             .. "chunk\n"), err)
      stopped("busy-run.lua", {
        "swh.run(function()",
        "  swh.spawn(function() io.write('started\\n') io.flush() while true do end end)",
        "end)",
        "print('not reached')",
      })
    end)

    it("are interrupted in a busy coroutine of their own, made by coroutine.create or .wrap",
    function()
      for _, make in ipairs { "coroutine.wrap(f)()", "coroutine.resume(coroutine.create(f))" } do
        stopped("busy-co.lua", {
          "local function f() io.write('started\\n') io.flush() while true do end end",
          make,
          "print('not reached')",
        })
      end
    end)
  end)

  describe("client", function()
    it("is not needed by scripts that do not use it", function()
      local r = run { "-e", "print(rawget(_G, 'client'))" }
      assert.equal("nil\n", r.out)
      assert.equal(0, r.status)
    end)

    it("says which credentials are missing and how to set them", function()
      local r = run { "-e", "local c = client" }
      assert.equal(1, r.status)
      assert.equal("swh: (command line):1: no credentials for `client`: "
        .. "SINCH_PROJECT_ID, SINCH_KEY_ID, SINCH_KEY_SECRET are not set. Set "
        .. "SINCH_PROJECT_ID (or pass --project), SINCH_KEY_ID and SINCH_KEY_SECRET, or "
        .. "run swh with --sandbox to use a local emulator\n", r.err)
      r = run({ "-e", "local c = client" }, { env = { SINCH_PROJECT_ID = "p",
                                                        SINCH_KEY_ID = "" } })
      assert.truthy(has(r.err, "no credentials for `client`: SINCH_KEY_ID, SINCH_KEY_SECRET "
                               .. "are not set."), r.err)
      -- --project stands for SINCH_PROJECT_ID
      r = run({ "--project=p", "-e", "local c = client" }, { env = { SINCH_KEY_ID = "k" } })
      assert.equal(1, r.status)
      assert.equal("swh: (command line):1: no credentials for `client`: SINCH_KEY_SECRET is "
        .. "not set. Set SINCH_PROJECT_ID (or pass --project), SINCH_KEY_ID and "
        .. "SINCH_KEY_SECRET, or run swh with --sandbox to use a local emulator\n", r.err)
      -- --sandbox after the script name is the script's argument: the message says so
      h.write(dir .. "/uses-client.lua", "local c = client\n")
      r = run { dir .. "/uses-client.lua", "--sandbox=empty" }
      assert.equal(1, r.status)
      assert.truthy(has(r.err, "or run swh with --sandbox to use a local emulator (the "
        .. "--sandbox=empty after the script name went to the script as an argument: options "
        .. "go before the script, as in swh --sandbox=empty script.lua)\n"), r.err)
    end)

    it("is made from the environment, and flags win over it", function()
      local env = { SINCH_PROJECT_ID = "env-project", SINCH_KEY_ID = "k",
                    SINCH_KEY_SECRET = "s", SINCH_CONVERSATION_URL = "http://127.0.0.1:9",
                    SINCH_AUTH_URL = "http://127.0.0.1:9/oauth2/token" }
      local code = "print(client:project_id(), client == client)"
      assert.equal("env-project\ttrue\n", run({ "-e", code }, { env = env }).out)
      local r = run({ "--project=flag-project", "-e", code }, { env = env })
      assert.equal("flag-project\ttrue\n", r.out)
      assert.equal(0, r.status)
    end)

    it("takes --auth-url over SINCH_AUTH_URL (as the -v trace shows)", function()
      local env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s3cr3t-key",
                    SINCH_AUTH_URL = "http://127.0.0.1:8/from-env", SWH_RETRY_TIME = "0.2" }
      local r = run({ "-v", "--base-url=http://127.0.0.1:9", "--auth-url=http://127.0.0.1:9/t",
                      "-e", "print(client.webhooks:get('w1'))" }, { env = env })
      assert.truthy(r.err:find("^> POST http://127%.0%.0%.1:9/t\n"), r.err)
      assert.falsy(has(r.err, "from-env"))
      assert.falsy(has(r.err, "s3cr3t-key"))
      assert.equal(0, r.status)
    end)

    it("takes --base-url and --auth to the client (as the -v trace shows)", function()
      local env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s3cr3t-key",
                    SINCH_AUTH_URL = "http://127.0.0.1:9/oauth2/token", SWH_RETRY_TIME = "0.2" }
      local code = "print(client.webhooks:get('w1'))"
      local r = run({ "-v", "--base-url=http://127.0.0.1:9", "-e", code }, { env = env })
      assert.truthy(r.err:find("^> POST http://127%.0%.0%.1:9/oauth2/token\n"), r.err)
      assert.truthy(r.out:find("^nil\tnetwork: the token endpoint http://127%.0%.0%.1:9/oauth2/"
                               .. "token failed: [^\n]*%[GET /v1/projects/p/webhooks/w1%]\n$"),
                    r.out)
      r = run({ "-v", "--auth=basic", "--base-url=http://127.0.0.1:9", "-e", code },
              { env = env })
      assert.truthy(r.err:find("^> GET http://127%.0%.0%.1:9/v1/projects/p/webhooks/w1\n"), r.err)
      assert.falsy(has(r.err, "s3cr3t-key"))
      assert.equal(0, r.status)
    end)

    it("names the variable a bad value came from, without the key secret", function()
      local TRACE = "\nstack traceback:\n\t(command line):2: in main chunk\n\t[C]: in ?\n"
      local function fails(env)
        env.SINCH_PROJECT_ID, env.SINCH_KEY_ID = "p", "k"
        env.SINCH_KEY_SECRET = "hush-hush-secret"
        local r = run({ "-e", "print('before')\nlocal c = client" }, { env = env })
        assert.equal(1, r.status)
        assert.equal("before\n", r.out)
        assert.falsy(has(r.err, "hush-hush-secret"))
        return r.err
      end
      assert.equal('swh: SINCH_AUTH: "Basic" is not an auth scheme (oauth2, basic)' .. TRACE,
                   fails { SINCH_AUTH = "Basic" })
      assert.equal('swh: SINCH_REGION: "xx" is not a region (us, eu, br)' .. TRACE,
                   fails { SINCH_REGION = "xx" })
      assert.equal('swh: SWH_RATE: "fast" is not a positive number' .. TRACE,
                   fails { SWH_RATE = "fast" })
      assert.equal('swh: SINCH_CONVERSATION_URL: "ftp://example.com" is not an http:// or '
                   .. 'https:// URL' .. TRACE,
                   fails { SINCH_CONVERSATION_URL = "ftp://example.com" })
      assert.equal('swh: SINCH_AUTH_URL: "ftp://u:[redacted]@example.com/t" is not an http:// or '
                   .. 'https:// URL' .. TRACE,
                   fails { SINCH_AUTH_URL = "ftp://u:pw-SECRET@example.com/t" })
      assert.equal('swh: SINCH_CONVERSATION_URL: "http://[::1" is not a valid URL (Bad IPv6 '
                   .. 'address)' .. TRACE, fails { SINCH_CONVERSATION_URL = "http://[::1" })
      -- a flag wins over the variable, so a good flag hides a bad variable
      local r = run({ "--region=eu", "--auth=basic", "--base-url=http://127.0.0.1:9", "-e",
                      "print(client:project_id())" },
                    { env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s",
                              SINCH_REGION = "xx", SINCH_AUTH = "Basic",
                              SINCH_CONVERSATION_URL = "ftp://example.com" } })
      assert.equal("p\n", r.out)
      assert.equal(0, r.status)
    end)
  end)
end)
