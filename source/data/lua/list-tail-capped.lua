--[[
  The newest ARGV[1] entries of a list (a job's log), each cut to at most
  ARGV[2] bytes, with the list's length: one log line of megabytes must not
  cost the client megabytes. It only reads.

  KEYS[1] the list.   ARGV[1] how many of the newest; ARGV[2] the cap in bytes.
  Returns {length, line, bytes, line, bytes, ...}, oldest first.
]]
local rcall = redis.call
local key = KEYS[1]
local length = rcall("LLEN", key)
local cap = tonumber(ARGV[2])
local out = {length}
for _, line in ipairs(rcall("LRANGE", key, -tonumber(ARGV[1]), -1)) do
  local bytes = #line
  if bytes > cap then
    local cut = cap
    for _ = 1, 3 do
      local byte = string.byte(line, cut + 1)
      if byte < 128 or byte >= 192 then break end
      cut = cut - 1
    end
    line = string.sub(line, 1, cut)
  end
  out[#out + 1] = line
  out[#out + 1] = bytes
end
return out
