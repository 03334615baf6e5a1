--[[
  Retry up to ARGV[1] failed jobs (oldest first) of one queue: a bounded,
  priority-aware variant of BullMQ's moveJobsToWait (which pushes every job
  to `wait` and so drops a prioritized job's priority).

  Like Laravel's queue:retry, a retried job gets its tries back: attemptsMade
  and attemptsStarted are reset.

  KEYS[1] base key ('<prefix>:<queue>:')   KEYS[2] events stream
  KEYS[3] failed   KEYS[4] wait   KEYS[5] meta   KEYS[6] active
  KEYS[7] marker   KEYS[8] prioritized   KEYS[9] priority counter ('pc')

  ARGV[1] count (at most)   ARGV[2] failed-at cutoff (ms)

  Returns {moved, prioritized}
]]
local rcall = redis.call

--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/batches"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "saccos/retryFailedJob"

local jobs = rcall("ZRANGEBYSCORE", KEYS[3], 0, ARGV[2], "LIMIT", 0, tonumber(ARGV[1]))
if #jobs == 0 then
  return {0, 0}
end

local maxEvents = getOrSetMaxEvents(KEYS[5])
local isPausedOrMaxed = isQueuePausedOrMaxed(KEYS[5], KEYS[6])
local plain = {}
local prioritized = 0

for _, jobId in ipairs(jobs) do
  if retryFailedJob(KEYS[1], jobId, KEYS[2], maxEvents, KEYS[8], KEYS[9]) then
    prioritized = prioritized + 1
  else
    plain[#plain + 1] = jobId
  end
end

for from, to in batches(#jobs, 7000) do
  rcall("ZREM", KEYS[3], unpack(jobs, from, to))
end
for from, to in batches(#plain, 7000) do
  rcall("LPUSH", KEYS[4], unpack(plain, from, to))
end
addBaseMarkerIfNeeded(KEYS[7], isPausedOrMaxed)

return {#jobs, prioritized}
