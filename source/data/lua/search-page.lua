--[[
  One page of a search (data/search.ts): the ids of a state by index, in the
  order the jobs pages show them, and for each job what a row shows and what
  a match reads — its name, failed reason and data cut at ARGV[5] bytes.
  It only reads.

  Bounded, so that Redis is never held for more than a few milliseconds:
  at most ARGV[4] jobs; the page ends after the job whose fields bring the
  bytes copied past ARGV[7], or once ARGV[8] microseconds have passed (a
  loaded server reads fewer jobs a page, not for longer); and a field larger than ARGV[6] is not read at
  all, only its size (HSTRLEN, O(1)). Reading the start of a hash field
  costs the server a copy of all of it (Redis has no GETRANGE for hash
  fields): about 0.1 s for 20 MB, which is why read-capped.lua is not used
  here.

  KEYS[1] the state's key.
  ARGV[1] the jobs' key prefix ("<prefix>:<queue>:").
  ARGV[2] the order: "list" (a list, next to run first: from its right end),
          "rev" (a sorted set, newest first), "fwd" (a sorted set, lowest score first).
  ARGV[3] the index of the page's first job in that order (0-based).
  ARGV[4] how many jobs at most.
  ARGV[5] the bytes of name, failed reason and data kept (cut on a character).
  ARGV[6] the largest field that is read; a larger one comes as false with its size.
  ARGV[7] the bytes the page may copy.
  ARGV[8] the time the page may take, in microseconds (TIME, every 16 jobs).

  Returns {total, taken, job, job, …}: the state's size, how many ids of the
  range were gone through, and per id 14 values:
  id, name, nameBytes, failedReason, failedReasonBytes, data, dataBytes,
  timestamp, attemptsMade, atm, processedOn, finishedOn, delay, priority —
  false where absent (a vanished job: every value false) or not read (bytes
  above ARGV[6]).
]]
local rcall = redis.call
local key = KEYS[1]
local jobPrefix = ARGV[1]
local order = ARGV[2]
local start = tonumber(ARGV[3])
local count = tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local copyLimit = tonumber(ARGV[6])
local budget = tonumber(ARGV[7])
local timeBudget = tonumber(ARGV[8])

local total, ids
if order == "list" then
  total = rcall("LLEN", key)
  ids = rcall("LRANGE", key, -(start + count), -(start + 1))
  -- Next to run first: workers take from the right end.
  local reversed = {}
  for i = #ids, 1, -1 do reversed[#reversed + 1] = ids[i] end
  ids = reversed
elseif order == "rev" then
  total = rcall("ZCARD", key)
  ids = rcall("ZREVRANGE", key, start, start + count - 1)
else
  total = rcall("ZCARD", key)
  ids = rcall("ZRANGE", key, start, start + count - 1)
end

-- Cut before a UTF-8 continuation byte (at most 3 steps back), never inside a character.
local function cut(value)
  if #value <= cap then return value end
  local at = cap
  for _ = 1, 3 do
    local byte = string.byte(value, at + 1)
    if byte < 128 or byte >= 192 then break end
    at = at - 1
  end
  return string.sub(value, 1, at)
end

local LARGE = {"name", "failedReason", "data"}
local out = {total, 0}
local copied = 0
local taken = 0
local function now()
  local time = rcall("TIME")
  return tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local deadline = now() + timeBudget
for _, id in ipairs(ids) do
  taken = taken + 1
  local jobKey = jobPrefix .. id
  out[#out + 1] = id
  -- pcall: a key that is not a hash (not a job) answers with an error, not an abort.
  local small = redis.pcall("HMGET", jobKey, "timestamp", "attemptsMade", "atm", "processedOn", "finishedOn", "delay", "priority")
  if small["err"] or not small[1] then
    for _ = 1, 13 do out[#out + 1] = false end
  else
    for i = 1, 3 do
      local field = LARGE[i]
      local bytes = rcall("HSTRLEN", jobKey, field)
      local value = false
      if bytes > 0 and bytes <= copyLimit then
        value = rcall("HGET", jobKey, field) or false
        if value then
          copied = copied + bytes
          value = cut(value)
        end
      end
      out[#out + 1] = value
      out[#out + 1] = bytes
    end
    for i = 1, 7 do out[#out + 1] = small[i] or false end
  end
  if copied >= budget or (taken % 16 == 0 and now() >= deadline) then break end
end
out[2] = taken
return out
