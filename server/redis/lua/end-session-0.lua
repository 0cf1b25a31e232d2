--[[
  Ends a session on purpose (logout, termination) and announces why.

  ARGV[1] key base   ARGV[2] session id   ARGV[3] event name   ARGV[4] event data (JSON)
  ARGV[5] optional user id the session must belong to ("" = any)

  Returns 1 ended, 0 no such session (or not that user's)
]]
--- @include "common"
local sid = ARGV[2]
local h = hgetall(sessionKey(sid))
if not h then return 0 end
if ARGV[5] ~= '' and h.u ~= ARGV[5] then return 0 end
local now = nowMs()
h.wa, h.ea = deadlines(h, promptSeconds())
endSession(sid, h, ARGV[3], ARGV[4], now)
return 1
