//! The queue's Lua scripts. Each runs atomically inside Redis, so capacity,
//! delivery and acknowledgement are decided there, never by a read in one
//! process followed by a write.
//!
//! Keys: `KEYS[1]` the stream, `KEYS[2]` the shutdown flag. The consumer
//! group is always `ARGV[1]`, the event channel `ARGV[2]`.
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

fn script(body: &str) -> Script {
    Script::new(&format!("{REGISTER}{body}"))
}

/// Adds as many of `ARGV[6..]` as the capacity `ARGV[3]` (0: unbounded)
/// leaves room for. Returns the number added, or -1 if the queue is shut
/// down. Waiting items are the stream's entries minus those delivered and
/// not yet acknowledged. Publishes `p` if getters wait (`KEYS[3]`); when
/// nothing fits and `ARGV[4] == '1'`, registers the caller as a waiting
/// putter (`KEYS[4]`, for `ARGV[5]` ms).
pub(crate) static PUT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local room = #ARGV - 5
local cap = tonumber(ARGV[3])
if cap > 0 then
  local waiting = redis.call('XLEN', KEYS[1]) - redis.call('XPENDING', KEYS[1], ARGV[1])[1]
  room = math.min(room, cap - waiting)
end
for i = 6, 5 + room do
  redis.call('XADD', KEYS[1], '*', 'v', ARGV[i])
end
if room > 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PUBLISH', ARGV[2], 'p') end
  return room
end
if ARGV[4] == '1' then register(KEYS[4], ARGV[5]) end
return 0
",
    )
});

/// Takes up to `ARGV[4]` entries for the consumer `ARGV[3]`: new ones, and
/// entries whose lease (`ARGV[5]` ms) expired with another consumer — those
/// first when `ARGV[6] == '1'` (the handle asks every quarter lease, so
/// expired entries never starve), else only when nothing new is waiting
/// (sparing the busy path an `XAUTOCLAIM` scan).
/// Returns `{'ok', id, value, ...}`, or `{'shutdown'}` when nothing is left
/// and the queue is shut down. An entry without a `v` field gives its first
/// value, so a malformed entry still reaches the caller as raw bytes.
/// Publishes `s` after taking new entries if putters wait (`KEYS[3]`); when
/// nothing was taken and `ARGV[7] == '1'`, registers the caller as a
/// waiting getter (`KEYS[4]`, for `ARGV[8]` ms).
pub(crate) static GET: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local out = {'ok'}
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
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[3], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
  if read then
    take(read[1][2])
    if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PUBLISH', ARGV[2], 's') end
  end
end
if #out == 1 and ARGV[6] ~= '1' then claim() end
if #out == 1 then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'shutdown'} end
  if ARGV[7] == '1' then register(KEYS[4], ARGV[8]) end
end
return out
",
    )
});

/// Acknowledges and deletes the entries `ARGV[3..]` that are still pending;
/// publishes `d` when no entry is left unfinished and joiners wait
/// (`KEYS[2]`). Returns how many were acknowledged now.
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
if acked > 0 and redis.call('XLEN', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
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

/// The number of unfinished entries (waiting or delivered); when there are
/// some and `ARGV[1] == '1'`, registers the caller as a joiner (`KEYS[2]`,
/// for `ARGV[2]` ms).
pub(crate) static UNFINISHED: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local n = redis.call('XLEN', KEYS[1])
if n > 0 and ARGV[1] == '1' then register(KEYS[2], ARGV[2]) end
return n
",
    )
});

/// The number of waiting (undelivered) entries.
pub(crate) static LEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
return redis.call('XLEN', KEYS[1]) - redis.call('XPENDING', KEYS[1], ARGV[1])[1]
",
    )
});

/// Sets the shutdown flag and publishes `x`. With `ARGV[3] == '1'` it also
/// takes every waiting entry out of the queue (acknowledged and deleted) and
/// returns them. Returns `{was_shut_down, id, value, ...}`.
pub(crate) static SHUTDOWN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
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
end
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('PUBLISH', ARGV[2], 'd') end
redis.call('PUBLISH', ARGV[2], 'x')
return out
",
    )
});
