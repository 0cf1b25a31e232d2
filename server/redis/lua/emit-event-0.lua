--[[
  Appends a non-session event (policy.updated, login.*, token.*) to the realm's stream, with
  the same envelope and counters as session events.

  ARGV[1] key base   ARGV[2] name   ARGV[3] session id or ""   ARGV[4] data JSON
  ARGV[5] session hash JSON or ""

  Returns the stream id.
]]
--- @include "common"
local now = nowMs()
local h = nil
if ARGV[5] ~= '' then h = cjson.decode(ARGV[5]) end
return emit(ARGV[2], ARGV[3], now, ARGV[4], h)
