-- wrk script: authenticated GETs of the resources put.lua writes (the
-- same pool of FLAMOCK_PATHS SSINs, default 1000).
local token = os.getenv("FLAMOCK_TOKEN")
local base = os.getenv("FLAMOCK_API") -- e.g. /REST/careerpro-fla/v1
local employer = os.getenv("FLAMOCK_EMPLOYER") or "403019261"
local pool = tonumber(os.getenv("FLAMOCK_PATHS") or "1000")

-- the same SSINs as put.lua
local function ssin(i)
  local day = math.floor(i / 997)
  local yy = 60 + math.floor(day / 336)
  local mm = math.floor((day % 336) / 28) + 1
  local dd = day % 28 + 1
  local n = yy * 10000000 + mm * 100000 + dd * 1000 + (i % 997) + 1
  return string.format("%09d%02d", n, 97 - n % 97)
end

local counter = 0
request = function()
  counter = counter + 1
  local path = string.format("%s/employers/%s/employees/%s/calendarYears/2023/trainings", base, employer, ssin(counter % pool))
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

local bad = 0
response = function(status, headers, b)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("status " .. status .. ": " .. b .. "\n") end
  end
end
