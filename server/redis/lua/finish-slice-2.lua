--[[
  Closes a timer slice once nothing is due before its end. Atomic with schedule(): a check
  added to this slice before the close is seen here (so the running job keeps going); one
  added after finds the slice closed and gets a job of its own.

  KEYS[1] deadline set   <base>deadlines
  KEYS[2] time slices that have a timer job   <base>slices

  ARGV[1] slice start ms   ARGV[2] slice end ms

  Returns SliceResult.Closed (-1) when closed, else the score of the earliest check before the slice end.
]]
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'WITHSCORES', 'LIMIT', 0, 1)
if #first > 0 then return tonumber(first[2]) end
redis.call('SREM', KEYS[2], ARGV[1])
return {{SliceResult.Closed}}
