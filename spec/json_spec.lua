-- JSON <-> Lua: the conversion swh.core uses for every answer and request body, exposed as
-- swh.json.encode/decode.
local swh = require "swh"
local cjson = require "cjson"

local json = swh.json

-- The error of encoding value from a plain Lua frame (so it names the function as a script
-- sees it), without the position of that frame.
local function encode_error(value, opts)
  local ok, err = pcall(function() local s = json.encode(value, opts) return s end)
  assert.is_false(ok)
  return (err:gsub("^spec/json_spec%.lua:%d+: ", ""))
end

describe("swh.json.decode", function()
  it("makes objects and arrays tables marked with swh.object_mt and swh.array_mt", function()
    local v = json.decode('{"a":[1,2],"b":{},"c":[]}')
    assert.equal(swh.object_mt, getmetatable(v))
    assert.equal(swh.array_mt, getmetatable(v.a))
    assert.equal(swh.object_mt, getmetatable(v.b))
    assert.equal(swh.array_mt, getmetatable(v.c))
    assert.same({ 1, 2 }, { v.a[1], v.a[2] })
    assert.equal(2, #v.a)
    assert.is_nil(next(v.b))
    assert.is_nil(next(v.c))
  end)

  it("makes null cjson.null, the lightuserdata NULL", function()
    local v = json.decode('{"n":null,"a":[null]}')
    assert.equal(cjson.null, v.n)
    assert.equal(swh.null, v.n)
    assert.equal("userdata", type(v.n))
    assert.equal(cjson.null, v.a[1])
    assert.equal(cjson.null, json.decode("null"))
  end)

  it("makes integers Lua integers and reals floats", function()
    local v = json.decode('{"i":9007199254740993,"r":1.5,"z":1.0,"neg":-7}')
    assert.equal("integer", math.type(v.i))
    assert.equal(9007199254740993, v.i)
    assert.equal("float", math.type(v.r))
    assert.equal(1.5, v.r)
    assert.equal("float", math.type(v.z))
    assert.equal(-7, v.neg)
    assert.equal("integer", math.type(v.neg))
  end)

  it("keeps strings byte for byte, NUL included", function()
    assert.equal("a\0b", json.decode('"a\\u0000b"'))
    assert.equal("\u{e9}t\u{e9}", json.decode('"\\u00e9t\\u00e9"'))
    assert.equal(true, json.decode("true"))
    assert.equal(false, json.decode("false"))
  end)

  it("returns nil and the place of the mistake for invalid JSON", function()
    local v, err = json.decode('{"a":}')
    assert.is_nil(v)
    assert.equal("invalid JSON at line 1, column 6: unexpected token near '}'", err)
    v, err = json.decode("")
    assert.is_nil(v)
    assert.equal("invalid JSON at line 1, column 0: unexpected token near end of file", err)
  end)

  it("raises when not given a string, at the caller's line", function()
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, err = pcall(function() local v = json.decode({}) return v end)
    assert.is_false(ok)
    assert.equal("spec/json_spec.lua:" .. line
      .. ": bad argument #1 to 'decode' (string expected, got table)", err)
  end)
end)

describe("swh.json.encode", function()
  it("keeps empty arrays and empty objects through a round trip", function()
    local text = '{"a":[],"b":{},"c":[{}],"d":{"e":[]}}'
    assert.equal(text, json.encode(json.decode(text), { sort_keys = true }))
  end)

  it("encodes an empty table with no metatable as an array", function()
    assert.equal("[]", json.encode({}))
    assert.equal('{"triggers":[]}', json.encode({ triggers = {} }))
  end)

  it("encodes an empty table with swh.object_mt as an object", function()
    assert.equal("{}", json.encode(setmetatable({}, swh.object_mt)))
    assert.equal("[]", json.encode(setmetatable({}, swh.array_mt)))
  end)

  it("encodes 1..n tables as arrays and string-keyed tables as objects", function()
    assert.equal('[1,"x",true,null]', json.encode({ 1, "x", true, cjson.null }))
    assert.equal('{"a":1,"b":"x"}', json.encode({ b = "x", a = 1 }, { sort_keys = true }))
  end)

  it("encodes nil and cjson.null as null", function()
    assert.equal("null", json.encode(nil))
    assert.equal("null", json.encode(cjson.null))
  end)

  it("writes integers and integral floats as integers, other floats as reals", function()
    assert.equal("9007199254740993", json.encode(9007199254740993))
    assert.equal("1", json.encode(1.0))
    assert.equal("-3", json.encode(-3.0))
    assert.equal("1.5", json.encode(1.5))
    assert.equal("-0.25", json.encode(-0.25))
  end)

  it("writes strings as UTF-8 with NUL escaped", function()
    assert.equal('"a\\u0000b"', json.encode("a\0b"))
    assert.equal('"\u{e9}"', json.encode("\u{e9}"))
  end)

  it("indents and sorts keys when asked", function()
    assert.equal('{\n  "a": [\n    1\n  ],\n  "b": 2\n}',
      json.encode({ b = 2, a = { 1 } }, { indent = 2, sort_keys = true }))
  end)

  it("raises naming the path of a value it cannot encode", function()
    assert.equal("bad argument #1 to 'encode' (value.a[2]: cannot encode a function)",
      encode_error({ a = { 1, print } }))
    assert.equal("bad argument #1 to 'encode' (value.x: cannot encode a number that is not "
      .. "finite (inf))", encode_error({ x = math.huge }))
    assert.equal("bad argument #1 to 'encode' (value.x: cannot encode a number that is not "
      .. "finite (nan))", encode_error({ x = 0 / 0 }))
    assert.equal("bad argument #1 to 'encode' (value[\"a b\"].c: cannot encode a thread)",
      encode_error({ ["a b"] = { c = coroutine.create(print) } }))
    -- the path of a value past others that converted: theirs left it as it was
    assert.equal("bad argument #1 to 'encode' (value.list[2].x[\"1st\"][1]: cannot encode a "
      .. "function)", encode_error({ list = { { x = { ok = 1 } }, { x = { ["1st"] = { print },
        } } } }))
    assert.equal("bad argument #1 to 'encode' (value.s: cannot encode a string that is not "
      .. "valid UTF-8)", encode_error({ s = "\xff" }))
    assert.equal("bad argument #1 to 'encode' (value: cannot encode a light userdata other "
      .. "than cjson.null)", encode_error(debug.upvalueid(encode_error, 1)))
  end)

  it("raises for mixed, sparse and oddly keyed tables", function()
    assert.equal("bad argument #1 to 'encode' (value: cannot encode a table with both string "
      .. "keys and array items)", encode_error({ 1, a = 2 }))
    assert.equal("bad argument #1 to 'encode' (value.t: cannot encode an array with a hole: "
      .. "no item [2] before [3])", encode_error({ t = { 1, nil, 3 } }))
    assert.equal("bad argument #1 to 'encode' (value: cannot encode a table key of type "
      .. "boolean (keys are strings, or 1..n for an array))", encode_error({ [true] = 1 }))
    assert.equal("bad argument #1 to 'encode' (value: cannot encode a table key number 1.5 "
      .. "(keys are strings, or 1..n for an array))", encode_error({ [1.5] = 1 }))
    assert.equal("bad argument #1 to 'encode' (value: cannot encode a table key integer 0 "
      .. "(keys are strings, or 1..n for an array))", encode_error({ [0] = 1 }))
    assert.equal("bad argument #1 to 'encode' (value: a table marked as an array "
      .. "(swh.array_mt) has string keys)", encode_error(setmetatable({ a = 1 }, swh.array_mt)))
    assert.equal("bad argument #1 to 'encode' (value: a table marked as an object "
      .. "(swh.object_mt) has integer keys)", encode_error(setmetatable({ 1 }, swh.object_mt)))
  end)

  it("raises for a table that contains itself instead of looping", function()
    local t = {}
    t.t = t
    local err = encode_error(t)
    -- the path is cut at 255 characters: value.t.t… as deep as they fit
    assert.equal("bad argument #1 to 'encode' (value" .. (".t"):rep(125) .. ": nested more "
      .. "than 2000 deep (a table that contains itself?))", err)
  end)

  it("writes nesting as deep as it can read back", function()
    local text = ("["):rep(1500) .. ("]"):rep(1500)
    assert.equal(text, json.encode(json.decode(text)))
    local v, err = json.decode(("["):rep(3000) .. ("]"):rep(3000))
    assert.is_nil(v)
    assert.equal("invalid JSON at line 1, column 2049: maximum parsing depth reached near '['",
      err)
  end)

  it("reads its options strictly", function()
    assert.equal("bad argument #2 to 'encode' (unknown option \"colour\" (known: indent, "
      .. "sort_keys))", encode_error({}, { colour = true }))
    assert.equal("bad argument #2 to 'encode' (unknown option \"sortkeys\" (did you mean "
      .. "\"sort_keys\"? known: indent, sort_keys))", encode_error({}, { sortkeys = true }))
    assert.equal("bad argument #2 to 'encode' (indent: expected an integer from 0 to 31)",
      encode_error({}, { indent = 40 }))
    assert.equal("bad argument #2 to 'encode' (sort_keys: expected a boolean, got string)",
      encode_error({}, { sort_keys = "yes" }))
  end)
end)

describe("tables from swh with lua-cjson 2.1.0", function()
  it("re-encode unchanged, arrays staying arrays and null staying null", function()
    local text = '{"a":[1,"x",null,{"b":[2]}]}'
    assert.equal(text, cjson.encode(json.decode(text)))
  end)

  it("lose empty arrays, which cjson writes as {}: use swh.json.encode for those", function()
    local v = json.decode('{"triggers":[]}')
    assert.equal('{"triggers":{}}', cjson.encode(v))
    assert.equal('{"triggers":[]}', json.encode(v))
  end)

  it("decoded by cjson encode with swh as objects and arrays as their keys say", function()
    assert.equal('{"a":[1,2],"n":null}',
      json.encode(cjson.decode('{"a":[1,2],"n":null}'), { sort_keys = true }))
  end)
end)

describe("swh.null without lua-cjson", function()
  it("still shows as null in swh.pretty, which needs only swh.core for it", function()
    local helper = require "helper"
    local out, ok = helper.lua([[
      package.cpath = os.getenv("SWH_ONLY_CPATH")
      assert(not pcall(require, "cjson"), "cjson is still reachable")
      local swh = require "swh"
      print(require("swh.pretty").format({ swh.null, n = swh.null }))]],
      { SWH_ONLY_CPATH = helper.build .. "/lua/?.so" })
    assert.is_true(ok, out)
    assert.equal("{\n  [1] = null,\n  n = null,\n}\n", out)
  end)
end)
