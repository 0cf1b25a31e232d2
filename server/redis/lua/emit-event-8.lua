--[[
  Appends a non-session event (policy.updated, login.*, token.*) to the realm's stream, with
  the same envelope and counters as session events.

  KEYS[1..8] the realm keys of includes/common.lua (it writes KEYS[4] events and a counter
  hash under KEYS[5])

  ARGV[1] name   ARGV[2] session id or ""   ARGV[3] data JSON   ARGV[4] session hash JSON or ""

  Returns the stream id.
]]
--- @include "common"
local now = nowMs()
local h = nil
if ARGV[4] ~= '' then h = cjson.decode(ARGV[4]) end
return emit(ARGV[1], ARGV[2], now, ARGV[3], h)
