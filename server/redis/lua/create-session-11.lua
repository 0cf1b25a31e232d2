--[[
  Starts a session: stores it (with its token's hash: the token names the session, so there
  is no token index entry to write), schedules its first check and announces session.started,
  in one atomic step.

  The policy's maxSessionsPerUser (0 = unlimited) is enforced here, in the same step, so that
  parallel sign-ins of one user cannot together pass it: the user's live sessions are counted
  (one past its deadline is ended on the way, as every script does), and at the limit either
  the sign-in is refused (sessionLimitBehavior "deny-new") or the oldest sessions are ended
  with session.terminated {reason: "session-limit"} before session.started ("terminate-oldest").

  KEYS[1..8] the realm keys of includes/common.lua (policy, deadlines, slices, events, ...)
  KEYS[9] the new session's hash    <base>s:<ARGV[1]>
  KEYS[10] its user's session set   <base>u:<ARGV[4]>
  KEYS[11] the session hash prefix  <base>s: (the user's other sessions are KEYS[11]..id, same slot by the {realm} tag)

  ARGV[1] session id   ARGV[2] token hash   ARGV[3] kind
  ARGV[4] user id      ARGV[5] username     ARGV[6] client id ("" for none)
  ARGV[7] idle timeout in seconds (console: the token lifetime; "" = from policy by kind)
  ARGV[8] ip           ARGV[9] user agent
  ARGV[10] session.started's data as JSON ("" = {}); e.g. who minted the session

  Returns { now, the session as stored (HGETALL's flat form), newSlices... }, or { SessionResult.SessionLimit ({{SessionResult.SessionLimit}}) } when
  the user is at maxSessionsPerUser and the behaviour is deny-new (nothing changed then, but
  the user's sessions found past their deadline, which were ended)
]]
--- @include "common"
local sid, th, kind = ARGV[1], ARGV[2], ARGV[3]
local now = nowMs()
local prompt = promptSeconds()
local policy = policyKey
local it = tonumber(ARGV[7])
local maxSeconds
if kind == 'console' then
  maxSeconds = tonumber(redis.call('HGET', policy, 'consoleSessionMax'))
elseif kind == 'sso' then
  it = it or tonumber(redis.call('HGET', policy, 'ssoSessionIdle'))
  maxSeconds = tonumber(redis.call('HGET', policy, 'ssoSessionMax'))
else
  it = it or tonumber(redis.call('HGET', policy, 'offlineSessionIdle'))
  if redis.call('HGET', policy, 'offlineSessionMaxEnabled') == 'true' then
    maxSeconds = tonumber(redis.call('HGET', policy, 'offlineSessionMax'))
  else
    maxSeconds = 100 * 365 * 86400
  end
end
local limit = tonumber(redis.call('HGET', policy, 'maxSessionsPerUser') or '0') or 0
if limit > 0 then
  local live = {}
  for _, other in ipairs(redis.call('SMEMBERS', KEYS[10])) do
    local otherKey = KEYS[11] .. other
    local oh = hgetall(otherKey)
    if not oh then
      redis.call('SREM', KEYS[10], other)
    elseif not expireIfDue(otherKey, other, oh, now, prompt) then
      live[#live + 1] = oh
    end
  end
  if #live >= limit then
    if redis.call('HGET', policy, 'sessionLimitBehavior') == 'deny-new' then
      return { {{SessionResult.SessionLimit}} }
    end
    table.sort(live, function(a, b)
      local ac, bc = tonumber(a.ca), tonumber(b.ca)
      if ac ~= bc then return ac < bc end
      return a.id < b.id
    end)
    local data = cjson.encode({ reason = 'session-limit', by = cjson.null })
    for i = 1, #live - limit + 1 do
      endSession(KEYS[11] .. live[i].id, live[i].id, live[i], 'session.terminated', data, now)
    end
  end
end
local h = {
  id = sid, k = kind, u = ARGV[4], n = ARGV[5], c = ARGV[6], st = 'a', wr = '',
  ca = now, la = now, it = it, mx = now + maxSeconds * 1000, ip = ARGV[8], ua = ARGV[9],
  th = th, lae = now,
}
local wa, ea = deadlines(h, prompt)
h.wa = wa
h.ea = ea
local flat = {}
for f, v in pairs(h) do
  flat[#flat + 1] = f
  flat[#flat + 1] = v
end
redis.call('HSET', KEYS[9], unpack(flat))
redis.call('SADD', KEYS[10], sid)
count(kind, 1)
schedule(sid, wa)
emit('session.started', sid, now, ARGV[10] ~= '' and ARGV[10] or '{}', h)
return { now, flat, unpack(newSlices) }
