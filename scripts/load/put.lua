-- wrk script: authenticated PUTs of the spec's example trainings body to
-- SSINs drawn from a pool (FLAMOCK_PATHS distinct resources, default 1000),
-- or, with FLAMOCK_DISTINCT=1, to a new SSIN on every request (store growth).
local token = os.getenv("FLAMOCK_TOKEN")
local base = os.getenv("FLAMOCK_API") -- e.g. /REST/careerpro-fla/v1
local employer = os.getenv("FLAMOCK_EMPLOYER") or "403019261"
local pool = tonumber(os.getenv("FLAMOCK_PATHS") or "1000")
local distinct = os.getenv("FLAMOCK_DISTINCT") == "1"
local f = assert(io.open(os.getenv("FLAMOCK_BODY"), "r"))
local body = f:read("*a")
f:close()

-- valid SSIN number i: born 1981-01-01 + i/997 days (capped to one year per
-- thread offset), order number i%997+1, check digits 97 - n mod 97.
local function ssin(i)
  local day = math.floor(i / 997)
  local yy = 60 + math.floor(day / 336)
  local mm = math.floor((day % 336) / 28) + 1
  local dd = day % 28 + 1
  local n = yy * 10000000 + mm * 100000 + dd * 1000 + (i % 997) + 1
  return string.format("%09d%02d", n, 97 - n % 97)
end

local counter = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = (thread_id or 0) * 300000 -- thread_id is set by setup()
end

request = function()
  counter = counter + 1
  local i = distinct and counter or (counter % pool)
  local path = string.format("%s/employers/%s/employees/%s/calendarYears/2023/trainings", base, employer, ssin(i))
  return wrk.format("PUT", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

local bad = 0
response = function(status, headers, b)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. b .. "\n") end
  end
end
