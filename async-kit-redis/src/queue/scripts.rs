//! The queue's Lua scripts. Each runs atomically inside Redis, so capacity,
//! delivery and acknowledgement are decided there, never by a read in one
//! process followed by a write.
//!
//! Keys: `KEYS[1]` the stream, `KEYS[2]` the shutdown flag. The consumer
//! group is always `ARGV[1]`, the event channel `ARGV[2]`.
//!
//! **Delayed items** wait in a sorted set (`…:d`) scored by their due time
//! (server `TIME`, unix ms); each member is a 20-digit sequence number from
//! `…:dseq`, a `:`, and the item's JSON, so members are unique and items
//! due at the same millisecond keep their put order. `PUT` and `GET` move
//! the due ones into the stream first (only when the set exists: one
//! `EXISTS` otherwise), in due order and only as far as the capacity leaves
//! room. A member in another shape is moved whole, as raw bytes, so that
//! the getter sees a decode error and the other items still flow.
//!
//! **Priority queues** keep their waiting items in another sorted set
//! (`…:pq`) scored by priority, members in the same shape (numbered from
//! `…:pseq`), so equal priorities keep their put order. `PRIORITY_PUT`
//! adds to it; the other scripts take the set as an extra, last key and
//! only then look at it, so a FIFO queue's scripts run as before: `GET`
//! moves the smallest members into the stream just before it reads new
//! entries (`ZPOPMIN`), so delivery, leases and acknowledgement stay the
//! stream's. A priority queue's delayed members carry their priority
//! (`NUMBER:PRIORITY:JSON`), and promotion moves them into its set.
//!
//! **Events only when someone waits.** A caller about to wait registers in
//! the same script that found it must wait (an item, room, or the end of
//! the work): it sets a marker key (`…:w:get`, `…:w:put`, `…:w:join`) that
//! expires after twice its re-check period. A script publishes an event
//! only when the marker of those it would wake exists. Because the check
//! and the registration are one atomic script, and the waiter listens
//! before it runs it, no event a waiter needs is skipped; a marker left by a
//! process that died only costs events until it expires.

use std::sync::LazyLock;

use redis::Script;

/// Registers a waiter: the marker `key` lives at least `ttl` ms more.
const REGISTER: &str = r"
local function register(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('SET', key, '1', 'PX', ttl) end
end
";

/// The two counts the scripts decide by, written once: `waiting(stream,
/// group, pq)`, the items no consumer holds (the stream's entries not yet
/// delivered, plus a priority queue's set `pq` when given), which the
/// capacity bounds; and `unfinished(stream, delayed, pq)`, the items not yet
/// acknowledged (the stream's entries, delayed items, and `pq`'s members),
/// which `join` waits for.
const COUNTS: &str = r"
local function waiting(stream, group, pq)
  local n = redis.call('XLEN', stream) - redis.call('XPENDING', stream, group)[1]
  if pq then n = n + redis.call('ZCARD', pq) end
  return n
end
local function unfinished(stream, delayed, pq)
  local n = redis.call('XLEN', stream) + redis.call('ZCARD', delayed)
  if pq then n = n + redis.call('ZCARD', pq) end
  return n
end
";

fn script(body: &str) -> Script {
    Script::new(&format!("{REGISTER}{COUNTS}{body}"))
}

/// The delayed set's helpers: the server clock in ms, a member's parts,
/// promotion of due members, and the time until the next one is due.
///
/// `promote(stream, set, group, cap, pq, pseq)` moves up to 1 000 due
/// members (so a backlog never holds Redis for long) into `stream`, as far
/// as the capacity `cap` (0: unbounded) leaves room for waiting items, and
/// returns how many it moved. A priority queue passes its set `pq` and
/// counter `pseq`: its delayed members hold `PRIORITY:JSON` after the
/// number, and each enters `pq` with that priority and the next number of
/// `pseq` (behind the equal priorities already waiting); a member not in
/// that shape goes to the stream whole, as raw bytes. `pq`'s members count
/// as waiting for the room. `next_due(set)` is nil when the set is empty, else
/// the ms until its earliest member is due (at least 1).
const DELAYED: &str = r"
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function split(member)
  if #member > 20 and string.sub(member, 21, 21) == ':' and string.find(string.sub(member, 1, 20), '^%d+$') then
    return string.sub(member, 1, 20), string.sub(member, 22)
  end
  return '', member
end
local function split_priority(value)
  return string.match(value, '^(%-?%d+):(.*)$')
end
local function promote(stream, set, group, cap, pq, pseq)
  local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
  if #first == 0 then return 0 end
  local now = now_ms()
  if tonumber(first[2]) > now then return 0 end
  local room = 1000
  if cap > 0 then
    room = math.min(room, cap - waiting(stream, group, pq))
  end
  if room <= 0 then return 0 end
  local due = redis.call('ZRANGEBYSCORE', set, '-inf', string.format('%.0f', now), 'LIMIT', 0, room)
  for _, member in ipairs(due) do
    local _, value = split(member)
    local priority, json
    if pq then priority, json = split_priority(value) end
    if priority then
      local seq = redis.call('INCR', pseq)
      redis.call('ZADD', pq, priority, string.format('%020d', seq) .. ':' .. json)
    else
      redis.call('XADD', stream, '*', 'v', value)
    end
  end
  if #due > 0 then redis.call('ZREM', set, unpack(due)) end
  return #due
end
local function next_due(set)
  local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
  if #first == 0 then return nil end
  return math.max(tonumber(first[2]) - now_ms(), 1)
end
";

fn delayed_script(body: &str) -> Script {
    Script::new(&format!("{REGISTER}{COUNTS}{DELAYED}{body}"))
}

/// Adds as many of `ARGV[6..]` as the capacity `ARGV[3]` (0: unbounded)
/// leaves room for, after moving the due delayed items (`KEYS[5]`) in, so
/// that an item due earlier comes out before one put now. Returns the
/// number added, or -1 if the queue is shut down. Waiting items are the
/// stream's entries minus those delivered and not yet acknowledged.
/// Publishes `p` if getters wait (`KEYS[3]`); when nothing fits and
/// `ARGV[4] == '1'`, registers the caller as a waiting putter (`KEYS[4]`,
/// for `ARGV[5]` ms).
pub(crate) static PUT: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
local cap = tonumber(ARGV[3])
local promoted = 0
local getters = false
-- One probe for the three keys that are usually absent: the shutdown
-- flag, the delayed set and the getters' marker.
if redis.call('EXISTS', KEYS[2], KEYS[5], KEYS[3]) > 0 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
  if redis.call('EXISTS', KEYS[5]) == 1 then promoted = promote(KEYS[1], KEYS[5], ARGV[1], cap) end
  getters = redis.call('EXISTS', KEYS[3]) == 1
end
local room = #ARGV - 5
if cap > 0 then
  room = math.max(math.min(room, cap - waiting(KEYS[1], ARGV[1])), 0)
end
for i = 6, 5 + room do
  redis.call('XADD', KEYS[1], '*', 'v', ARGV[i])
end
if room + promoted > 0 and getters then
  redis.call('PUBLISH', ARGV[2], 'p')
end
if room > 0 then return room end
if ARGV[4] == '1' then register(KEYS[4], ARGV[5]) end
return 0
",
    )
});

/// A priority queue's put: adds as many of the (priority, JSON) pairs
/// `ARGV[6..]` to the set `KEYS[5]` as the capacity `ARGV[3]` (0:
/// unbounded) leaves room for, each member the next number of `KEYS[6]`
/// (one `INCRBY` for the batch), `:` and the JSON, after moving the due
/// delayed items (`KEYS[7]`) in. Waiting items are the set's members and
/// the stream's undelivered entries. Returns, publishes and registers as
/// `PUT` does.
pub(crate) static PRIORITY_PUT: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local cap = tonumber(ARGV[3])
local promoted = 0
if redis.call('EXISTS', KEYS[7]) == 1 then
  promoted = promote(KEYS[1], KEYS[7], ARGV[1], cap, KEYS[5], KEYS[6])
end
local room = (#ARGV - 5) / 2
if cap > 0 then
  room = math.max(math.min(room, cap - waiting(KEYS[1], ARGV[1], KEYS[5])), 0)
end
if room > 0 then
  local first = redis.call('INCRBY', KEYS[6], room) - room
  for i = 1, room do
    local member = string.format('%020d', first + i) .. ':' .. ARGV[5 + 2 * i]
    redis.call('ZADD', KEYS[5], ARGV[4 + 2 * i], member)
  end
end
if room + promoted > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('PUBLISH', ARGV[2], 'p')
end
if room > 0 then return room end
if ARGV[4] == '1' then register(KEYS[4], ARGV[5]) end
return 0
",
    )
});

/// Adds the delayed item `ARGV[4]` to the set `KEYS[1]`, due `ARGV[3]` ms
/// after the server's `TIME` when `ARGV[1] == 'after'`, else at the unix
/// time `ARGV[3]` ms (this script has no group: `ARGV[1]` is the mode).
/// Its member takes the next number of `KEYS[4]`; a priority queue's
/// member holds its priority `ARGV[5]` too (`NUMBER:PRIORITY:JSON`).
/// Returns 1, or -1 if the queue is shut down (`KEYS[2]`). Publishes `p` if
/// getters wait (`KEYS[3]`), so that one sleeping until a later due time
/// looks at this one.
pub(crate) static DELAY: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local due = tonumber(ARGV[3])
if ARGV[1] == 'after' then due = now_ms() + due end
local seq = redis.call('INCR', KEYS[4])
local value = ARGV[4]
if ARGV[5] then value = ARGV[5] .. ':' .. value end
redis.call('ZADD', KEYS[1], string.format('%.0f', due), string.format('%020d', seq) .. ':' .. value)
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PUBLISH', ARGV[2], 'p') end
return 1
",
    )
});

/// Takes up to `ARGV[4]` entries for the consumer `ARGV[3]`: new ones, and
/// entries whose lease (`ARGV[5]` ms) expired with another consumer — those
/// first when `ARGV[6] == '1'` (the handle asks every quarter lease, so
/// expired entries never starve), else only when nothing new is waiting
/// (sparing the busy path an `XAUTOCLAIM` scan).
/// Due delayed items (`KEYS[5]`) move into the stream first, as far as the
/// capacity `ARGV[9]` leaves room, and again after new entries were taken,
/// so that a due item enters as soon as a get makes room.
/// Returns `{'ok', id, value, ...}`; when nothing was taken, `{'wait', ms}`
/// if delayed items remain (the earliest is due in `ms`, server clock),
/// else `{'shutdown'}` if the queue is shut down. An entry without a `v`
/// field gives its first value, so a malformed entry still reaches the
/// caller as raw bytes.
/// Publishes `s` after taking new entries if putters wait (`KEYS[3]`); when
/// nothing was taken and `ARGV[7] == '1'`, registers the caller as a
/// waiting getter (`KEYS[4]`, for `ARGV[8]` ms).
/// A priority queue passes its set as `KEYS[6]` and its counter as
/// `KEYS[7]`: due delayed items enter the set, and before reading new
/// entries its smallest members move into the stream, to be read in this
/// run (a member in another shape moves whole, as raw bytes): `ARGV[4]`
/// less the entries already waiting in the stream (none, unless a
/// malformed delayed member went there), which are read first, so no
/// member popped now is left behind them.
pub(crate) static GET: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
local out = {'ok'}
local cap = tonumber(ARGV[9])
-- One probe for the delayed set and the putters' marker, usually absent.
local probe = redis.call('EXISTS', KEYS[5], KEYS[3])
local delayed = probe > 0 and redis.call('EXISTS', KEYS[5]) == 1
local putters = probe > (delayed and 1 or 0)
if delayed then promote(KEYS[1], KEYS[5], ARGV[1], cap, KEYS[6], KEYS[7]) end
local function take(entries)
  for _, entry in ipairs(entries) do
    local fields = entry[2]
    if fields then
      local value = fields[2] or ''
      for i = 1, #fields, 2 do
        if fields[i] == 'v' then value = fields[i + 1] end
      end
      out[#out + 1] = entry[1]
      out[#out + 1] = value
    end
  end
end
local function claim()
  local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[3], ARGV[5], '0-0', 'COUNT', ARGV[4])
  take(claimed[2])
end
if ARGV[6] == '1' then claim() end
if #out == 1 then
  if KEYS[6] then
    local want = tonumber(ARGV[4]) - waiting(KEYS[1], ARGV[1])
    if want > 0 then
      local popped = redis.call('ZPOPMIN', KEYS[6], want)
      for i = 1, #popped, 2 do
        local _, value = split(popped[i])
        redis.call('XADD', KEYS[1], '*', 'v', value)
      end
    end
  end
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
  if read then
    take(read[1][2])
    if putters then redis.call('PUBLISH', ARGV[2], 's') end
    if delayed then promote(KEYS[1], KEYS[5], ARGV[1], cap, KEYS[6], KEYS[7]) end
  end
end
if #out == 1 and ARGV[6] ~= '1' then claim() end
if #out == 1 then
  local wait = delayed and next_due(KEYS[5])
  if not wait and redis.call('EXISTS', KEYS[2]) == 1 then return {'shutdown'} end
  if ARGV[7] == '1' then register(KEYS[4], ARGV[8]) end
  if wait then return {'wait', string.format('%.0f', wait)} end
end
return out
",
    )
});

/// Acknowledges and deletes the entries `ARGV[3..]` that are still pending;
/// publishes `d` when no entry is left unfinished (none in the stream, no
/// delayed item in `KEYS[3]`, none in a priority queue's set `KEYS[4]`) and
/// joiners wait (`KEYS[2]`). Returns how many were acknowledged now.
pub(crate) static ACK: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local acked = 0
for i = 3, #ARGV do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    acked = acked + 1
  end
end
if acked > 0 and redis.call('EXISTS', KEYS[2]) == 1 and unfinished(KEYS[1], KEYS[3], KEYS[4]) == 0 then
  redis.call('PUBLISH', ARGV[2], 'd')
end
return acked
",
    )
});

/// Restarts the lease of entry `ARGV[4]` if the consumer `ARGV[3]` still
/// holds it. Returns 1 if it did, 0 if the entry was acknowledged or went to
/// another consumer.
pub(crate) static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[4], ARGV[4], 1, ARGV[3])
if #held == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[4], 'JUSTID')
return 1
",
    )
});

/// The number of unfinished items (waiting, delivered, delayed in
/// `KEYS[3]`, or waiting in a priority queue's set `KEYS[4]`); when there are some and `ARGV[1] == '1'`, registers the
/// caller as a joiner (`KEYS[2]`, for `ARGV[2]` ms).
pub(crate) static UNFINISHED: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local n = unfinished(KEYS[1], KEYS[3], KEYS[4])
if n > 0 and ARGV[1] == '1' then register(KEYS[2], ARGV[2]) end
return n
",
    )
});

/// The number of waiting (undelivered) entries, counting the delayed items
/// of `KEYS[2]` that are due and that the capacity `ARGV[2]` leaves room
/// for: those the next put or get moves into the stream; and every member
/// of a priority queue's set `KEYS[3]`.
pub(crate) static LEN: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
local n = waiting(KEYS[1], ARGV[1], KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then
  local due = redis.call('ZCOUNT', KEYS[2], '-inf', string.format('%.0f', now_ms()))
  local cap = tonumber(ARGV[2])
  if cap > 0 then due = math.max(math.min(due, cap - n), 0) end
  n = n + due
end
return n
",
    )
});

/// Sets the shutdown flag and publishes `x`. With `ARGV[3] == '1'` it also
/// takes every waiting entry out of the queue (acknowledged and deleted),
/// then every member of a priority queue's set `KEYS[4]`, smallest first,
/// then every delayed item of `KEYS[3]` in due order (both sets are
/// deleted), and returns them. Returns `{was_shut_down, id, value, ...}`; a delayed
/// item's id is its sequence number (empty for a member in another shape,
/// whose value is the whole member).
pub(crate) static SHUTDOWN: LazyLock<Script> = LazyLock::new(|| {
    delayed_script(
        r"
local out = {tostring(redis.call('EXISTS', KEYS[2]))}
redis.call('SET', KEYS[2], '1')
if ARGV[3] == '1' then
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], '~shutdown', 'STREAMS', KEYS[1], '>')
  if read then
    for _, entry in ipairs(read[1][2]) do
      local fields = entry[2]
      local value = fields[2] or ''
      for i = 1, #fields, 2 do
        if fields[i] == 'v' then value = fields[i + 1] end
      end
      redis.call('XACK', KEYS[1], ARGV[1], entry[1])
      redis.call('XDEL', KEYS[1], entry[1])
      out[#out + 1] = entry[1]
      out[#out + 1] = value
    end
  end
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], '~shutdown')
  if KEYS[4] then
    for _, member in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
      local id, value = split(member)
      out[#out + 1] = id
      out[#out + 1] = value
    end
    redis.call('DEL', KEYS[4])
  end
  for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    local id, value = split(member)
    if KEYS[4] then
      local _, json = split_priority(value)
      value = json or value
    end
    out[#out + 1] = id
    out[#out + 1] = value
  end
  redis.call('DEL', KEYS[3])
end
if unfinished(KEYS[1], KEYS[3], KEYS[4]) == 0 then
  redis.call('PUBLISH', ARGV[2], 'd')
end
redis.call('PUBLISH', ARGV[2], 'x')
return out
",
    )
});
