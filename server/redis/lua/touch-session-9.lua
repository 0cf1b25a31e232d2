--[[
  Records activity on a session (includes/common.lua recordActivity: deadlines only move
  later, session.activity at most once a second). While the session is in warning only an
  explicit extend counts, so activity is ignored.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the session's hash   <base>s:<ARGV[1]>

  ARGV[1] session id   ARGV[2] source

  Returns { result, newSlices... }: SessionResult.Ok (1) recorded, SessionResult.Unchanged (2)
          ignored (in warning), SessionResult.NoSession (0) no such session,
          SessionResult.Expired (-1) expired just now
]]
--- @include "common"
local sid = ARGV[1]
local key = KEYS[9]
local result, h, now, prompt = openSession(key, sid)
if not h then return { result } end
if h.st ~= 'a' then return { {{SessionResult.Unchanged}} } end
recordActivity(key, sid, h, now, prompt, ARGV[2])
return { {{SessionResult.Ok}}, unpack(newSlices) }
