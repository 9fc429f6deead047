//! The limiter's Lua scripts. Holders live in one sorted set, scored by the
//! server time (ms) at which their lease expires; every script first drops
//! expired holders, so a dead process's slot frees itself.
//!
//! Keys: `KEYS[1]` the holders, `KEYS[2]` the shared limit.

use std::sync::LazyLock;

use redis::Script;

/// Makes the holders set expire with its newest lease, so a set whose last
/// holder died leaves no key behind (one emptied by releases is deleted by
/// Redis at once).
const OUTLIVE: &str = r"
local function outlive(key, lease)
  if redis.call('PTTL', key) < tonumber(lease) then redis.call('PEXPIRE', key, lease) end
end
";

fn with_outlive(body: &str) -> Script {
    Script::new(&format!("{OUTLIVE}{body}"))
}

/// Takes a slot for the token `ARGV[1]` with a lease of `ARGV[2]` ms if
/// fewer than the limit (the key, else `ARGV[3]`) are held. Returns 1 if
/// taken, 0 if every slot is held.
pub(crate) static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    with_outlive(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(redis.call('GET', KEYS[2]) or ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  outlive(KEYS[1], ARGV[2])
  return 1
end
return 0
",
    )
});

/// Frees the slot of the token `ARGV[1]` and publishes `s` on the channel
/// `ARGV[2]` if it was held. Returns 1 if it was.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = redis.call('ZREM', KEYS[1], ARGV[1])
if held == 1 then redis.call('PUBLISH', ARGV[2], 's') end
return held
",
    )
});

/// Restarts the lease (`ARGV[2]` ms) of the token `ARGV[1]` if it still
/// holds its slot. Returns 1 if it does.
pub(crate) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    with_outlive(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
outlive(KEYS[1], ARGV[2])
return 1
",
    )
});

/// The number of slots held by live leases.
pub(crate) static IN_USE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
",
    )
});

/// Sets the shared limit to `ARGV[1]` and publishes `s` on `ARGV[2]`, so
/// waiters look again.
pub(crate) static SET_LIMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SET', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], 's')
return 1
",
    )
});
