-- Read mix of issue 13: 50% articles by tag, 35% article by slug, 15% tags; popular keys.
-- Keys come from files written by the bench script (one per line): tags.txt (most used first), slugs.txt (newest first).
local function lines(path)
  local t = {}
  for l in io.lines(path) do if #l > 0 then t[#t + 1] = l end end
  return t
end
local dir = os.getenv("MIXDIR") or "."
local tags = lines(dir .. "/tags.txt")
local slugs = lines(dir .. "/slugs.txt")
-- Zipf(1.0)-like popularity: rank = floor(n^u) for u uniform in [0,1) puts most picks on the first keys.
local function pick(list)
  local i = math.floor((#list) ^ math.random())
  if i < 1 then i = 1 end
  if i > #list then i = #list end
  return list[i]
end
request = function()
  local r = math.random(100)
  if r <= 50 then
    return wrk.format("GET", "/api/articles?tag=" .. pick(tags) .. "&limit=20")
  elseif r <= 85 then
    return wrk.format("GET", "/api/articles/" .. pick(slugs))
  else
    return wrk.format("GET", "/api/tags")
  end
end
