--[[
  Closes a timer slice once nothing is due before its end. Atomic with schedule(): a check
  added to this slice before the close is seen here (so the running job keeps going); one
  added after finds the slice closed and gets a job of its own.

  ARGV[1] key base   ARGV[2] slice start ms   ARGV[3] slice end ms

  Returns -1 when closed, else the score of the earliest check before the slice end.
]]
--- @include "common"
local first = redis.call('ZRANGEBYSCORE', KB .. 'deadlines', '-inf', '(' .. ARGV[3], 'WITHSCORES', 'LIMIT', 0, 1)
if #first > 0 then return tonumber(first[2]) end
redis.call('SREM', KB .. 'slices', ARGV[2])
return -1
