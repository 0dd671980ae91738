// Cache layer with fallback: a read-through cache in front of a slow source (a database, a
// remote API) that keeps answering when the store or the source fails and never lets a popular
// key's expiry stampede the source.
//
// Two levels: an optional in-process L1 (LRU, bounded by entries and bytes) in front of the
// store (L2: Redis or the engine). Misses of one key in one process call the loader once
// (single flight); across processes an optional lock in the store lets one process load while
// the others wait briefly or serve stale. Optional probabilistic early refresh (XFetch).
// RFC 5861's stale-while-revalidate and stale-if-error windows. When the store fails, calls
// are served from L1 or the loader, and a circuit breaker stops paying the store's timeout.
// Sets and invalidations are broadcast on a pub/sub channel, so other processes drop their L1
// copies within milliseconds; a lost broadcast connection demotes L1 to a fallback.
//
// Storage (one hash tag per cache name, so every script is legal on a Cluster):
//   <prefix>:cache:{<name>}:e:<key>   hash: v value, f fresh until (ms), r/e the stale windows,
//                                     d load time (ms), n "1" when the entry is a cached absence,
//                                     g the tags (NUL-separated); expires at the last window's end
//   <prefix>:cache:{<name>}:l:<key>   the load lock (a token; short TTL)
//   <prefix>:cache:{<name>}:t:<tag>   set of keys carrying the tag (checked against g on use)
//   <prefix>:cache:{<name>}:inv       the invalidation channel
// The store's clock (`TIME`) decides freshness, so app servers with skewed clocks agree.
//
// Thread-safety: a cache may be used from any number of threads and coroutines at once. Like an
// Asio I/O object, it must outlive its calls in flight; string_view arguments of async_ calls
// must stay valid until the call completes (co_await it in the expression that makes it).
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::cache {

using std::chrono::milliseconds;

/// Per-entry settings; an unset field takes the cache's default (see options).
struct entry_options {
  /// How long the entry is fresh. Must be positive when given.
  std::optional<milliseconds> ttl;
  /// After the entry stops being fresh: serve it for this long while one refresh runs in the
  /// background (RFC 5861 stale-while-revalidate).
  std::optional<milliseconds> stale_while_revalidate;
  /// After the entry stops being fresh: serve it for this long when the loader fails (RFC 5861
  /// stale-if-error).
  std::optional<milliseconds> stale_if_error;
  /// Tags for invalidate_tag(): each 1-256 bytes without NUL; at most 32.
  std::vector<std::string> tags;
};

/// What the in-process level keeps.
struct l1_options {
  /// On or off; unset (the default) means on for Redis and off for the embedded engine, where
  /// L2 is already in process.
  std::optional<bool> enabled;
  /// Bounds; the least recently used entries go first. Defaults 10,000 entries and 64 MiB
  /// (keys and values counted).
  std::size_t max_entries = 10000;
  std::size_t max_bytes = 64u << 20;
  /// Longest an entry stays fresh in L1, whatever its L2 TTL; zero (the default) means the
  /// entry's own. L1 copies are dropped on broadcast invalidations; this bounds staleness
  /// for writers that bypass the cache.
  milliseconds max_ttl{0};
};

struct options {
  /// Keys are `<prefix>:cache:{<name>}:...`. Defaults "rk" and "default". The name is the
  /// hash tag: every key of one cache lives in one Cluster slot (use several names to spread).
  std::string prefix = "rk";
  std::string name = "default";
  /// Defaults of entry_options: fresh for 60 s, no stale windows.
  milliseconds ttl{60000};
  milliseconds stale_while_revalidate{0};
  milliseconds stale_if_error{0};
  /// How long a cached absence (the loader returned nothing) lives. Zero: absences are not
  /// cached. Default 10 s.
  milliseconds negative_ttl{10000};
  /// Each TTL is spread uniformly by ± this fraction, so entries written together do not
  /// expire together. 0 to 0.5; default 0.1.
  double ttl_jitter = 0.1;
  /// Values larger than this are returned but never cached (and counted). Default 1 MiB.
  std::size_t max_value_bytes = 1u << 20;
  l1_options l1;
  /// Cross-process stampede lock: a miss takes a lock in the store before loading; the others
  /// serve a stale value if they have one, else poll for the loaded value for up to
  /// `lock_wait` and then load themselves. Default off.
  bool lock = false;
  /// The lock's TTL (a crashed loader frees it after this). Default 5 s.
  milliseconds lock_ttl{5000};
  /// Longest a caller waits for another process's load. Default 1 s.
  milliseconds lock_wait{1000};
  /// XFetch: a fresh hit refreshes early, in the background, with probability rising as the
  /// expiry nears and weighted by how long the last load took (`now - delta·beta·ln(rand) >=
  /// expiry`). 0 (the default) turns it off; 1 is the paper's recommended value.
  double early_refresh_beta = 0;
  /// Deadline of each store call. Default 100 ms.
  milliseconds timeout{100};
  /// Consecutive store failures that open the circuit breaker; while open, calls skip the
  /// store and one call per `breaker_open_for` probes it. Defaults 5 and 1 s.
  unsigned breaker_threshold = 5;
  milliseconds breaker_open_for{1000};
  /// Background refreshes (stale-while-revalidate, XFetch) run on this executor. Default: a
  /// thread of the cache's own.
  asio::any_io_executor refresh_executor;
  /// Store errors are logged at most once per interval, with their count. Default 10 s.
  milliseconds error_log_interval{10000};
  /// Where error reports go. Default: a line on stderr.
  std::function<void(std::string_view)> log;
};

/// Counters since the cache was made.
struct metrics {
  std::uint64_t l1_hits = 0;
  std::uint64_t l2_hits = 0;
  std::uint64_t misses = 0;                  ///< lookups that found nothing usable (a load follows)
  std::uint64_t loads = 0;                   ///< loader calls
  std::uint64_t load_errors = 0;             ///< loader calls that threw
  std::uint64_t negative_hits = 0;           ///< hits on a cached absence (also counted as hits)
  std::uint64_t stale_served = 0;            ///< stale values returned (either window)
  std::uint64_t early_refreshes = 0;         ///< XFetch refreshes started
  std::uint64_t lock_waits = 0;              ///< misses that waited for another process's load
  std::uint64_t fallbacks = 0;               ///< calls served without the store (L1 or loader)
  std::uint64_t store_errors = 0;            ///< store calls that failed or missed their deadline
  std::uint64_t oversize = 0;                ///< values not cached for being over max_value_bytes
  std::uint64_t invalidations_received = 0;  ///< broadcasts from other processes applied
  std::uint64_t l1_entries = 0;
  std::uint64_t l1_bytes = 0;
  bool breaker_open = false;
  /// L1 serves hits: it is on and its invalidation channel is subscribed (otherwise L1 is a
  /// fallback for store failures only).
  bool l1_live = false;
  /// (l1_hits + l2_hits) / (hits + misses); 0 before any lookup.
  double hit_ratio() const noexcept;
};

/// Loads a key's value from the source; nothing means "not found" (cached as an absence for
/// negative_ttl). An exception means the source failed.
using loader = std::function<asio::awaitable<std::optional<std::string>>()>;
/// The same for blocking callers.
using blocking_loader = std::function<std::optional<std::string>()>;

/// A read-through cache on a store.
class cache {
 public:
  /// Subscribes to the invalidation channel when L1 is on (if the store is down, L1 serves as
  /// a fallback only until the subscription is up). Throws redkit::error(errc::invalid_argument)
  /// for bad options.
  explicit cache(std::shared_ptr<store> s, options o = {});
  ~cache();
  cache(const cache&) = delete;
  cache& operator=(const cache&) = delete;

  /// The value of `key` (1-1024 bytes), from L1, L2 or `load` (stored with `eo` and returned).
  /// Concurrent calls for one key share one lookup and one load; a stale value is served
  /// within its windows; store failures fall back to L1 or the loader. Nothing when the
  /// source says "not found". Throws what the loader threw when there is nothing stale to
  /// serve, and errc::invalid_argument for a bad key or entry options.
  asio::awaitable<std::optional<std::string>> async_get_or_load(std::string_view key, loader load,
                                                                entry_options eo = {});
  /// The cached value, if any is fresh or within its stale-while-revalidate window (no load).
  /// A cached absence reads as nothing. Store failures read as a miss (or L1's copy).
  asio::awaitable<std::optional<std::string>> async_get(std::string_view key);
  /// Stores `value` with `eo` and tells other processes to drop their L1 copies. A value over
  /// max_value_bytes is not stored (counted as oversize). Store errors raise redkit::error.
  asio::awaitable<void> async_set(std::string_view key, std::string_view value,
                                  entry_options eo = {});
  /// Drops `key` everywhere (L2 and every process's L1); true if L2 held it. Raises on store
  /// errors (L1 is dropped anyway).
  asio::awaitable<bool> async_invalidate(std::string_view key);
  /// Drops every entry carrying `tag`; returns how many L2 held. Raises on store errors.
  asio::awaitable<std::size_t> async_invalidate_tag(std::string_view tag);

  /// Blocking twins (the loader runs on the calling thread; not from the store's I/O thread).
  std::optional<std::string> get_or_load(std::string_view key, blocking_loader load,
                                         entry_options eo = {});
  std::optional<std::string> get(std::string_view key);
  void set(std::string_view key, std::string_view value, entry_options eo = {});
  bool invalidate(std::string_view key);
  std::size_t invalidate_tag(std::string_view tag);

  /// JSON helpers: the value serialised with Boost.JSON (parse errors of a cached value raise
  /// errc::unexpected_reply).
  std::optional<boost::json::value> get_json(std::string_view key);
  void set_json(std::string_view key, const boost::json::value& v, entry_options eo = {});

  /// Drops this process's L1 (nothing else).
  void clear_l1();
  /// The L2 key of `key`.
  std::string key(std::string_view key) const;
  struct metrics metrics() const;
  const options& config() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::cache

namespace redkit {
using cache_layer = cache::cache;
}  // namespace redkit
