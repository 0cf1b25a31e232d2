--[[
  Shared pieces of every session script. Included by `--- @include "common"`.

  ARGV[1] is always the realm's key base, e.g. "vigil:{default}:"; every key is built from
  it so that one realm's keys share one Redis Cluster slot (the {realm} hash tag).

  Session hash fields (short names keep a live session under 1 KiB):
    id, k (kind), u (user id), n (username), c (client id or ""), st ("a" active | "w" warning),
    wr (warning reason "idle"|"max"), ca (created ms), la (last activity ms), it (idle timeout s),
    mx (max expiry ms), wa (warn at ms), ea (expires at ms), ip, ua, th (token hash),
    lae (last activity event ms)
]]
local KB = ARGV[1]
local SLICE_MS = {{SLICE_MS}} -- server/redis/scripts.ts owns it
local STREAM_MAXLEN = 100000
local newSlices = {}

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function sessionKey(sid)
  return KB .. 's:' .. sid
end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

local function promptSeconds()
  return tonumber(redis.call('HGET', KB .. 'policy', 'expiryPromptSeconds') or '30')
end

-- expiresAt = min(lastActivityAt + idleLimit, maxExpiresAt); warnAt = expiresAt - prompt.
-- A console session's idle limit is its token lifetime plus the prompt (the TrueNAS model).
local function deadlines(h, prompt)
  local idle = tonumber(h.it) * 1000
  if h.k == 'console' then idle = idle + prompt * 1000 end
  local ea = tonumber(h.la) + idle
  local reason = 'idle'
  local mx = tonumber(h.mx)
  if mx <= ea then
    ea = mx
    reason = 'max'
  end
  return ea - prompt * 1000, ea, reason
end

-- Puts the session's next check time in the deadline set and reports time slices that had no
-- timer job yet; the caller adds one BullMQ delayed job per reported slice.
local function schedule(sid, at)
  redis.call('ZADD', KB .. 'deadlines', at, sid)
  local slice = math.floor(at / SLICE_MS) * SLICE_MS
  if redis.call('SADD', KB .. 'slices', slice) == 1 then
    newSlices[#newSlices + 1] = slice
  end
end

local function countEvent(name, at)
  local minute = math.floor(at / 60000)
  local key = KB .. 'cnt:' .. minute
  redis.call('HINCRBY', key, name, 1)
  redis.call('EXPIRE', key, 3720)
end

-- Appends one event to the realm's stream; the stream id is the clients' resume cursor.
local function emit(name, sid, at, dataJson, h)
  local fields = { 'n', name, 's', sid or '', 't', at, 'd', dataJson or '{}' }
  if h then
    -- the token hash and bookkeeping stay out of the stream that every viewer reads
    local th, lae = h.th, h.lae
    h.th, h.lae = nil, nil
    fields[#fields + 1] = 'h'
    fields[#fields + 1] = cjson.encode(h)
    h.th, h.lae = th, lae
  end
  local id = redis.call('XADD', KB .. 'events', 'MAXLEN', '~', STREAM_MAXLEN, '*', unpack(fields))
  countEvent(name, at)
  return id
end

-- Live counts per realm (by kind, and in warning), kept by the same scripts that change
-- sessions, so that the wall display's counters cost O(1) however many sessions there are.
local function count(field, by)
  redis.call('HINCRBY', KB .. 'count', field, by)
end

-- Removes every trace of a session and announces why it ended.
local function endSession(sid, h, name, dataJson, at)
  count(h.k, -1)
  if h.st == 'w' then count('warning', -1) end
  redis.call('DEL', sessionKey(sid))
  if h.th and h.th ~= '' then redis.call('HDEL', KB .. 'tokens', h.th) end
  redis.call('ZREM', KB .. 'deadlines', sid)
  redis.call('SREM', KB .. 'u:' .. h.u, sid)
  return emit(name, sid, at, dataJson, h)
end

-- If the session is past its deadline, ends it now (whoever notices first: timer or request).
local function expireIfDue(sid, h, now, prompt)
  local wa, ea, reason = deadlines(h, prompt)
  if now >= ea then
    h.wa = wa
    h.ea = ea
    endSession(sid, h, 'session.expired', cjson.encode({ reason = reason }), now)
    return true, wa, ea, reason
  end
  return false, wa, ea, reason
end
