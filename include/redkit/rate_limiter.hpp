// Rate limiting: policies (four algorithms), tiers, and the limiter that checks a request
// against several policies in one atomic script on the store, with a failure policy, a circuit
// breaker, an in-process shield for repeat offenders, shadow mode and per-policy metrics.
// The HTTP side (identity, headers, 429 body) is in rate_limit_http.hpp.
// Thread-safety: policies and tier sets are values; a limiter may be used from any number of
// threads and coroutines at once.
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::rate_limit {

/// How a policy counts. All four run as one atomic Lua script (scripts/rate_limit/check.lua)
/// that reads the store's clock (`TIME`), so every app server shares one clock.
enum class algorithm {
  /// Exact: a sorted set logs each unit with its time; at most `limit` units in any window of
  /// `window` length. The reference's algorithm. Memory O(limit) per key.
  sliding_log,
  /// Two counters (this fixed window and the previous one); the count is estimated as
  /// previous × (unelapsed fraction of this window) + current (Cloudflare's approximation).
  /// Never more than `limit` per aligned window. Memory O(1): one hash of three fields.
  sliding_window,
  /// Generic cell rate algorithm: a token bucket of `burst` units refilled at limit/window,
  /// stored as one timestamp (the theoretical arrival time). Memory O(1): one string.
  gcra,
  /// A counter that starts with the first request and expires after `window`.
  /// Never more than `limit` per window. Memory O(1): one string.
  fixed_window,
};

/// "sliding_log", "sliding_window", "gcra", "fixed_window".
std::string_view to_string(algorithm a) noexcept;
/// Parses the names above; nothing for an unknown name.
std::optional<algorithm> parse_algorithm(std::string_view name) noexcept;

/// One limit. A request passes a policy when `cost` more units fit.
struct policy {
  /// Names the policy in keys, decisions, headers and metrics: 1-64 characters of
  /// [A-Za-z0-9_.-]. Required.
  std::string name;
  /// Default: sliding_log (the reference's).
  algorithm algo = algorithm::sliding_log;
  /// Units allowed per window, 1 to 10^12. Required. (sliding_log keeps one entry per unit
  /// in the window: prefer gcra or sliding_window for large limits.)
  std::uint64_t limit = 0;
  /// Window length, 1 ms to 366 days. Required.
  std::chrono::milliseconds window{0};
  /// gcra only: the bucket size (units that may be spent at once), up to 10^12. 0 (the
  /// default) means `limit`. Ignored by the other algorithms.
  std::uint64_t burst = 0;
  /// Units one request takes unless the check gives its own cost. Default 1; at most the
  /// policy's capacity (`limit`; for gcra `burst` when set), since more could never pass.
  std::uint64_t cost = 1;
  /// Shadow mode: decide and count, never deny. A request this policy would deny passes (if
  /// the others allow it), does not consume this policy's units, and counts as shadow-denied.
  bool shadow = false;

  /// Equal when every field is.
  bool operator==(const policy&) const = default;
};

/// Checks `p` and throws redkit::error(errc::invalid_argument) naming the first bad field.
void validate(const policy& p);

/// Parses a duration: a positive integer with a unit, "250ms", "10s", "1m", "2h", "1d".
/// Throws redkit::error(errc::invalid_argument).
std::chrono::milliseconds parse_duration(std::string_view text);

/// Parses "LIMIT/WINDOW" (e.g. "60/1m", "10/1s"; a bare unit means one: "100/s") into a policy
/// named `name` with algorithm `algo`. Throws redkit::error(errc::invalid_argument).
policy parse_rate(std::string_view name, std::string_view rate,
                  algorithm algo = algorithm::sliding_log);

/// A named set of policies a request is checked against together.
struct tier {
  std::string name;
  std::vector<policy> policies;
};

/// Tiers by name. The defaults are the reference's: `anonymous` 60/min, `authenticated`
/// 300/min, `premium` 1000/min, each one sliding_log policy named after its tier.
class tier_set {
 public:
  /// The reference's three tiers.
  tier_set();
  /// A set with no tiers.
  [[nodiscard]] static tier_set none();

  /// Reads tiers from TOML text. Each `[tiers.NAME]` table holds a `policies` array of inline
  /// tables with `name` (default: the tier's name), `algorithm` (default "sliding_log"),
  /// `limit`, `window` (a duration string such as "1m"), and optional `burst`, `cost`, `shadow`:
  ///
  ///     [tiers.anonymous]
  ///     policies = [ { limit = 10, window = "1s", algorithm = "gcra", name = "anon-burst" },
  ///                  { limit = 60, window = "1m" } ]
  ///
  /// Tiers the text names replace the defaults of the same name; the others stay. Tier names
  /// follow the policy-name rule; policy names are unique within a tier; unknown keys inside
  /// `tiers` are errors, other top-level tables are ignored (the server shares the file).
  /// Loading is all-or-nothing. Throws redkit::error(errc::invalid_argument) naming the
  /// file position of what is wrong (and `source`, the file's name, when given).
  void load_toml(std::string_view text, const std::string& source = {});
  /// Same, from a file (errc::invalid_argument also when it cannot be read).
  void load_toml_file(const std::filesystem::path& file);
  /// Applies "NAME=LIMIT/WINDOW" (the server's --tier flag): tier NAME becomes one sliding_log
  /// policy named NAME, or, if it exists, its first policy gets that limit and window.
  void apply_override(std::string_view spec);

  /// Adds or replaces a tier (its policies are validated; throws errc::invalid_argument).
  void set(tier t);
  /// The tier named `name`, or nullptr.
  const tier* find(std::string_view name) const;
  /// The tier named `name`; throws redkit::error(errc::invalid_argument) if there is none.
  const tier& at(std::string_view name) const;
  /// Every tier, ordered by name.
  const std::map<std::string, tier, std::less<>>& all() const noexcept { return tiers_; }

 private:
  std::map<std::string, tier, std::less<>> tiers_;
};

/// Where a decision came from.
enum class decision_source {
  store,       ///< the script on the store (the normal case)
  shield,      ///< the in-process cache of recent denials (no store round trip)
  insurance,   ///< the in-process insurance limiter, while the store fails
  fail_open,   ///< the store failed and the failure mode is open: allowed
  fail_closed  ///< the store failed and the failure mode is closed: denied
};
std::string_view to_string(decision_source s) noexcept;

/// One policy's part of a decision.
struct policy_result {
  std::string policy;           ///< the policy's name
  bool allowed = true;          ///< this policy alone would let the request pass
  bool shadow = false;          ///< the policy is in shadow mode
  std::uint64_t limit = 0;      ///< its limit (burst for gcra)
  std::uint64_t remaining = 0;  ///< units left after this request (before it, when denied)
  /// Time until this policy next returns units (the oldest logged unit leaves the window, the
  /// fixed window ends, the bucket refills one unit).
  std::chrono::milliseconds reset_after{0};
  /// When denied: time until the request's cost would fit (≥ 1 ms). Zero when allowed.
  std::chrono::milliseconds retry_after{0};
};

/// The outcome of one check.
struct decision {
  bool allowed = true;
  /// The deciding policy's figures: when denied, the (non-shadow) denying policy with the
  /// longest retry; when allowed, the enforced policy with the fewest units remaining.
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;
  std::chrono::milliseconds reset_after{0};
  /// ≥ 1 ms when denied; zero when allowed.
  std::chrono::milliseconds retry_after{0};
  /// The deciding policy's name (empty for a fail_open/fail_closed decision with no policy).
  std::string policy;
  decision_source source = decision_source::store;
  /// One result per policy checked, in the order given (empty for shield, fail_open and
  /// fail_closed decisions).
  std::vector<policy_result> policies;
};

/// What a check does when the store errors or misses its deadline.
enum class failure_mode {
  open,       ///< allow (the reference's behaviour)
  closed,     ///< deny, retry after the breaker's open time
  insurance,  ///< an in-process limiter (the same script on a private engine) decides
};
std::string_view to_string(failure_mode m) noexcept;
std::optional<failure_mode> parse_failure_mode(std::string_view name) noexcept;

struct limiter_options {
  /// First part of every key: `<prefix>:rl:{<identity>}:<policy>`. Default "rk".
  std::string prefix = "rk";
  /// Deadline of one check on the store. Default 100 ms.
  std::chrono::milliseconds timeout{100};
  /// Default open, as in the reference.
  failure_mode on_failure = failure_mode::open;
  /// Consecutive store failures that open the circuit breaker. Default 5.
  unsigned breaker_threshold = 5;
  /// While open, checks skip the store; after this long one check probes it (the others
  /// keep using the failure mode) and a success closes the breaker. Default 1 s.
  std::chrono::milliseconds breaker_open_for{1000};
  /// Insurance mode: each policy's limit (and burst) is divided by this, for N app instances
  /// that each run their own insurance limiter. Default 1.
  unsigned insurance_divisor = 1;
  /// Blocked-key shield: remember denials in process until their retry time, so repeat
  /// offenders cost no round trip. Default on.
  bool shield = true;
  /// Most denials the shield remembers; when it is full of live ones, new denials are not
  /// remembered (they still deny, at the cost of a round trip). Default 100,000.
  std::size_t shield_max_entries = 100000;
  /// Batching (Redis only; the engine answers in process): checks that arrive while
  /// `batches_in_flight` script calls are out wait and go together in the next call, up to
  /// `max_batch` per call. Each check is still decided atomically and in order. A queued check
  /// may wait for the calls ahead of it, so its latency is at most about
  /// batches_in_flight × timeout. max_batch = 1 turns batching off. Defaults 128 and 1 (on
  /// loopback, `redkit serve`'s benchmark sends 14 checks per call instead of 2's 10, and
  /// serves a few % more; more calls out overlap a long round trip to a distant store).
  std::size_t max_batch = 128;
  unsigned batches_in_flight = 1;
  /// Store errors are logged at most once per interval, with their count. Default 10 s.
  std::chrono::milliseconds error_log_interval{10000};
  /// Where error reports go. Default: a line on stderr.
  std::function<void(std::string_view)> log;
};

struct policy_metrics {
  std::uint64_t allowed = 0;        ///< checks this policy let pass
  std::uint64_t denied = 0;         ///< checks this policy denied (enforced)
  std::uint64_t shadow_denied = 0;  ///< checks this shadow policy would have denied
  std::uint64_t errors = 0;         ///< checks of this policy decided by the failure mode
};

struct limiter_metrics {
  std::map<std::string, policy_metrics, std::less<>> policies;  ///< by policy name
  std::uint64_t checks = 0;                                     ///< every check
  std::uint64_t store_errors = 0;   ///< store calls that failed or missed their deadline
  std::uint64_t shield_hits = 0;    ///< checks answered by the shield
  std::uint64_t fallbacks = 0;      ///< checks decided by the failure mode
  std::uint64_t breaker_opens = 0;  ///< times the breaker opened
  bool breaker_open = false;        ///< open right now
};

/// Checks requests against policies on a store. Keys: `<prefix>:rl:{<identity>}:<policy>`, so
/// all policies of one identity share a hash tag (one slot on a Cluster).
class limiter {
 public:
  /// Throws redkit::error(errc::invalid_argument) for bad options.
  explicit limiter(std::shared_ptr<store> s, limiter_options options = {});
  ~limiter();
  limiter(const limiter&) = delete;
  limiter& operator=(const limiter&) = delete;

  /// Checks one request of `identity` (1-512 bytes, e.g. "user:42" or "ip:203.0.113.7")
  /// against every policy at once: either all allow and all consume, or it is denied and
  /// nothing is consumed. `cost` (0: each policy's own) is the units the request takes.
  /// Store failures never raise: the failure mode decides. Throws redkit::error
  /// (errc::invalid_argument) for an empty policy list, a bad policy or identity, or a cost
  /// above a policy's capacity. The arguments are referenced, not copied: co_await the
  /// check in the expression that makes it.
  asio::awaitable<decision> async_check(std::string_view identity, std::span<const policy> policies,
                                        std::uint64_t cost = 0);
  /// Blocking twin (not from the store's own I/O thread).
  decision check(std::string_view identity, std::span<const policy> policies,
                 std::uint64_t cost = 0);

  /// Forgets `identity`'s state for `policies` (deletes the keys, clears the shield).
  /// Store errors raise here (redkit::error).
  asio::awaitable<void> async_reset(std::string_view identity, std::span<const policy> policies);
  void reset(std::string_view identity, std::span<const policy> policies);

  /// The key that holds `identity`'s state for `p`.
  std::string key(std::string_view identity, const policy& p) const;

  /// A snapshot of the counters.
  limiter_metrics metrics() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::rate_limit

namespace redkit {
using rate_limiter = rate_limit::limiter;
}  // namespace redkit
