#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use acctsec_core::store::MAX_DISTINCT_MEMBERS;
use acctsec_core::{
    BindingDigest, DistinctCounter, MemberDigest, ProfileData, ProfileStore, Purpose, StoreError,
    StoreErrorKind, ThrottleCounter, ThrottleKey, ThrottleStore, Timestamp, TokenDigest,
    TokenRecord, TokenStore, UserId, VersionedProfile,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

/// How long a risk profile lives without a save, by default: a dormant account's profile ages
/// out rather than growing the keyspace for ever.
pub const DEFAULT_PROFILE_TTL: Duration = Duration::from_secs(400 * 24 * 3600);

/// The longest time to live a key is given (ten years): a record that lives longer by its own
/// clock is still judged by the `now` each call passes.
const MAX_TTL_MS: i64 = 10 * 365 * 24 * 3600 * 1000;

/// One-time tokens, throttles (with distinct counts) and risk profiles on Redis, for a fleet of
/// app servers. Every operation is one command or one Lua script, so atomic; every key has a
/// time to live, so nothing grows without bound; every key is under `{prefix}:`, one hash tag,
/// so the scripts' keys share a slot on Redis Cluster. The connection manager reconnects after a
/// restart; while the server is down, operations answer `Unavailable`.
///
/// The outbox and the activity log are not here: they are queues and logs a person reads later,
/// which belong in SQL (`acctsec-sqlx`).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    profile_ttl_ms: i64,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A Redis error as a [`StoreError`]: a refused, dropped or timed-out connection is
/// `Unavailable` (transient); a reply that does not decode is `Corrupt`; anything else `Other`.
/// The driver's error is kept as `source()`.
#[must_use]
pub fn map_error(what: &'static str, error: redis::RedisError) -> StoreError {
    if error.is_io_error()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_connection_dropped()
    {
        StoreError::unavailable(what, error)
    } else if matches!(
        error.kind(),
        redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType
    ) {
        StoreError::corrupt(what, error)
    } else {
        StoreError::new(StoreErrorKind::Other, what).with_source(error)
    }
}

fn db(what: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    move |e| map_error(what, e)
}

/// A stored value that does not read back.
#[derive(Debug, thiserror::Error)]
#[error("stored {0} does not read back")]
struct Unreadable(&'static str);

fn corrupt(what: &'static str) -> StoreError {
    StoreError::corrupt("a stored value does not read back", Unreadable(what))
}

/// A time as a 20-digit string whose order is the time's order: Lua in Redis has only double
/// numbers, which cannot hold every millisecond of a 64-bit time, but compares strings exactly.
fn ordered(t: Timestamp) -> String {
    let shifted = i128::from(t.as_unix_millis()) + (1_i128 << 63);
    format!("{shifted:020}")
}

fn from_ordered(text: &str) -> Result<Timestamp, StoreError> {
    let shifted: i128 = text.parse().map_err(|_| corrupt("time"))?;
    let ms = i64::try_from(shifted - (1_i128 << 63)).map_err(|_| corrupt("time"))?;
    Ok(Timestamp::from_unix_millis(ms))
}

/// Milliseconds from `now` to `until`, at least 1 and at most ten years: a key's time to live.
fn ttl_ms(now: Timestamp, until: Timestamp) -> i64 {
    let ms = i128::from(until.as_unix_millis()) - i128::from(now.as_unix_millis());
    i64::try_from(ms.clamp(1, i128::from(MAX_TTL_MS))).unwrap_or(MAX_TTL_MS)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str, what: &'static str) -> Result<[u8; 32], StoreError> {
    let mut out = [0_u8; 32];
    if text.len() != 64 {
        return Err(corrupt(what));
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2).ok_or_else(|| corrupt(what))?, 16)
            .map_err(|_| corrupt(what))?;
    }
    Ok(out)
}

/// Sets a counter's window: counts up in the live window (its time to live set when it opened),
/// or opens a new one. KEYS: counter. ARGV: now, new window's end, its length in ms.
const HIT: &str = r"
local c = redis.call('HMGET', KEYS[1], 'n', 'r', 'l')
if c[1] and ARGV[1] < c[2] then
  local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
  local last = c[3]
  if ARGV[1] > last then
    last = ARGV[1]
    redis.call('HSET', KEYS[1], 'l', last)
  end
  return {n, c[2], last}
end
redis.call('HSET', KEYS[1], 'n', 1, 'r', ARGV[2], 'l', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, ARGV[2], ARGV[1]}
";

/// Adds a member to a distinct set, opening a new window (and emptying the set) when the old one
/// ended. KEYS: window, members. ARGV: now, new window's end, its length in ms, member, bound.
const HIT_DISTINCT: &str = r"
local resets = redis.call('HGET', KEYS[1], 'r')
if not resets or ARGV[1] >= resets then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'r', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  resets = ARGV[2]
end
local added = 0
if redis.call('SCARD', KEYS[2]) < tonumber(ARGV[5]) then
  added = redis.call('SADD', KEYS[2], ARGV[4])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
return {redis.call('SCARD', KEYS[2]), added, resets}
";

/// Records a token unless its digest is on record, and indexes it under its user. KEYS: token,
/// user index. ARGV: record, time to live, index member.
const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
";

/// Removes a user's tokens — of one purpose, or (ARGV[2] empty) of every purpose — and returns
/// how many were on record. KEYS: user index. ARGV: key prefix of tokens, purpose.
const REVOKE: &str = r"
local removed = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local space = string.find(m, ' ', 1, true)
  local purpose = string.sub(m, 1, space - 1)
  if ARGV[2] == '' or purpose == ARGV[2] then
    removed = removed + redis.call('DEL', ARGV[1] .. string.sub(m, space + 1))
    redis.call('SREM', KEYS[1], m)
  end
end
return removed
";

/// A compare-and-swap save of a profile. KEYS: profile. ARGV: expected version ('' for a
/// create), data, time to live. Returns the new version, or -1 on a conflict.
const SAVE: &str = r"
local v = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if v then return -1 end
  v = '0'
elseif v ~= ARGV[1] then
  return -1
end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nv
";

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`), keeping every key under `{prefix}:`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`]: `Unavailable` if the server cannot be reached; `Other` for a malformed
    /// URL or prefix (it must be non-empty, without `{`, `}` or white space).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let store = Self::lazy(url, prefix, ConnectionManagerConfig::new())?;
        let mut conn = store.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(db("connect to Redis"))?;
        Ok(store)
    }

    /// A store that connects on first use, retrying briefly: what a server that is down looks
    /// like to the operations (they answer `Unavailable` within about a second).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] for a malformed URL or prefix.
    pub fn connect_lazy(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)));
        Self::lazy(url, prefix, config)
    }

    fn lazy(url: &str, prefix: &str, config: ConnectionManagerConfig) -> Result<Self, StoreError> {
        let plain = !prefix.is_empty()
            && prefix.len() <= 64
            && !prefix.contains(['{', '}'])
            && !prefix.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plain {
            return Err(StoreError::other("use a key prefix", Unreadable("prefix")));
        }
        let client = redis::Client::open(url).map_err(db("parse the Redis URL"))?;
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(db("connect to Redis"))?;
        Ok(Self {
            conn,
            prefix: format!("{{{prefix}}}"),
            profile_ttl_ms: i64::try_from(DEFAULT_PROFILE_TTL.as_millis()).unwrap_or(MAX_TTL_MS),
        })
    }

    /// How long a risk profile lives without a save (default [`DEFAULT_PROFILE_TTL`], at most
    /// ten years).
    #[must_use]
    pub fn with_profile_ttl(mut self, ttl: Duration) -> Self {
        self.profile_ttl_ms = i64::try_from(ttl.as_millis())
            .unwrap_or(MAX_TTL_MS)
            .clamp(1, MAX_TTL_MS);
        self
    }

    /// The key prefix with its hash tag, `{prefix}`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:{kind}:{rest}", self.prefix)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Removes `user`'s tokens of `purpose`, or of every purpose when it is empty.
    async fn revoke(&self, user: &UserId, purpose: &str) -> Result<u64, StoreError> {
        Script::new(REVOKE)
            .key(self.key("tu", user.as_str()))
            .arg(self.key("t", ""))
            .arg(purpose)
            .invoke_async(&mut self.conn())
            .await
            .map_err(db("revoke tokens"))
    }

    fn record(&self, text: &str, digest: &TokenDigest) -> Result<TokenRecord, StoreError> {
        // issued, expires, purpose, binding, user (last: it may hold any separator).
        let mut parts = text.splitn(5, ' ');
        let mut next = || parts.next().ok_or_else(|| corrupt("token record"));
        let issued = from_ordered(next()?)?;
        let expires = from_ordered(next()?)?;
        let purpose = Purpose::new(next()?).map_err(|_| corrupt("purpose"))?;
        let binding = BindingDigest::from_bytes(unhex32(next()?, "binding")?);
        let user = UserId::new(next()?).map_err(|_| corrupt("user id"))?;
        Ok(TokenRecord::new(
            *digest, user, purpose, binding, issued, expires,
        ))
    }

    /// The record a token key held, if there was one and it is live at `now`.
    fn live_record(
        &self,
        text: Option<String>,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(text
            .map(|t| self.record(&t, digest))
            .transpose()?
            .filter(|r| r.is_live_at(now)))
    }
}

impl TokenStore for RedisStore {
    async fn insert(&self, record: &TokenRecord, now: Timestamp) -> Result<(), StoreError> {
        let digest = hex(record.digest.as_bytes());
        let text = format!(
            "{} {} {} {} {}",
            ordered(record.issued_at),
            ordered(record.expires_at),
            record.purpose,
            hex(record.binding.as_bytes()),
            record.user
        );
        let stored: i64 = Script::new(INSERT)
            .key(self.key("t", &digest))
            .key(self.key("tu", record.user.as_str()))
            .arg(text)
            .arg(ttl_ms(now, record.expires_at))
            .arg(format!("{} {digest}", record.purpose))
            .invoke_async(&mut self.conn())
            .await
            .map_err(db("insert token"))?;
        if stored == 1 {
            Ok(())
        } else {
            Err(StoreError::conflict("token digest already on record"))
        }
    }

    async fn take(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        // GETDEL: of racing takers, one gets the value.
        let text: Option<String> = self
            .conn()
            .get_del(self.key("t", &hex(digest.as_bytes())))
            .await
            .map_err(db("take token"))?;
        self.live_record(text, digest, now)
    }

    async fn peek(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let text: Option<String> = self
            .conn()
            .get(self.key("t", &hex(digest.as_bytes())))
            .await
            .map_err(db("peek token"))?;
        self.live_record(text, digest, now)
    }

    async fn revoke_all(&self, user: &UserId, purpose: &Purpose) -> Result<u64, StoreError> {
        self.revoke(user, purpose.as_str()).await
    }

    async fn revoke_user(&self, user: &UserId) -> Result<u64, StoreError> {
        self.revoke(user, "").await
    }

    /// Redis expires records itself: nothing to purge.
    async fn purge_expired(&self, _now: Timestamp, _limit: usize) -> Result<u64, StoreError> {
        Ok(0)
    }
}

impl ThrottleStore for RedisStore {
    async fn hit(
        &self,
        key: &ThrottleKey,
        window: Duration,
        now: Timestamp,
    ) -> Result<ThrottleCounter, StoreError> {
        let resets = now.saturating_add(window);
        let (count, resets_at, last): (u64, String, String) = Script::new(HIT)
            .key(self.key("c", key.as_str()))
            .arg(ordered(now))
            .arg(ordered(resets))
            .arg(ttl_ms(now, resets))
            .invoke_async(&mut self.conn())
            .await
            .map_err(db("throttle hit"))?;
        Ok(ThrottleCounter::new(
            count,
            from_ordered(&resets_at)?,
            from_ordered(&last)?,
        ))
    }

    async fn get(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> Result<Option<ThrottleCounter>, StoreError> {
        let (count, resets, last): (Option<u64>, Option<String>, Option<String>) =
            redis::cmd("HMGET")
                .arg(self.key("c", key.as_str()))
                .arg(&["n", "r", "l"])
                .query_async(&mut self.conn())
                .await
                .map_err(db("throttle get"))?;
        match (count, resets, last) {
            (Some(count), Some(resets), Some(last)) => {
                let resets = from_ordered(&resets)?;
                Ok((now < resets)
                    .then(|| from_ordered(&last).map(|l| ThrottleCounter::new(count, resets, l)))
                    .transpose()?)
            }
            _ => Ok(None),
        }
    }

    async fn hit_distinct(
        &self,
        key: &ThrottleKey,
        member: &MemberDigest,
        window: Duration,
        now: Timestamp,
    ) -> Result<DistinctCounter, StoreError> {
        let resets = now.saturating_add(window);
        let (distinct, added, resets_at): (u64, i64, String) = Script::new(HIT_DISTINCT)
            .key(self.key("d", key.as_str()))
            .key(self.key("dm", key.as_str()))
            .arg(ordered(now))
            .arg(ordered(resets))
            .arg(ttl_ms(now, resets))
            .arg(member.as_bytes().as_slice())
            .arg(MAX_DISTINCT_MEMBERS)
            .invoke_async(&mut self.conn())
            .await
            .map_err(db("distinct hit"))?;
        Ok(DistinctCounter::new(
            distinct,
            added == 1,
            from_ordered(&resets_at)?,
        ))
    }

    async fn distinct(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> Result<Option<DistinctCounter>, StoreError> {
        let mut conn = self.conn();
        let resets: Option<String> = conn
            .hget(self.key("d", key.as_str()), "r")
            .await
            .map_err(db("distinct count"))?;
        let Some(resets) = resets.map(|r| from_ordered(&r)).transpose()? else {
            return Ok(None);
        };
        if now >= resets {
            return Ok(None);
        }
        let n: u64 = conn
            .scard(self.key("dm", key.as_str()))
            .await
            .map_err(db("distinct count"))?;
        Ok(Some(DistinctCounter::new(n, false, resets)))
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        let keys = [
            self.key("c", key.as_str()),
            self.key("d", key.as_str()),
            self.key("dm", key.as_str()),
        ];
        let _: u64 = self.conn().del(&keys).await.map_err(db("throttle clear"))?;
        Ok(())
    }

    /// Redis expires counters itself: nothing to purge.
    async fn purge_expired(&self, _now: Timestamp, _limit: usize) -> Result<u64, StoreError> {
        Ok(0)
    }
}

impl ProfileStore for RedisStore {
    async fn load(&self, user: &UserId) -> Result<Option<VersionedProfile>, StoreError> {
        let (version, data): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
            .arg(self.key("p", user.as_str()))
            .arg(&["v", "d"])
            .query_async(&mut self.conn())
            .await
            .map_err(db("load profile"))?;
        match (version, data) {
            (Some(v), Some(d)) => Ok(Some(VersionedProfile::new(
                v,
                ProfileData::new(d).map_err(|_| corrupt("profile"))?,
            ))),
            (None, None) => Ok(None),
            _ => Err(corrupt("profile")),
        }
    }

    async fn save(
        &self,
        user: &UserId,
        expected_version: Option<u64>,
        data: &ProfileData,
    ) -> Result<u64, StoreError> {
        let expected = expected_version.map(|v| v.to_string()).unwrap_or_default();
        let version: i64 = Script::new(SAVE)
            .key(self.key("p", user.as_str()))
            .arg(expected)
            .arg(data.as_bytes())
            .arg(self.profile_ttl_ms)
            .invoke_async(&mut self.conn())
            .await
            .map_err(db("save profile"))?;
        u64::try_from(version).map_err(|_| StoreError::conflict("profile version moved on"))
    }

    async fn remove(&self, user: &UserId) -> Result<bool, StoreError> {
        let removed: u64 = self
            .conn()
            .del(self.key("p", user.as_str()))
            .await
            .map_err(db("remove profile"))?;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_times_sort_as_times_and_read_back() {
        let times = [i64::MIN, -1, 0, 1, 1_800_000_000_000, i64::MAX];
        let texts: Vec<String> = times
            .iter()
            .map(|&t| ordered(Timestamp::from_unix_millis(t)))
            .collect();
        for (pair, text) in texts.windows(2).zip(&texts) {
            assert!(pair[0] < pair[1], "{pair:?}");
            assert_eq!(text.len(), 20);
        }
        for (&t, text) in times.iter().zip(&texts) {
            assert_eq!(from_ordered(text).unwrap(), Timestamp::from_unix_millis(t));
        }
        assert_eq!(
            ttl_ms(
                Timestamp::from_unix_millis(5),
                Timestamp::from_unix_millis(1)
            ),
            1
        );
        assert_eq!(
            ttl_ms(
                Timestamp::from_unix_millis(i64::MIN),
                Timestamp::from_unix_millis(i64::MAX)
            ),
            MAX_TTL_MS
        );
    }
}

/// A fleet's state: tokens, throttles and risk profiles in Redis, accounts, the activity log,
/// the outbox and password history in `rest` (a SQL store). It implements every store trait, so
/// it is a [`SecurityState`](acctsec_core::SecurityState) the flows take as one value.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use acctsec_redis::{RedisStore, RedisWith};
/// # struct Sql; // e.g. acctsec_sqlx::PostgresStore
/// let state = RedisWith {
///     redis: RedisStore::connect("redis://127.0.0.1:6379/", "myapp").await?,
///     rest: Sql,
/// };
/// # let _ = state;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisWith<S> {
    /// Tokens, throttles and profiles.
    pub redis: RedisStore,
    /// Everything else.
    pub rest: S,
}

/// Implements a store trait for [`RedisWith`] by forwarding each method to `$target`.
macro_rules! forward {
    ($trait:path, $target:ident: $target_ty:ty, [$($bounds:tt)*] { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)* }) => {
        impl<S: $($bounds)*> $trait for RedisWith<S> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl std::future::Future<Output = $out> + Send {
                    <$target_ty as $trait>::$name(&self.$target $(, $arg)*)
                }
            )*
        }
    };
}

/// Sends each store trait (from core's one list of them) to Redis or to the rest.
macro_rules! split {
    ($trait:path, "token" $methods:tt) => { forward!($trait, redis: RedisStore, [Send + Sync] $methods); };
    ($trait:path, "throttle" $methods:tt) => { forward!($trait, redis: RedisStore, [Send + Sync] $methods); };
    ($trait:path, "profile" $methods:tt) => { forward!($trait, redis: RedisStore, [Send + Sync] $methods); };
    ($trait:path, $other:literal $methods:tt) => { forward!($trait, rest: S, [$trait] $methods); };
}

acctsec_core::__for_each_store_trait!(split);
