-- The documentation's links: every relative link in README.md and doc/*.md names a file or
-- folder of the tree, and every #anchor a heading of its file (as GitHub makes anchors of
-- headings).
-- Links to other sites are not followed: tests stay off the network.

-- The anchors of a Markdown text's headings, as GitHub derives them: lower case, what is
-- not a letter, digit, space, '-' or '_' dropped, spaces made '-'; a repeated heading gets
-- "-1", "-2"…
local function anchors_of(text)
  local anchors, seen = {}, {}
  local fenced = false
  for line in (text .. "\n"):gmatch("(.-)\n") do
    if line:match("^```") then fenced = not fenced end
    local heading = not fenced and line:match("^#+%s+(.-)%s*$")
    if heading then
      local slug = heading:lower():gsub("[^%w%s_-]", ""):gsub("%s", "-")
      local n = seen[slug]
      seen[slug] = (n or -1) + 1
      anchors[n and (slug .. "-" .. (n + 1)) or slug] = true
    end
  end
  return anchors
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

-- The Markdown files checked: README.md and every doc/*.md.
local function documents()
  local list = { "README.md" }
  local p = assert(io.popen("ls doc/*.md 2>/dev/null"))
  for name in p:lines() do list[#list + 1] = name end
  p:close()
  return list
end

-- The broken links of one file: { "file: link (why)", … }. Links inside code are skipped.
local function broken_links(path)
  local text = assert(read(path), path)
  local dir = path:match("^(.*)/[^/]*$") or "."
  local problems = {}
  local prose = text:gsub("```.-```", ""):gsub("`[^`\n]*`", "")
  for target in prose:gmatch("%]%(([^)%s]+)%)") do
    if not target:match("^%a[%w+.-]*:") then -- not http:, mailto: …
      local file, anchor = target:match("^([^#]*)#?(.*)$")
      local where = file == "" and path or (dir .. "/" .. file)
      local body = read(where)
      if not body and not os.rename(where, where) then -- a folder is read as nothing
        problems[#problems + 1] = ("%s: %s (no file %s)"):format(path, target, where)
      elseif body and anchor ~= "" and where:match("%.md$")
             and not anchors_of(body)[anchor] then
        problems[#problems + 1] = ("%s: %s (no heading #%s in %s)"):format(path, target,
          anchor, where)
      end
    end
  end
  return problems
end

describe("the documentation", function()
  it("makes anchors as GitHub does", function()
    local a = anchors_of("# The host: `swh`\n## Backups, plans and rehearsals\n## A b\n## A b\n"
      .. "```\n# not a heading\n```\n")
    assert.same({ ["the-host-swh"] = true, ["backups-plans-and-rehearsals"] = true,
                  ["a-b"] = true, ["a-b-1"] = true }, a)
  end)

  it("has no broken relative link in README.md or doc/", function()
    local problems = {}
    for _, path in ipairs(documents()) do
      for _, p in ipairs(broken_links(path)) do problems[#problems + 1] = p end
    end
    assert.same({}, problems)
  end)
end)
