--[[
  Extend Session: resets the idle counter, also from the warning state, and announces
  session.extended so that every tab of the session closes its prompt.
  A warning caused by the hard limit cannot be extended.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the session's hash   <base>s:<ARGV[1]>

  ARGV[1] session id

  Returns { SessionResult.Ok (1), now, newSlices... } extended;
          { SessionResult.NoSession (0) } no such session; { SessionResult.Expired (-1) } expired;
          { SessionResult.NotExtendable (-3) } not extendable (hard-limit warning)
]]
--- @include "common"
local sid = ARGV[1]
local key = KEYS[9]
local result, h, now, prompt = openSession(key, sid)
if not h then return { result } end
if h.st == 'w' and h.wr == 'max' then return { {{SessionResult.NotExtendable}} } end
leaveWarning(h)
h.la = now
h.lae = now
h.wa, h.ea = deadlines(h, prompt)
store(key, sid, h, 'la', now, 'lae', now)
emit('session.extended', sid, now, '{}', h)
return { {{SessionResult.Ok}}, now, unpack(newSlices) }
