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
--- @include "includes/getPriorityScore"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/moveChildBackToParentDependencies"

local maxEvents = getOrSetMaxEvents(KEYS[5])
local isPausedOrMaxed = isQueuePausedOrMaxed(KEYS[5], KEYS[6])
local moved = 0
local prioritized = 0

for _, jobId in ipairs(ARGV) do
  if rcall("ZREM", KEYS[3], jobId) == 1 then
    local jobKey = KEYS[1] .. jobId
    rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "atm", "ats")
    moveChildBackToParentDependencies(jobKey, "failed")
    local priority = tonumber(rcall("HGET", jobKey, "priority")) or 0
    if priority > 0 then
      rcall("ZADD", KEYS[8], getPriorityScore(priority, KEYS[9]), jobId)
      prioritized = prioritized + 1
    else
      rcall("LPUSH", KEYS[4], jobId)
    end
    rcall("XADD", KEYS[2], "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "failed")
    moved = moved + 1
  end
end

if moved > 0 then
  addBaseMarkerIfNeeded(KEYS[7], isPausedOrMaxed)
end

return {moved, prioritized}
