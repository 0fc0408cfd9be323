-- The redirect round trip as a browser makes it: GET /api/, then GET the Location it answers.
-- Each 302 queues its Location; the thread's next request takes it (any of the thread's
-- connections, all kept alive, as a browser would reuse one). Arguments after `--`:
--   1: the first path (/api/)   2: the Location the API must answer (absolute URL)

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  start_path = args[1]
  expected = args[2]
  pending = {}
  redirects = 0  -- 302s with the expected Location
  arrivals = 0   -- 200s at the end of a round trip
  wrong = 0      -- any other answer, or a Location that is not the expected one
end

function request()
  local path = table.remove(pending)
  if path then
    return wrk.format("GET", path)
  end
  return wrk.format("GET", start_path)
end

function response(status, headers, body)
  if status == 302 then
    local location = headers["Location"] or headers["location"]
    if location == expected then
      redirects = redirects + 1
      table.insert(pending, (location:gsub("^[a-z]+://[^/]+", "")))
    else
      wrong = wrong + 1
    end
  elseif status == 200 then
    arrivals = arrivals + 1
  else
    wrong = wrong + 1
  end
end

function bench_extra()
  local r, a, w = 0, 0, 0
  for _, thread in ipairs(threads) do
    r = r + thread:get("redirects")
    a = a + thread:get("arrivals")
    w = w + thread:get("wrong")
  end
  return string.format(', "redirect": {"redirects": %d, "arrivals": %d, "wrong": %d}', r, a, w)
end
