--[[
  Shared pieces of every session script. Included by `--- @include "common"`.

  Every script that includes this takes these eight KEYS first (server/redis/keys.ts
  `sessionScript`); its own keys follow them. All are the realm's keys, in the realm's
  one Redis Cluster slot by its {realm} hash tag; prefix keys are only ever extended by an id,
  so the keys derived from them keep that slot.
    KEYS[1] policy hash                          <base>policy
    KEYS[2] deadline set (zset, score = next check time, member = session id)   <base>deadlines
    KEYS[3] time slices that have a timer job    <base>slices
    KEYS[4] event stream                         <base>events
    KEYS[5] per-minute counter prefix: a minute's counter hash is KEYS[5]..minute, same slot by the {realm} tag
    KEYS[6] live counts hash (by kind, and "warning")   <base>count
    KEYS[7] token index hash (token hash -> session id) <base>tokens: only for tokens of the
            first release's form; today's tokens name their session (sessions/tokens.ts)
    KEYS[8] user session set prefix: a user's set of session ids is KEYS[8]..userId, same slot by the {realm} tag

  Session hash fields (short names keep a live session under 1 KiB):
    id, k (kind), u (user id), n (username), c (client id or ""), st ("a" active | "w" warning),
    wr (warning reason "idle"|"max"), ca (created ms), la (last activity ms), it (idle timeout s),
    mx (max expiry ms), wa (warn at ms), ea (expires at ms), ip, ua, th (token hash),
    lae (last activity event ms), las (source of the last activity)
]]
local policyKey = KEYS[1]
local deadlinesKey = KEYS[2]
local slicesKey = KEYS[3]
local eventsKey = KEYS[4]
local countersPrefix = KEYS[5]
local countsKey = KEYS[6]
local tokensKey = KEYS[7]
local userSessionsPrefix = KEYS[8]
local SLICE_MS = {{SLICE_MS}} -- server/redis/scripts.ts owns it
-- the realm stream's retention (VIGIL_EVENT_RETENTION_COUNT / _DAYS, written in by scripts.ts):
-- trimmed approximately (whole stream nodes), so that trimming costs O(1) per event
local STREAM_MAXLEN = {{EVENT_RETENTION_COUNT}}
local STREAM_MAX_AGE_MS = {{EVENT_RETENTION_MS}}
local newSlices = {}

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

local function promptSeconds()
  return tonumber(redis.call('HGET', policyKey, 'expiryPromptSeconds') or '30')
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

-- A slice this script has already marked needs no second SADD (a storm's deadlines share
-- a few slices: one SADD per slice instead of one per deadline).
local markedSlices = {}
local function markSlice(at)
  local slice = math.floor(at / SLICE_MS) * SLICE_MS
  if markedSlices[slice] then return end
  markedSlices[slice] = true
  if redis.call('SADD', slicesKey, slice) == 1 then
    newSlices[#newSlices + 1] = slice
  end
end

-- Puts the session's next check time in the deadline set and reports time slices that had no
-- timer job yet; the caller adds one BullMQ delayed job per reported slice.
local function schedule(sid, at)
  redis.call('ZADD', deadlinesKey, at, sid)
  markSlice(at)
end

-- Brings the session's next check forward to `at` if it is later (ZADD LT), with a timer job
-- for its slice: the trailing activity announcement (recordActivity, fire-due).
local function scheduleBefore(sid, at)
  if redis.call('ZADD', deadlinesKey, 'LT', 'CH', at, sid) == 1 then markSlice(at) end
end

-- A script that announces many events (fire-due in an expiry storm) batches their
-- bookkeeping: beginBatch() before, flushBatch() after, and in between the live counts, the
-- per-minute event counters and the stream's age trim are summed up and written once each,
-- instead of four calls per event (bench:timers T2). Other scripts write them at once.
local batch = nil
local function beginBatch()
  batch = { counts = {}, minutes = {}, lastMs = nil }
end

local function countEvent(name, at)
  local minute = math.floor(at / 60000)
  if batch then
    local names = batch.minutes[minute]
    if not names then
      names = {}
      batch.minutes[minute] = names
    end
    names[name] = (names[name] or 0) + 1
    return
  end
  redis.call('HINCRBY', countersPrefix .. minute, name, 1)
  redis.call('EXPIRE', countersPrefix .. minute, 3720)
end

-- The session as an event carries it in the stream (field h): a JSON array in the order of
-- sessions/format.ts STREAM_SESSION_FIELDS, without its id (the entry's s), its times relative to
-- the entry's t, and never the token hash or bookkeeping (lae, las): every viewer reads the
-- stream. Half the bytes of the object with names (bench:memory T6: the stream's share of a
-- session was 455 of its 1,262 bytes).
local function packSession(h, at)
  local t = tonumber(at)
  local function rel(v) return (tonumber(v) or 0) - t end
  return cjson.encode({ h.k or '', h.u or '', h.n or '', h.c or '', h.st or '', h.wr or '',
    rel(h.ca), rel(h.la), tonumber(h.it) or 0, rel(h.mx), rel(h.wa), rel(h.ea), h.ip or '', h.ua or '' })
end

-- Appends one event to the realm's stream; the stream id is the clients' resume cursor.
local function emit(name, sid, at, dataJson, h)
  local fields = { 'n', name, 's', sid or '', 't', at, 'd', dataJson or '{}' }
  if h then
    fields[#fields + 1] = 'h'
    fields[#fields + 1] = packSession(h, at)
  end
  local id = redis.call('XADD', eventsKey, 'MAXLEN', '~', STREAM_MAXLEN, '*', unpack(fields))
  -- XADD takes one trimming strategy; the age limit is the second, measured from the new id's time
  local ms = tonumber(string.match(id, '^(%d+)'))
  if batch then
    batch.lastMs = ms
  else
    redis.call('XTRIM', eventsKey, 'MINID', '~', ms - STREAM_MAX_AGE_MS)
  end
  countEvent(name, at)
  return id
end

-- Live counts per realm (by kind, and in warning), kept by the same scripts that change
-- sessions, so that the wall display's counters cost O(1) however many sessions there are.
local function count(field, by)
  if batch then
    batch.counts[field] = (batch.counts[field] or 0) + by
    return
  end
  redis.call('HINCRBY', countsKey, field, by)
end

local function flushBatch()
  if not batch then return end
  for field, by in pairs(batch.counts) do
    if by ~= 0 then redis.call('HINCRBY', countsKey, field, by) end
  end
  for minute, names in pairs(batch.minutes) do
    for name, n in pairs(names) do redis.call('HINCRBY', countersPrefix .. minute, name, n) end
    redis.call('EXPIRE', countersPrefix .. minute, 3720)
  end
  if batch.lastMs then redis.call('XTRIM', eventsKey, 'MINID', '~', batch.lastMs - STREAM_MAX_AGE_MS) end
  batch = nil
end

-- Removes every trace of a session (its hash at key) and announces why it ended.
local function endSession(key, sid, h, name, dataJson, at)
  count(h.k, -1)
  if h.st == 'w' then count('warning', -1) end
  redis.call('DEL', key)
  if h.th and h.th ~= '' then redis.call('HDEL', tokensKey, h.th) end
  redis.call('ZREM', deadlinesKey, sid)
  redis.call('SREM', userSessionsPrefix .. h.u, sid)
  return emit(name, sid, at, dataJson, h)
end

-- If the session is past its deadline, ends it now (whoever notices first: timer or request).
local function expireIfDue(key, sid, h, now, prompt)
  local wa, ea, reason = deadlines(h, prompt)
  if now >= ea then
    h.wa = wa
    h.ea = ea
    endSession(key, sid, h, 'session.expired', cjson.encode({ reason = reason }), now)
    return true, wa, ea, reason
  end
  return false, wa, ea, reason
end

-- The live session at key for a script that changes it: SessionResult.Ok, the session, the
-- time and the prompt; or, with no session, why not: SessionResult.NoSession, or
-- SessionResult.Expired (it was past its deadline, so it was ended here).
local function openSession(key, sid)
  local h = hgetall(key)
  if not h then return {{SessionResult.NoSession}} end
  local now = nowMs()
  local prompt = promptSeconds()
  if expireIfDue(key, sid, h, now, prompt) then return {{SessionResult.Expired}} end
  return {{SessionResult.Ok}}, h, now, prompt
end

-- Activity on an active session (a request, a touch, an OIDC refresh). Activity only ever
-- moves deadlines later, so the pending check finds the new deadline and reschedules itself.
-- session.activity is coalesced to one per session per second, leading and trailing: the
-- first activity after a quiet second is announced at once; later ones within that second
-- only bring the session's check forward to the second's end, where fire-due announces the
-- last of them (the CONTRACT's "the last activity of each second is always announced").
local function recordActivity(key, sid, h, now, prompt, source)
  h.la = now
  local wa, ea = deadlines(h, prompt)
  h.wa = wa
  h.ea = ea
  local lae = tonumber(h.lae or '0')
  if now - lae >= 1000 then
    redis.call('HSET', key, 'la', now, 'wa', wa, 'ea', ea, 'lae', now, 'las', source)
    h.lae = now
    emit('session.activity', sid, now, cjson.encode({ source = source }), h)
  else
    -- trailing: the last activity of this second is announced by the check at lae + 1 s
    -- (fire-due), so every copy of la, wa and ea converges within about a second
    redis.call('HSET', key, 'la', now, 'wa', wa, 'ea', ea, 'las', source)
    scheduleBefore(sid, lae + 1000)
  end
end

-- Leaves the warning state (an extend, or a new limit that moved the deadline away).
local function leaveWarning(h)
  if h.st == 'w' then count('warning', -1) end
  h.st = 'a'
  h.wr = ''
end

-- Writes the session's state and deadlines (h.st, h.wr, h.wa, h.ea), and any further field
-- and value pairs given, and schedules its next check: the warning while active, the expiry
-- while in warning. Deadlines may have moved earlier, so the deadline set is rewritten.
local function store(key, sid, h, ...)
  redis.call('HSET', key, 'st', h.st, 'wr', h.wr, 'wa', h.wa, 'ea', h.ea, ...)
  if h.st == 'a' then schedule(sid, h.wa) else schedule(sid, h.ea) end
end
