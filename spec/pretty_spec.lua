-- swh.pretty: how the REPL shows values (webhooks, lists, errors), secrets masked.
describe("swh.pretty (what the REPL prints)", function()
  local pretty = require "swh.pretty"
  local cjson = require "cjson"

  local webhook = {
    id = "01W4FFL35P4NC4K35WEBHOOK04", app_id = "01EB37HMH1M6SV18BSNS3G135H",
    target = "https://example.com/hook", target_type = "HTTP",
    triggers = { "MESSAGE_DELIVERY", "MESSAGE_INBOUND" }, secret = "sekrit-1",
    client_credentials = { client_id = "cid", client_secret = "sekrit-2",
                           endpoint = "https://example.com/token" },
    future_field = { level = 2 },
  }

  it("counts a noun, plural unless there is one", function()
    assert.equal("0 webhooks", pretty.count(0, "webhook"))
    assert.equal("1 webhook", pretty.count(1, "webhook"))
    assert.equal("2 warnings", pretty.count(2, "warning"))
  end)

  it("shows a webhook as a block, known fields first, secrets masked", function()
    assert.equal(table.concat({
      "webhook 01W4FFL35P4NC4K35WEBHOOK04",
      "  app_id        01EB37HMH1M6SV18BSNS3G135H",
      "  target        https://example.com/hook",
      "  target_type   HTTP",
      "  triggers      MESSAGE_DELIVERY, MESSAGE_INBOUND",
      "  secret        ••••",
      "  client_credentials",
      "    client_id      cid",
      "    client_secret  ••••",
      "    endpoint       https://example.com/token",
      "  future_field  {",
      "    level = 2,",
      "  }",
    }, "\n"), pretty.format(webhook))
  end)

  it("shows secrets only when asked", function()
    local text = pretty.format(webhook, { secrets = true })
    assert.truthy(text:find("\n  secret        sekrit%-1\n"))
    assert.truthy(text:find("\n    client_secret  sekrit%-2\n"))
    assert.has_error(function() pretty.format(webhook, "yes") end,
                     "bad argument #2 to 'format' (options table expected, got string)")
    -- The options are read as every other function's (swh.check): "table of options" became
    -- the one wording, and an unknown option or a secrets that is not a boolean is refused
    -- (it was read as false).
    assert.has_error(function() pretty.format(webhook, { secret = true }) end,
      "bad argument #2 to 'format' (unknown option \"secret\" (did you mean \"secrets\"? known: "
      .. "secrets))")
    assert.has_error(function() pretty.format(webhook, { secrets = "yes" }) end,
      "bad argument #2 to 'format' (secrets: expected a boolean, got string)")
    -- At the line that called it, naming the function called.
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() pretty.print(webhook, "yes") end)
    assert.is_false(ok)
    assert.equal("spec/pretty_spec.lua:" .. line .. ": bad argument #2 to 'print' (options "
      .. "table expected, got string)", err)
  end)

  it("masks secrets and tokens anywhere in other tables", function()
    local text = pretty.format({ key_secret = "k1", nested = { access_token = "t1",
      channel = { static_bearer_token = "t2", token_request_type = "BASIC" } },
      secret = "", password = "p1" })
    for _, leaked in ipairs { "k1", "t1", "t2", "p1" } do
      assert.falsy(text:find('"' .. leaked .. '"', 1, true), leaked)
    end
    assert.truthy(text:find('token_request_type = "BASIC"', 1, true))
    assert.truthy(text:find('secret = ""', 1, true)) -- an empty secret hides nothing
    assert.equal(4, select(2, text:gsub("••••", "")))
  end)

  it("masks the password of a URL's userinfo in everything it prints, unless asked", function()
    local hook = { id = "W1", app_id = "A1", target = "https://user:pw-SECRET@s.example.com/h",
                   triggers = { "OPT_IN" } }
    assert.equal(table.concat({
      "webhook W1",
      "  app_id    A1",
      "  target    https://user:••••@s.example.com/h",
      "  triggers  OPT_IN",
    }, "\n"), pretty.format(hook))
    assert.equal(table.concat({
      "1 webhook",
      "ID  APP_ID  TARGET                             TRIGGERS  SECRET  OAUTH",
      "W1  A1      https://user:••••@s.example.com/h  OPT_IN    -       -",
    }, "\n"), pretty.format({ hook }))
    assert.equal("https://user:••••@s.example.com/h",
                 pretty.format("https://user:pw-SECRET@s.example.com/h"))
    assert.equal('{\n  note = "see http://a:••••@h:8080?q and ftp://anon@h/ and https://h/x:y@z",'
                 .. '\n  url = "https://user:••••@s.example.com",\n}',
                 pretty.format({ url = "https://user:pw-SECRET@s.example.com",
                                 note = "see http://a:b%40c@h:8080?q and ftp://anon@h/ and "
                                   .. "https://h/x:y@z" }))
    assert.equal("error network: cannot reach https://u:••••@h/x",
                 pretty.format({ kind = "network", message = "cannot reach https://u:pw@h/x" }))
    assert.equal("https://user:pw-SECRET@s.example.com/h",
                 pretty.format(hook.target, { secrets = true }))
    assert.truthy(pretty.format({ hook }, { secrets = true })
                  :find("https://user:pw-SECRET@s.example.com/h", 1, true))
    assert.equal("1\tx://user:••••@h", pretty.results(1, "x://user:pw@h"))
  end)

  it("shows a list of apps as a table", function()
    assert.equal("2 apps\nID  DISPLAY_NAME\nA1  Support\nA2  Sales",
                 pretty.format({ { id = "A1", display_name = "Support" },
                                 { id = "A2", display_name = "Sales" } }))
  end)

  it("shows errors in one line, through their __tostring when they have one", function()
    local err = setmetatable({ kind = "http", message = "Webhook not found" },
      { __tostring = function() return "NOT_FOUND (404): Webhook not found [GET /x]" end })
    assert.equal("error NOT_FOUND (404): Webhook not found [GET /x]", pretty.format(err))
    assert.equal("error NOT_FOUND (404): gone [GET /y]", pretty.format(
      { kind = "http", status = "NOT_FOUND", http_status = 404, message = "gone",
        request = "GET /y" }))
    assert.equal("error network: refused", pretty.format({ kind = "network",
                                                           message = "refused" }))
  end)

  it("shows plain values as Lua would, JSON null as null, and survives cycles", function()
    assert.equal("plain", pretty.format("plain"))
    assert.equal('{ "a\\nb", 2, true, null }', pretty.format({ "a\nb", 2, true, cjson.null }))
    local t = { name = "loop" }
    t.self = t
    assert.equal('{\n  name = "loop",\n  self = <cycle>,\n}', pretty.format(t))
    assert.equal("{}", pretty.format({}))
    assert.equal('{\n  ["two words"] = 1,\n}', pretty.format({ ["two words"] = 1 }))
  end)
end)
