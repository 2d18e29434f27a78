-- The swh REPL, driven through a pseudo-terminal (script(1)) as a person would use it.
local h = require "host_run"
local has = h.has

-- The part of a transcript after the prompt line where `input` was typed.
local function after_input(transcript, prompt_and_input)
  local at = select(2, transcript:find(prompt_and_input .. "\n", 1, true))
  assert.truthy(at, "no '" .. prompt_and_input .. "' in:\n" .. transcript)
  return transcript:sub(at + 1)
end

describe("the swh REPL", function()
  local home
  before_each(function() home = h.temp_dir() end)
  after_each(function() h.remove_dir(home) end)

  it("prints the value of an expression, and ends with status 0 at Ctrl-D", function()
    local out, status = h.repl({}, { "6 * 7" }, { home = home })
    assert.equal(0, status)
    assert.truthy(has(out, "swh 0.1.0 (Lua 5.4"), out)
    assert.equal("42\nswh> \n", after_input(out, "swh> 6 * 7"))
  end)

  it("prints several values tab-separated, and tables readably", function()
    local out = h.repl({}, { "1, 'two', nil, { 1, 2, 3 }" }, { home = home })
    assert.equal("1\ttwo\tnil\t{ 1, 2, 3 }\n",
                 after_input(out, "swh> 1, 'two', nil, { 1, 2, 3 }"):match("^[^\n]*\n"))
  end)

  it("leaves out trailing nils after a value, but prints a lone nil", function()
    local out = h.repl({}, { "'ok', nil, nil", "nil" }, { home = home })
    assert.equal("ok\n", after_input(out, "swh> 'ok', nil, nil"):match("^[^\n]*\n"))
    assert.equal("nil\n", after_input(out, "swh> nil"):match("^[^\n]*\n"))
  end)

  it("keeps reading unfinished input with a continuation prompt", function()
    local out = h.repl({}, { "for i = 1, 3 do", "io.write(i * 11, ';')", "end" }, { home = home })
    local rest = after_input(out, "swh> for i = 1, 3 do")
    assert.equal("swh>> io.write(i * 11, ';')\nswh>> end\n11;22;33;swh> \n", rest)
  end)

  it("runs statements and keeps globals between lines", function()
    local out = h.repl({}, { "x = 20", "x + 22" }, { home = home })
    assert.equal("42\n", after_input(out, "swh> x + 22"):match("^[^\n]*\n"))
  end)

  it("prints an error readably and goes on", function()
    local out, status = h.repl({}, { "error('kaput' .. '!')", "'still here'" }, { home = home })
    assert.equal(0, status)
    local rest = after_input(out, "swh> error('kaput' .. '!')")
    assert.truthy(rest:find("^swh: stdin:1: kaput!\nstack traceback:\n"), rest)
    assert.truthy(has(rest, "swh> 'still here'\nstill here\n"), rest)
  end)

  it("shows a syntax error without waiting for more input", function()
    local out = h.repl({}, { "x = = 1", "'next'" }, { home = home })
    local rest = after_input(out, "swh> x = = 1")
    assert.truthy(rest:find("^swh: stdin:1: unexpected symbol near '='\nswh> 'next'\nnext\n"),
                  rest)
  end)

  it("shows a webhook as a block with its secret masked", function()
    local out = h.repl({ "--sandbox" }, {
      "for _, a in ipairs(assert(client.apps:list())) do for _, w in "
        .. "ipairs(assert(client.webhooks:list(a.id))) do if w.secret then hook = w end end end",
      "hook",
      "hook.secret:sub(1, 12)",
    }, { home = home })
    local rest = after_input(out, "swh> hook")
    assert.truthy(rest:find("^webhook 01[0-9A-Z]+\n  app_id +01[0-9A-Z]+\n  target +https://"),
                  rest)
    local block = rest:match("^(.-)swh> ")
    assert.truthy(block:find("\n  secret +••••\n"), block)
    assert.falsy(has(block, "demo-secret-"))
    -- asked for explicitly, it is shown
    assert.equal("demo-secret-\n", after_input(out, "swh> hook.secret:sub(1, 12)")
                 :match("^[^\n]*\n"))
  end)

  it("says in its banner which variable keeps `client` from being made", function()
    local out = h.repl({}, { "1" }, { home = home, env = {
      SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s", SINCH_REGION = "xx" } })
    assert.truthy(has(out, '\n`client` cannot be made: SINCH_REGION: "xx" is not a region '
                           .. "(us, eu, br)\n"), out)
    out = h.repl({}, { "1" }, { home = home, env = {
      SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s",
      SINCH_CONVERSATION_URL = "http://u:pw-SECRET@" } })
    assert.truthy(has(out, '\n`client` cannot be made: SINCH_CONVERSATION_URL: '
                           .. '"http://u:[redacted]@" has no host\n'), out)
    assert.falsy(has(out, "pw-SECRET"), out)
  end)

  it("masks the password of the base URL its banner names", function()
    local env = { SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s",
                  SINCH_CONVERSATION_URL = "http://u:pw-SECRET@127.0.0.1:9/api",
                  SINCH_AUTH_URL = "http://127.0.0.1:9/oauth2/token" }
    local out = h.repl({}, { "1" }, { home = home, env = env })
    -- as client:settings() gives it, masked as the core masks every URL it quotes
    assert.truthy(has(out, "\n`client` talks to project p (http://u:[redacted]@127.0.0.1:9/api)"
                           .. "\n"), out)
    assert.falsy(has(out, "pw-SECRET"), out)
    out = h.repl({ "--base-url=http://u:pw-SECRET@127.0.0.1:9" }, { "1" },
                 { home = home, env = env })
    assert.truthy(has(out, "\n`client` talks to project p (http://u:[redacted]@127.0.0.1:9)\n"),
                  out)
    assert.falsy(has(out, "pw-SECRET"), out)
  end)

  it("masks the password of a URL in what it prints", function()
    local out = h.repl({}, { "{ target = 'https://user:pw-SECRET@s.example.com/h' }" },
                       { home = home })
    assert.equal('{\n  target = "https://user:••••@s.example.com/h",\n}\nswh> \n',
                 after_input(out, "swh> { target = 'https://user:pw-SECRET@s.example.com/h' }"))
  end)

  it("shows an API error returned as nil, err in one line", function()
    local out = h.repl({ "--sandbox" }, { "client.webhooks:get('01JGFJK6QF7CE9EEWZKJ309MBX')" },
                       { home = home })
    local rest = after_input(out, "swh> client.webhooks:get('01JGFJK6QF7CE9EEWZKJ309MBX')")
    assert.equal("nil\terror NOT_FOUND (404): Webhook not found [GET /v1/projects/demo-project/"
                 .. "webhooks/01JGFJK6QF7CE9EEWZKJ309MBX]\n", rest:match("^[^\n]*\n"))
  end)

  it("shows a list of webhooks as a table", function()
    local out = h.repl({ "--sandbox=empty" }, {
      "app = assert(client.apps:list())[1].id",
      "assert(client.webhooks:create{ app_id = app, target = 'https://example.com/a', "
        .. "triggers = { 'OPT_IN', 'OPT_OUT' }, secret = 'list-secret' }) and nil",
      "client.webhooks:list(app)",
    }, { home = home })
    local rest = after_input(out, "swh> client.webhooks:list(app)")
    assert.truthy(rest:find("^1 webhook\nID +APP_ID +TARGET +TRIGGERS +SECRET +OAUTH\n"
      .. "01[0-9A-Z]+ +01[0-9A-Z]+ +https://example%.com/a +OPT_IN, OPT_OUT +•••• +%-\n"), rest)
    assert.falsy(has(rest, "list-secret"))
  end)

  it("stops a running chunk at Ctrl-C and drops unfinished input at Ctrl-C", function()
    -- The chunk says it runs ("spin" .. "ning" is not in its echo) before it is interrupted.
    local out, status = h.repl_typed({}, {
      { seen = "swh> ", keys = "print('spin' .. 'ning') while true do end\n" },
      { seen = "spinning", keys = "\3" },
      { seen = "swh> ", times = 2, keys = "6*7\n" },
      { seen = "swh> ", times = 3, keys = "for i = 1, 2 do\n" },
      { seen = "swh>> ", keys = "\3" },
      { seen = "swh> ", times = 4, keys = "'fresh'\n" },
      { seen = "swh> ", times = 5, keys = "\4" },
    })
    assert.equal(0, status)
    local rest = after_input(out, "swh> print('spin' .. 'ning') while true do end")
    -- on a terminal the message starts on a line of its own, after the echoed ^C
    assert.truthy(rest:find("^spinning\n%^?C?\nswh: interrupted\nstack traceback:\n\tstdin:1: "
                            .. "in main chunk\n\t%[C%]: in %?\nswh> 6%*7\n42\n"), rest)
    rest = after_input(out, "swh> for i = 1, 2 do")
    assert.truthy(rest:find("^swh>> %^?C?\nswh> 'fresh'\nfresh\n"), rest)
  end)

  it("stops a busy task of swh.map at Ctrl-C, and goes on", function()
    local out, status = h.repl_typed({}, {
      { seen = "swh> ", keys = "swh.map({ 1 }, function() print('spin' .. 'ning') "
                              .. "while true do end end)\n" },
      { seen = "spinning", keys = "\3" },
      { seen = "swh> ", times = 2, keys = "6*7\n" },
      { seen = "swh> ", times = 3, keys = "\4" },
    })
    assert.equal(0, status)
    local rest = after_input(out, "swh> swh.map({ 1 }, function() print('spin' .. 'ning') "
                             .. "while true do end end)")
    assert.truthy(rest:find("^spinning\n%^?C?\nswh: interrupted\nstack traceback:\n"), rest)
    assert.truthy(rest:find("\nswh> 6%*7\n42\n"), rest)
  end)

  it("enters the REPL after the script with -i", function()
    local out, status = h.repl({ "-i", "-e", "x = 6" }, { "x * 7" }, { home = home })
    assert.equal(0, status)
    assert.equal("42\n", after_input(out, "swh> x * 7"):match("^[^\n]*\n"))
  end)

  it("with -i, opens after a script that failed, which has been reported", function()
    local script = os.tmpname()
    h.write(script, "x = 6\nerror('boom')\nx = 0\n")
    local out, status = h.repl({ "-i", "-e", "y = 1", script }, { "x * 7 + y" },
                               { home = home })
    os.remove(script)
    assert.equal(0, status)
    assert.truthy(has(out, "swh: " .. script .. ":2: boom\nstack traceback:\n"), out)
    assert.equal("43\n", after_input(out, "swh> x * 7 + y"):match("^[^\n]*\n"))
    -- a failed -e: the chunks after it do not run
    out, status = h.repl({ "-i", "-e", "x = 6 error('boom')", "-e", "never = true" },
                         { "x * 7", "never" }, { home = home })
    assert.equal(0, status)
    assert.truthy(has(out, "swh: (command line):1: boom\nstack traceback:\n"), out)
    assert.equal("42\n", after_input(out, "swh> x * 7"):match("^[^\n]*\n"))
    assert.equal("nil\n", after_input(out, "swh> never"):match("^[^\n]*\n"))
  end)

  it("keeps its history in ~/.swh_history", function()
    h.repl({}, { "1 + 1", "for i = 1, 2 do", "end" }, { home = home })
    assert.equal("1 + 1\nfor i = 1, 2 do\nend\n", h.read(home .. "/.swh_history"))
  end)

  it("keeps each line in the history as it is entered, so that a killed session loses none",
  function()
    local _, status = h.repl_typed({}, {
      { seen = "swh> ", keys = "6 * 7\n" },
      { seen = "swh> ", times = 2, keys = "os.execute('kill -KILL $PPID')\n" },
    }, { home = home })
    assert.equal(137, status) -- script(1) reports the signal as 128 + 9
    assert.equal("6 * 7\nos.execute('kill -KILL $PPID')\n", h.read(home .. "/.swh_history"))
    assert.equal("600", h.shell("stat -c %a " .. h.quote(home .. "/.swh_history")):match("%d+"))
  end)

  it("makes a looser ~/.swh_history private (0600), keeping what it holds", function()
    local path = home .. "/.swh_history"
    h.write(path, "old line\n")
    h.shell("chmod 644 " .. h.quote(path))
    h.repl({}, { "6 * 7" }, { home = home })
    assert.equal("600", h.shell("stat -c %a " .. h.quote(path)):match("%d+"))
    assert.equal("old line\n6 * 7\n", h.read(path))
  end)

  it("goes on when the history cannot be written", function()
    local out, status = h.repl({}, { "6 * 7" }, { home = "/nonexistent/home" })
    assert.equal(0, status)
    assert.equal("42\n", after_input(out, "swh> 6 * 7"):match("^[^\n]*\n"))
  end)
end)

describe("the swh REPL's help", function()
  local home
  before_each(function() home = h.temp_dir() end)
  after_each(function() h.remove_dir(home) end)

  it("completes globals, fields and methods with Tab", function()
    local out = h.repl({ "--sandbox" }, { "hooks = client.web\t:li\tclient.apps:list()[1].id)",
                                          "#hooks" }, { home = home })
    assert.truthy(has(out, "swh> hooks = client.webhooks:list(client.apps:list()[1].id)\n"),
                  out)
    assert.equal("3\n", after_input(out, "swh> #hooks"):match("^[^\n]*\n"))
  end)

  it("holds the last result in _", function()
    local out = h.repl({}, { "6 * 7", "_ + 1" }, { home = home })
    assert.equal("43\n", after_input(out, "swh> _ + 1"):match("^[^\n]*\n"))
  end)

  it("prints one screen of help with help(), help(client.webhooks) and help(swh.plan)",
     function()
    local out = h.repl({ "--sandbox" }, { "help()", "help(client.webhooks)", "help(swh.plan)" },
                       { home = home })
    assert.truthy(has(after_input(out, "swh> help()"),
      "Lua with two globals: swh (the module) and client"), out)
    assert.truthy(has(after_input(out, "swh> help(client.webhooks)"),
      "client.webhooks: the webhooks of the project"), out)
    assert.truthy(has(after_input(out, "swh> help(swh.plan)"),
      "swh.plan(client, desired) -> plan | nil, err"), out)
  end)

  it("shows a snapshot as its counts and a long list as its first rows", function()
    local out = h.repl({ "--sandbox" }, { "snap = swh.snapshot(client)", "snap",
                                          "snap.webhooks", "#_" }, { home = home })
    assert.equal("snapshot of project demo-project: 40 apps, 93 webhooks (_.apps, "
      .. "_.webhooks; print(_) shows it all)\n",
      after_input(out, "swh> snap"):match("^[^\n]*\n"))
    local list = after_input(out, "swh> snap.webhooks")
    assert.truthy(list:find("^93 webhooks\nID "), list)
    assert.equal(1 + 1 + 20, select(2, list:match("^(.-)… the first"):gsub("\n", "")))
    assert.truthy(has(list, "\n… the first 20 of 93 shown: print(_) shows them all\n"))
    assert.equal("93\n", after_input(out, "swh> #_"):match("^[^\n]*\n"))
  end)

  it("recalls a multi-line function as one entry after a restart", function()
    h.repl({}, { "function twice(x)", "return 2 * x", "end" }, { home = home })
    -- Ctrl-P: the previous entry, the whole function; then call it
    local out = h.repl({}, { "\16", "twice(21)" }, { home = home })
    assert.equal("42\n", after_input(out, "swh> twice(21)"):match("^[^\n]*\n"), out)
  end)
end)
