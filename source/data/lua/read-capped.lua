--[[
  Reads fields of one hash, each cut to at most ARGV[1] bytes, with its full
  size: a page of jobs or a job's detail then costs the client the same
  whether a job's data is 1 KB or 20 MB (HGETALL would send, and the client
  parse, all of it). Redis has no GETRANGE for hash fields, hence a script.
  It only reads.

  Cutting still costs the server a copy of the whole value (HGET into Lua:
  about 0.3 s for 20 MB on a busy 2-core machine), so a field the caller
  already holds the start of, at the same size, is not read again: it passes
  that size, and HSTRLEN (O(1)) decides.

  KEYS[1] the hash.   ARGV[1] the cap in bytes; then for each field its name
  and the size in bytes of the start the caller holds (-1: none).
  Returns false when KEYS[1] is not a hash, else {value, bytes, ...} in the
  order of the fields, where value is the value (cut), or false: absent
  (bytes 0), or the start the caller holds is still good (bytes > cap).
]]
local rcall = redis.call
local key = KEYS[1]
if rcall("TYPE", key)["ok"] ~= "hash" then
  return false
end
local cap = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV, 2 do
  local field = ARGV[i]
  local bytes = rcall("HSTRLEN", key, field)
  if bytes > cap and bytes == tonumber(ARGV[i + 1]) then
    out[#out + 1] = false
    out[#out + 1] = bytes
  else
    local value = rcall("HGET", key, field)
    if value then
      if bytes > cap then
        -- Cut before a UTF-8 continuation byte (at most 3 steps back), never inside a character.
        local cut = cap
        for _ = 1, 3 do
          local byte = string.byte(value, cut + 1)
          if byte < 128 or byte >= 192 then break end
          cut = cut - 1
        end
        value = string.sub(value, 1, cut)
      end
      out[#out + 1] = value
    else
      out[#out + 1] = false
    end
    out[#out + 1] = bytes
  end
end
return out
