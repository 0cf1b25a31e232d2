--[[
  Moves an outbound consumer's cursor (a webhook's, back-channel logout's) forward to an event
  it is done with. Only forward: a slow duplicate drainer (a stalled job run again) never moves
  it back, so nothing is delivered twice more than at-least-once needs. Only if the consumer is
  still there: a webhook deleted or disabled meanwhile is not brought back by its last drain.

  KEYS[1] the realm's outbound cursors hash   <base>ob:cursors

  ARGV[1] consumer ("wh:<id>" or "bcl")   ARGV[2] event id ("ms-seq")

  Returns 1 when the cursor moved, 0 when not (no such consumer, or already at or past it).
]]
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms or '0'), tonumber(seq or '0')
end
local cm, cs = parts(cur)
local nm, ns = parts(ARGV[2])
if nm > cm or (nm == cm and ns > cs) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
