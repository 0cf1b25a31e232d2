--[[
  Ends a session on purpose (logout, termination) and announces why.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the session's hash   <base>s:<ARGV[1]>

  ARGV[1] session id   ARGV[2] event name   ARGV[3] event data (JSON)
  ARGV[4] optional user id the session must belong to ("" = any)

  Returns SessionResult.Ok (1) ended; SessionResult.NoSession (0) no such session (or not that user's)
]]
--- @include "common"
local sid = ARGV[1]
local h = hgetall(KEYS[9])
if not h then return {{SessionResult.NoSession}} end
if ARGV[4] ~= '' and h.u ~= ARGV[4] then return {{SessionResult.NoSession}} end
local now = nowMs()
h.wa, h.ea = deadlines(h, promptSeconds())
endSession(KEYS[9], sid, h, ARGV[2], ARGV[3], now)
return {{SessionResult.Ok}}
