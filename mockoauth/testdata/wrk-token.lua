-- Loopback load of the token endpoint with pre-signed assertions (see
-- TestLoadServer in bench_test.go). Each wrk thread takes every
-- WRK_THREADS-th line of FLAMOCK_LOAD_FILE, so no assertion is sent twice
-- while the file lasts (a replay would be refused and counted as non-2xx).
--
--   FLAMOCK_LOAD_FILE=/tmp/bodies.txt WRK_THREADS=2 \
--   wrk -t2 -c64 -d15s --latency -s wrk-token.lua http://127.0.0.1:8089/REST/oauth/v5/token
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  bodies = {}
  local i = 0
  for line in io.lines(os.getenv("FLAMOCK_LOAD_FILE")) do
    if line ~= "" then
      if i % nthreads == id then bodies[#bodies + 1] = line end
      i = i + 1
    end
  end
  n = 0
end

function request()
  n = n + 1
  if n > #bodies then n = 1 end
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, bodies[n])
end
