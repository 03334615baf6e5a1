--[[
  Retry the named failed jobs (ARGV, at most one batch): the id-list twin of
  retry-failed.lua, with the same priority handling and attempt reset. Ids not
  in the failed set are skipped.

  KEYS as retry-failed.lua.   ARGV[1..n] job ids
  Returns {moved, prioritized}
]]
local rcall = redis.call

--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "saccos/retryFailedJob"

local maxEvents = getOrSetMaxEvents(KEYS[5])
local isPausedOrMaxed = isQueuePausedOrMaxed(KEYS[5], KEYS[6])
local moved = 0
local prioritized = 0

for _, jobId in ipairs(ARGV) do
  if rcall("ZREM", KEYS[3], jobId) == 1 then
    if retryFailedJob(KEYS[1], jobId, KEYS[2], maxEvents, KEYS[8], KEYS[9]) then
      prioritized = prioritized + 1
    else
      rcall("LPUSH", KEYS[4], jobId)
    end
    moved = moved + 1
  end
end

if moved > 0 then
  addBaseMarkerIfNeeded(KEYS[7], isPausedOrMaxed)
end

return {moved, prioritized}
