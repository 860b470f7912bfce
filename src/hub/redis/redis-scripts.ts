/**
 * The Redis broker's Lua scripts. Each runs atomically in Redis, so a publication's offset, its
 * history entry and its live PUBLISH happen in one step, in one order for every process.
 *
 * Keys of topic T (prefix P): `P{T}:meta` (hash: e = epoch, o = last offset, t = history TTL in ms),
 * `P{T}:history` (stream; entry id `<offset>-1`, fields f = flags, k = key, d = data, t = time in ms),
 * `P{T}:presence` (hash: id -> `<owner>\n<entry JSON>`); a process's `Powner:<id>` key lives while the
 * process refreshes it; a presence hash lives three TTLs past its last refresh, so a live process can
 * still find a dead one's entries there and announce their leave. Channel messages: `<flags> <offset> <epoch> <key bytes>\n<key><data>` for a
 * publication (flags: `t` text or `b` binary, plus `k` when keyed), `j\n<entry JSON>` / `l\n<entry JSON>`
 * for a presence join / leave.
 *
 * A topic's keys share the hash tag `{T}`; presence scripts also read owner keys they compute, so
 * the broker needs a single Redis (or a primary with replicas), not Redis Cluster.
 */

/** Milliseconds from Redis's own clock, the one clock every process shares. */
const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/** A topic's state, created (offset 0, the caller's fresh epoch) when it has none. */
const TOPIC_STATE = `local epoch = redis.call('HGET', KEYS[1], 'e')
local offset = 0
if epoch then
  offset = tonumber(redis.call('HGET', KEYS[1], 'o'))
else
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0, 't', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end`;

/**
 * KEYS: meta, history. ARGV: fresh epoch, TTL ms, history size, channel, flags, key, data.
 * Returns {offset, epoch}.
 */
export const PUBLISH_SCRIPT = `${TOPIC_STATE}
offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('HSET', KEYS[1], 't', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local size = tonumber(ARGV[3])
if size > 0 then
  ${NOW_MS.replace('\n', '\n  ')}
  redis.call('XADD', KEYS[2], 'MAXLEN', size, offset .. '-1', 'f', ARGV[5], 'k', ARGV[6], 'd', ARGV[7], 't', now)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
else
  redis.call('DEL', KEYS[2])
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. offset .. ' ' .. epoch .. ' ' .. #ARGV[6] .. '\\n' .. ARGV[6] .. ARGV[7])
return {offset, epoch}`;

/**
 * KEYS: meta, history. ARGV: fresh epoch, TTL ms, since offset ('' for none), since epoch, limit
 * (-1 for all). Returns {status, epoch, offset, then offset, flags, key, data per publication}.
 * Status is 'ok' or a RecoveryFailure.
 */
export const HISTORY_SCRIPT = `${TOPIC_STATE}
local ttl = tonumber(redis.call('HGET', KEYS[1], 't') or ARGV[2])
${NOW_MS}
local cutoff = now - ttl
local limit = tonumber(ARGV[5])
local out = {'ok', epoch, offset}
local function add(entry)
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  if tonumber(fields.t) <= cutoff then return false end
  local id = entry[1]
  out[#out + 1] = tonumber(string.sub(id, 1, string.find(id, '-', 1, true) - 1))
  out[#out + 1] = fields.f
  out[#out + 1] = fields.k
  out[#out + 1] = fields.d
  return true
end
if ARGV[3] == '' then
  if limit == 0 then return out end
  local entries
  if limit < 0 then entries = redis.call('XREVRANGE', KEYS[2], '+', '-')
  else entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', limit) end
  local kept = {}
  for i = 1, #entries do
    local fields = entries[i][2]
    local t
    for j = 1, #fields, 2 do if fields[j] == 't' then t = tonumber(fields[j + 1]) end end
    if t <= cutoff then break end
    kept[#kept + 1] = entries[i]
  end
  for i = #kept, 1, -1 do add(kept[i]) end
  return out
end
local since = tonumber(ARGV[3])
if ARGV[4] ~= epoch then return {'epoch-changed', epoch, offset} end
if since > offset then return {'offset-ahead', epoch, offset} end
if since == offset then return out end
local first = redis.call('XRANGE', KEYS[2], (since + 1) .. '-1', '+', 'COUNT', 1)[1]
if not first or first[1] ~= (since + 1) .. '-1' or not add(first) then
  return {'history-gap', epoch, offset}
end
if limit >= 0 and offset - since > limit then return {'limit-exceeded', epoch, offset} end
local rest = redis.call('XRANGE', KEYS[2], '(' .. (since + 1) .. '-1', '+')
for i = 1, #rest do add(rest[i]) end
return out`;

/** KEYS: presence, owner. ARGV: channel, id, owner id, entry JSON, TTL ms. */
export const ADD_PRESENCE_SCRIPT = `redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. '\\n' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) * 3)
redis.call('PUBLISH', ARGV[1], 'j\\n' .. ARGV[4])
return 1`;

/** KEYS: presence. ARGV: channel, id, owner id. Removes the entry only if this owner holds it. */
export const REMOVE_PRESENCE_SCRIPT = `local value = redis.call('HGET', KEYS[1], ARGV[2])
if not value then return 0 end
local cut = string.find(value, '\\n', 1, true)
if string.sub(value, 1, cut - 1) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], 'l\\n' .. string.sub(value, cut + 1))
return 1`;

/**
 * KEYS: presence. ARGV: channel, owner key prefix. Returns the live entries' JSON; removes the
 * entries of owners whose key expired (dead processes) and announces their leave.
 */
export const LIST_PRESENCE_SCRIPT = `local all = redis.call('HGETALL', KEYS[1])
local alive = {}
local out = {}
for i = 1, #all, 2 do
  local value = all[i + 1]
  local cut = string.find(value, '\\n', 1, true)
  local owner = string.sub(value, 1, cut - 1)
  local live = alive[owner]
  if live == nil then
    live = redis.call('EXISTS', ARGV[2] .. owner) == 1
    alive[owner] = live
  end
  if live then
    out[#out + 1] = string.sub(value, cut + 1)
  else
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('PUBLISH', ARGV[1], 'l\\n' .. string.sub(value, cut + 1))
  end
end
return out`;

/**
 * KEYS: owner, then the presence hashes this process has entries in. ARGV: TTL ms. Returns 1, or 0
 * when the owner key was gone (Redis lost its data, or this process was away past the TTL): the
 * caller then adds its entries again.
 */
export const REFRESH_PRESENCE_SCRIPT = `local existed = redis.call('PEXPIRE', KEYS[1], ARGV[1])
if existed == 0 then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 3) end
return existed`;
