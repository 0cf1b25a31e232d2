--[[
  Applies a new idle timeout (a token-lifetime change, or a realm policy change) and/or a
  new hard limit to one live session at once: recomputes its deadlines, leaves the warning
  state if the new deadline is no longer near, reschedules its check (deadlines may move
  earlier, so the deadline set is rewritten) and announces session.updated when anything
  visible changed. A session already past its new deadline expires now.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the session's hash   <base>s:<ARGV[1]>

  ARGV[1] session id   ARGV[2] new idle timeout s ("" = keep)
  ARGV[3] new max seconds from creation ("" = keep)

  Returns { result, now, newSlices... }: SessionResult.Ok (1) updated, SessionResult.Unchanged (2)
  unchanged, SessionResult.NoSession (0) none, SessionResult.Expired (-1) expired
]]
--- @include "common"
local sid = ARGV[1]
local key = KEYS[9]
local h = hgetall(key)
if not h then return { {{SessionResult.NoSession}} } end
local now = nowMs()
local prompt = promptSeconds()
local fields = {}
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= tonumber(h.it) then
  h.it = tonumber(ARGV[2])
  fields[#fields + 1] = 'idleTimeout'
end
if ARGV[3] ~= '' then
  local mx = tonumber(h.ca) + tonumber(ARGV[3]) * 1000
  if mx ~= tonumber(h.mx) then
    h.mx = mx
    fields[#fields + 1] = 'maxExpiresAt'
  end
end
local wa, ea, reason = deadlines(h, prompt)
if wa ~= tonumber(h.wa) then fields[#fields + 1] = 'warnAt' end
if ea ~= tonumber(h.ea) then fields[#fields + 1] = 'expiresAt' end
if #fields == 0 then return { {{SessionResult.Unchanged}}, now } end
h.wa = wa
h.ea = ea
if expireIfDue(key, sid, h, now, prompt) then return { {{SessionResult.Expired}}, now } end
if h.st == 'w' and now < wa then
  leaveWarning(h)
  fields[#fields + 1] = 'state'
elseif h.st == 'w' then
  h.wr = reason
end
store(key, sid, h, 'it', h.it, 'mx', h.mx)
emit('session.updated', sid, now, cjson.encode({ fields = fields }), h)
return { {{SessionResult.Ok}}, now, unpack(newSlices) }
