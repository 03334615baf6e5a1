--[[
  Moves one failed job (already removed from the failed set) back to be
  processed: attempts reset, back into its parent's dependencies, and into
  `prioritized` with a fresh score when it has a priority, else returned for
  a batched LPUSH to `wait`. Emits BullMQ's "waiting" event.
  Shared by retry-failed.lua and retry-failed-ids.lua.
]]
--- @include "includes/getPriorityScore"
--- @include "includes/moveChildBackToParentDependencies"

local function retryFailedJob(baseKey, jobId, eventsKey, maxEvents, prioritizedKey, priorityCounterKey)
  local jobKey = baseKey .. jobId
  rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "atm", "ats")
  moveChildBackToParentDependencies(jobKey, "failed")
  rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "failed")
  local priority = tonumber(rcall("HGET", jobKey, "priority")) or 0
  if priority > 0 then
    rcall("ZADD", prioritizedKey, getPriorityScore(priority, priorityCounterKey), jobId)
    return true
  end
  return false
end
