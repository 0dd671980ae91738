// The cache layer (see cache.hpp): L1 and single flight in process, the scripts under
// scripts/cache/ on the store, the breaker and fallbacks around them, the invalidation
// broadcast, and the background refreshes.
#include <redkit/cache.hpp>

#include "blocking.hpp"
#include "breaker.hpp"
#include "cache/l1.hpp"
#include "cache/single_flight.hpp"
#include "engine/engine_store.hpp"
#include "script_reply.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/core.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <future>
#include <random>
#include <unordered_set>

namespace redkit::cache {

double metrics::hit_ratio() const noexcept {
  const auto hits = l1_hits + l2_hits;
  const auto total = hits + misses;
  return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total);
}

namespace {

using steady = std::chrono::steady_clock;
using detail::l1_entry;

error invalid(std::string_view what) {
  return redkit::detail::pattern_error(errc::invalid_argument, "cache", what);
}

const script& script_get() { return script::embedded("cache/get"); }
const script& script_set() { return script::embedded("cache/set"); }
const script& script_invalidate() { return script::embedded("cache/invalidate"); }
const script& script_invalidate_tag() { return script::embedded("cache/invalidate_tag"); }

void check_key(std::string_view key) {
  if (key.empty() || key.size() > 1024) throw invalid("key must be 1 to 1024 bytes");
}

void check_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 256 || tag.find('\0') != std::string_view::npos) {
    throw invalid("tag must be 1 to 256 bytes, without NUL");
  }
}

void check_options(const options& o) {
  if (o.prefix.empty()) throw invalid("prefix must not be empty");
  if (o.name.empty() || o.name.size() > 128 || o.name.find_first_of("{}") != std::string::npos) {
    throw invalid("name must be 1 to 128 bytes, without braces");
  }
  if (o.ttl.count() <= 0) throw invalid("ttl must be positive");
  if (o.stale_while_revalidate.count() < 0 || o.stale_if_error.count() < 0) {
    throw invalid("stale windows must not be negative");
  }
  if (o.negative_ttl.count() < 0) throw invalid("negative_ttl must not be negative");
  if (!(o.ttl_jitter >= 0 && o.ttl_jitter <= 0.5)) throw invalid("ttl_jitter must be 0 to 0.5");
  if (o.max_value_bytes == 0) throw invalid("max_value_bytes must be positive");
  if (o.l1.max_ttl.count() < 0) throw invalid("l1.max_ttl must not be negative");
  if (o.lock_ttl.count() <= 0 || o.lock_wait.count() < 0) {
    throw invalid("lock_ttl must be positive and lock_wait not negative");
  }
  if (!(o.early_refresh_beta >= 0 && o.early_refresh_beta <= 100)) {
    throw invalid("early_refresh_beta must be 0 to 100");
  }
  if (o.timeout.count() <= 0) throw invalid("timeout must be positive");
  if (o.breaker_threshold == 0) throw invalid("breaker_threshold must be at least 1");
  if (o.breaker_open_for.count() <= 0) throw invalid("breaker_open_for must be positive");
  if (o.error_log_interval.count() < 0) throw invalid("error_log_interval must not be negative");
}

/// The windows of one write, resolved against the cache's defaults.
struct windows {
  std::int64_t ttl = 0;
  std::int64_t swr = 0;
  std::int64_t sie = 0;
};

/// get.lua's reply.
struct l2_entry {
  std::int64_t now = 0;
  bool found = false;
  std::string value;
  std::int64_t fresh_until = 0;
  std::int64_t swr_until = 0;
  std::int64_t sie_until = 0;
  std::int64_t load_ms = 0;
  bool negative = false;
  std::string tags;
  int lock = -1;
};

l2_entry parse_get(const resp::reply& r) {
  const auto& a = redkit::detail::reply_array(r, "cache");
  if (a.size() != 10) {
    throw redkit::detail::pattern_error(errc::unexpected_reply, "cache", "malformed get reply");
  }
  auto i = [&](std::size_t n) { return redkit::detail::reply_integer(a[n], "cache"); };
  l2_entry e;
  e.now = i(0);
  e.found = i(1) == 1;
  e.value = redkit::detail::reply_string(a[2], "cache");
  e.fresh_until = i(3);
  e.swr_until = i(4);
  e.sie_until = i(5);
  e.load_ms = i(6);
  e.negative = i(7) == 1;
  e.tags = redkit::detail::reply_string(a[8], "cache");
  e.lock = static_cast<int>(i(9));
  return e;
}

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += '\0';
    out += t;
  }
  return out;
}

double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

asio::awaitable<std::optional<std::string>> call_blocking(blocking_loader load) {
  co_return load();
}

}  // namespace

struct cache::impl : std::enable_shared_from_this<impl> {
  impl(std::shared_ptr<store> s, options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        l1_on_(opts_.l1.enabled.value_or(store_->engine() == nullptr)),
        l1_(opts_.l1.max_entries, opts_.l1.max_bytes),
        flights_(store_->get_executor()),
        breaker_(opts_.breaker_threshold, opts_.breaker_open_for),
        in_process_(redkit::detail::in_process(*store_)) {
    const auto base = opts_.prefix + ":cache:{" + opts_.name + "}:";
    entry_prefix_ = base + "e:";
    lock_prefix_ = base + "l:";
    tag_prefix_ = base + "t:";
    channel_ = base + "inv";
    origin_ = redkit::detail::random_base64url(12);
    if (!opts_.log) {
      opts_.log = [](std::string_view line) {
        std::fprintf(stderr, "%.*s\n", int(line.size()), line.data());
      };
    }
    if (opts_.refresh_executor) {
      refresh_ex_ = opts_.refresh_executor;
    } else {
      own_pool_ = std::make_unique<asio::thread_pool>(1);
      refresh_ex_ = own_pool_->get_executor();
    }
  }

  /// Stops the resubscribe timer and the broadcast, and waits for the cache's own refresh
  /// thread (never from that thread: the cache's owner calls this).
  void shutdown() {
    stopping_ = true;
    {
      std::lock_guard lock(sub_mu_);
      if (retry_timer_) retry_timer_->cancel();
      if (sub_) sub_->close();
    }
    if (own_pool_) own_pool_->join();
  }

  // --- clock -----------------------------------------------------------------------------

  /// The cache's local clock in ms: the engine's for an engine store (tests move it).
  std::int64_t local_ms() const {
    const auto t = store_->engine() ? store_->engine()->now() : std::chrono::system_clock::now();
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
  }
  steady::time_point breaker_now() const {
    if (const auto* e = store_->engine()) {
      return steady::time_point(
          std::chrono::duration_cast<steady::duration>(e->now().time_since_epoch()));
    }
    return steady::now();
  }

  // --- keys and invalidation sequence ---------------------------------------------------------

  std::string entry_key(std::string_view key) const { return entry_prefix_ + std::string(key); }
  std::string lock_key(std::string_view key) const { return lock_prefix_ + std::string(key); }
  std::string tag_key(std::string_view tag) const { return tag_prefix_ + std::string(tag); }

  /// A counter that moves whenever `key` may have been invalidated (its slot, or everything):
  /// an L2 read puts its result in L1 only if this did not move while it was out.
  std::uint64_t seq_of(std::string_view key) const {
    const auto slot = std::hash<std::string_view>{}(key) % seqs_.size();
    return seqs_[slot].load(std::memory_order_acquire) +
           global_seq_.load(std::memory_order_acquire);
  }
  void bump(std::string_view key) {
    seqs_[std::hash<std::string_view>{}(key) % seqs_.size()].fetch_add(1,
                                                                       std::memory_order_acq_rel);
  }
  void bump_all() { global_seq_.fetch_add(1, std::memory_order_acq_rel); }

  /// L1 serves hits only while the broadcast is live (otherwise it is a fallback).
  bool l1_trusted() const { return l1_on_ && subscribed_.load(std::memory_order_acquire); }

  void on_message(const message& m) {
    // "<origin> <kind><name>": kind k (a key), t (a tag).
    const std::string_view p = m.payload;
    const auto space = p.find(' ');
    if (space == std::string_view::npos || space + 1 >= p.size()) return;
    if (p.substr(0, space) == origin_) return;  // our own change: L1 already follows it
    const char kind = p[space + 1];
    const std::string name(p.substr(space + 2));
    received_.fetch_add(1, std::memory_order_relaxed);
    if (kind == 'k') {
      bump(name);
      l1_.erase(name);
    } else if (kind == 't') {
      bump_all();
      l1_.erase_tag(name);
    }
  }

  void on_subscription_state(bool active) {
    bump_all();
    if (active) {
      l1_.clear();  // what was missed while down is unknown
      subscribed_ = true;
    } else {
      subscribed_ = false;
      epoch_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  /// Subscribes to the broadcast (blocking; on the refresh executor or at construction).
  /// On failure, retries every breaker_open_for until the cache goes away.
  void try_subscribe() {
    if (stopping_) return;
    std::weak_ptr<impl> weak = weak_from_this();
    try {
      auto sub = store_->subscribe(
          {channel_}, {},
          [weak](message m) {
            if (auto self = weak.lock()) self->on_message(m);
          },
          [weak](bool active) {
            if (auto self = weak.lock()) self->on_subscription_state(active);
          });
      std::lock_guard lock(sub_mu_);
      if (stopping_) {
        sub->close();
        return;
      }
      sub_ = std::move(sub);
      bump_all();
      l1_.clear();
      subscribed_ = true;
    } catch (const std::exception& e) {
      report_failure(e.what(), false);
      std::lock_guard lock(sub_mu_);
      if (stopping_) return;
      retry_timer_ = std::make_shared<asio::steady_timer>(refresh_ex_, opts_.breaker_open_for);
      retry_timer_->async_wait([weak, timer = retry_timer_](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->try_subscribe();
      });
    }
  }

  void start() {
    if (!l1_on_) return;
    // The first attempt may wait for a connect: do it on the refresh executor and wait for it
    // at most a second, so a cache made during an outage does not hang its maker.
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    asio::post(refresh_ex_, [self = shared_from_this(), done] {
      self->try_subscribe();
      done->set_value();
    });
    if (f.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
      opts_.log("redkit cache " + opts_.name +
                ": invalidation channel not subscribed yet; L1 serves as a fallback only");
    }
  }

  // --- failures --------------------------------------------------------------------------------

  void report_failure(std::string_view what, bool count_breaker = true) {
    store_errors_.fetch_add(1, std::memory_order_relaxed);
    const auto now = breaker_now();
    if (count_breaker) breaker_.failure(now);
    std::lock_guard lock(log_mu_);
    ++unlogged_errors_;
    last_error_ = what;
    if (logged_once_ && now - last_log_ < opts_.error_log_interval) return;
    opts_.log(fmt::format(
        "redkit cache {}: {} store error(s) since the last report (last: {}); breaker {}",
        opts_.name, unlogged_errors_, last_error_, breaker_.is_open() ? "open" : "closed"));
    unlogged_errors_ = 0;
    last_log_ = now;
    logged_once_ = true;
  }

  // --- store calls -----------------------------------------------------------------------------

  asio::awaitable<resp::reply> eval(const script& s, std::vector<std::string> keys,
                                    std::vector<std::string> args) {
    if (in_process_) {
      std::vector<std::string_view> k(keys.begin(), keys.end());
      std::vector<std::string_view> a(args.begin(), args.end());
      co_return in_process_->eval_now(s, k, a);
    }
    request_options ro;
    ro.timeout = opts_.timeout;
    co_return co_await store_->async_eval(s, std::move(keys), std::move(args), ro);
  }

  asio::awaitable<l2_entry> read(std::string_view key, bool take_lock) {
    std::vector<std::string> keys{entry_key(key), lock_key(key)};
    std::vector<std::string> args;
    if (take_lock && opts_.lock) {
      args = {redkit::detail::decimal(opts_.lock_ttl.count()), origin_};
    } else {
      args = {"0", ""};
    }
    co_return parse_get(co_await eval(script_get(), std::move(keys), std::move(args)));
  }

  /// read(), with a failure reported (to the breaker and the log) and read as nothing.
  asio::awaitable<std::optional<l2_entry>> try_read(std::string_view key, bool take_lock) {
    std::optional<l2_entry> e;
    try {
      e = co_await read(key, take_lock);
      breaker_.success();
    } catch (const std::exception& ex) {
      report_failure(ex.what());
    }
    co_return e;
  }

  windows resolve(const entry_options& eo, bool negative) const {
    windows w;
    if (negative) {
      w.ttl = opts_.negative_ttl.count();
      return w;
    }
    w.ttl = eo.ttl.value_or(opts_.ttl).count();
    w.swr = eo.stale_while_revalidate.value_or(opts_.stale_while_revalidate).count();
    w.sie = eo.stale_if_error.value_or(opts_.stale_if_error).count();
    if (opts_.ttl_jitter > 0) {
      const double spread = (uniform01() * 2 - 1) * opts_.ttl_jitter;
      w.ttl = std::max<std::int64_t>(1, std::llround(static_cast<double>(w.ttl) * (1 + spread)));
    }
    return w;
  }

  static void check_entry_options(const entry_options& eo) {
    if (eo.ttl && eo.ttl->count() <= 0) throw invalid("ttl must be positive");
    if ((eo.stale_while_revalidate && eo.stale_while_revalidate->count() < 0) ||
        (eo.stale_if_error && eo.stale_if_error->count() < 0)) {
      throw invalid("stale windows must not be negative");
    }
    if (eo.tags.size() > 32) throw invalid("at most 32 tags per entry");
    for (const auto& t : eo.tags) check_tag(t);
  }

  /// An L1 entry for a value written now with `w` (times on the local clock).
  l1_entry local_entry(std::string value, bool negative, std::string tags, const windows& w,
                       std::int64_t load_ms) const {
    const auto now = local_ms();
    l1_entry e;
    e.value = std::move(value);
    e.negative = negative;
    e.tags = std::move(tags);
    e.fresh_until = now + w.ttl;
    e.swr_until = e.fresh_until + w.swr;
    e.sie_until = e.fresh_until + w.sie;
    e.load_ms = load_ms;
    return cap(std::move(e), now);
  }

  /// L1 copy of an entry read from L2 (its server times moved onto the local clock).
  l1_entry local_copy(const l2_entry& r) const {
    const auto now = local_ms();
    const auto shift = now - r.now;
    l1_entry e;
    e.value = r.value;
    e.negative = r.negative;
    e.tags = r.tags;
    e.fresh_until = r.fresh_until + shift;
    e.swr_until = r.swr_until + shift;
    e.sie_until = r.sie_until + shift;
    e.load_ms = r.load_ms;
    return cap(std::move(e), now);
  }

  l1_entry cap(l1_entry e, std::int64_t now) const {
    e.epoch = epoch_.load(std::memory_order_acquire);
    if (opts_.l1.max_ttl.count() > 0) {
      const auto limit = now + opts_.l1.max_ttl.count();
      e.fresh_until = std::min(e.fresh_until, limit);
      e.swr_until = std::min(e.swr_until, limit);
      e.sie_until = std::min(e.sie_until, limit);
    }
    return e;
  }

  /// Writes an entry (set.lua). Values over the maximum are not stored: the key is dropped
  /// instead, so nobody keeps reading an older value. Raises on store errors.
  asio::awaitable<void> write(std::string key, std::optional<std::string> value, entry_options eo,
                              std::int64_t load_ms) {
    const bool negative = !value;
    if (negative && opts_.negative_ttl.count() == 0) {
      co_await drop(key);
      co_return;
    }
    if (value && value->size() > opts_.max_value_bytes) {
      oversize_.fetch_add(1, std::memory_order_relaxed);
      co_await drop(key);
      co_return;
    }
    const auto w = resolve(eo, negative);
    auto tags = negative ? std::string() : join_tags(eo.tags);
    bump(key);
    l1_.erase(key);
    std::vector<std::string> keys{entry_key(key), lock_key(key)};
    if (!negative) {
      for (const auto& t : eo.tags) keys.push_back(tag_key(t));
    }
    std::vector<std::string> args{value.value_or(std::string()),
                                  negative ? "1" : "0",
                                  redkit::detail::decimal(w.ttl),
                                  redkit::detail::decimal(w.swr),
                                  redkit::detail::decimal(w.sie),
                                  redkit::detail::decimal(load_ms),
                                  tags,
                                  key,
                                  channel_,
                                  origin_ + " k" + key};
    co_await eval(script_set(), std::move(keys), std::move(args));
    breaker_.success();
    if (l1_on_)
      l1_.put(key, local_entry(value.value_or(std::string()), negative, tags, w, load_ms));
  }

  asio::awaitable<bool> drop(std::string key) {
    bump(key);
    l1_.erase(key);
    std::vector<std::string> keys{entry_key(key), lock_key(key)};
    std::vector<std::string> args{channel_, origin_ + " k" + key};
    auto r = co_await eval(script_invalidate(), std::move(keys), std::move(args));
    breaker_.success();
    co_return redkit::detail::reply_integer(r, "cache") == 1;
  }

  // --- lookups ---------------------------------------------------------------------------------

  /// XFetch: refresh before `fresh_until` with probability rising as it nears.
  bool early(std::int64_t now, std::int64_t fresh_until, std::int64_t load_ms) const {
    if (opts_.early_refresh_beta <= 0 || load_ms <= 0) return false;
    const double gap = -static_cast<double>(load_ms) * opts_.early_refresh_beta *
                       std::log(std::max(uniform01(), 1e-300));
    return static_cast<double>(now) + gap >= static_cast<double>(fresh_until);
  }

  /// L1's fresh value of `key` (trusted L1 only), counting the hit.
  std::optional<l1_entry> l1_fresh(const std::string& key) {
    if (!l1_trusted()) return std::nullopt;
    auto e = l1_.find(key);
    if (!e || e->epoch != epoch_.load(std::memory_order_acquire)) return std::nullopt;
    if (local_ms() >= e->fresh_until) return std::nullopt;
    l1_hits_.fetch_add(1, std::memory_order_relaxed);
    if (e->negative) negative_hits_.fetch_add(1, std::memory_order_relaxed);
    return e;
  }

  /// The entry's value (moved out), or nothing for a cached absence; l1_entry or l2_entry.
  template <typename Entry>
  static std::optional<std::string> value_of(Entry& e) {
    if (e.negative) return std::nullopt;
    return std::move(e.value);
  }

  /// Keeps a value loaded without the store in L1 (when it fits, and an absence only when
  /// absences are cached).
  void keep_in_l1(const std::string& key, const std::optional<std::string>& v,
                  const entry_options& eo, std::int64_t load_ms) {
    if (!l1_on_) return;
    const bool negative = !v;
    if (negative ? opts_.negative_ttl.count() == 0 : v->size() > opts_.max_value_bytes) return;
    l1_.put(key, local_entry(v.value_or(std::string()), negative,
                             negative ? std::string() : join_tags(eo.tags), resolve(eo, negative),
                             load_ms));
  }

  /// What an L2 read found, counted: `fresh` (copied into L1 unless `key` was invalidated
  /// since `seq`), `stale` (within stale-while-revalidate) or `miss`.
  enum class l2_state { fresh, stale, miss };
  l2_state account(const std::string& key, const l2_entry& e, std::uint64_t seq) {
    if (e.found && e.now < e.fresh_until) {
      l2_hits_.fetch_add(1, std::memory_order_relaxed);
      if (e.negative) negative_hits_.fetch_add(1, std::memory_order_relaxed);
      if (l1_on_ && seq_of(key) == seq) l1_.put(key, local_copy(e));
      return l2_state::fresh;
    }
    if (e.found && e.now < e.swr_until) {
      l2_hits_.fetch_add(1, std::memory_order_relaxed);
      stale_served_.fetch_add(1, std::memory_order_relaxed);
      return l2_state::stale;
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    return l2_state::miss;
  }

  /// Without the store: L1's copy in any state, else the loader (its value kept in L1).
  asio::awaitable<std::optional<std::string>> fallback(std::string key, loader load,
                                                       entry_options eo) {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    if (l1_on_) {
      if (auto e = l1_.find(key)) {
        if (local_ms() >= e->fresh_until) stale_served_.fetch_add(1, std::memory_order_relaxed);
        co_return value_of(*e);
      }
    }
    if (!load) co_return std::nullopt;
    auto v = co_await call_loader(load);
    keep_in_l1(key, v, eo, 0);
    co_return v;
  }

  asio::awaitable<std::optional<std::string>> call_loader(const loader& load) {
    loads_.fetch_add(1, std::memory_order_relaxed);
    try {
      co_return co_await load();
    } catch (...) {
      load_errors_.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
  }

  /// Loads `key`, stores the result and returns it; serves `stale` (if its stale-if-error
  /// window is open) when the loader fails.
  asio::awaitable<std::optional<std::string>> load_and_store(std::string key, loader load,
                                                             entry_options eo,
                                                             std::optional<l2_entry> stale) {
    const auto t0 = steady::now();
    std::optional<std::string> v;
    try {
      v = co_await call_loader(load);
    } catch (...) {
      if (stale && stale->found && stale->now < stale->sie_until) {
        stale_served_.fetch_add(1, std::memory_order_relaxed);
        co_return value_of(*stale);
      }
      throw;
    }
    const auto load_ms = std::max<std::int64_t>(
        1, std::chrono::duration_cast<milliseconds>(steady::now() - t0).count());
    try {
      co_await write(key, v, eo, load_ms);
    } catch (const std::exception& e) {
      report_failure(e.what());
      keep_in_l1(key, v, eo, load_ms);
    }
    co_return v;
  }

  /// The single-flight body of get_or_load: L2 (with the lock), then the loader.
  asio::awaitable<std::optional<std::string>> resolve_key(std::string key, loader load,
                                                          entry_options eo) {
    if (breaker_.admit(breaker_now()) == redkit::detail::breaker::gate::skip) {
      co_return co_await fallback(std::move(key), std::move(load), std::move(eo));
    }
    const auto seq = seq_of(key);
    auto got = co_await try_read(key, true);
    if (!got) co_return co_await fallback(std::move(key), std::move(load), std::move(eo));
    auto& e = *got;
    switch (account(key, e, seq)) {
      case l2_state::fresh:
        if (!e.negative && early(e.now, e.fresh_until, e.load_ms)) {
          early_refreshes_.fetch_add(1, std::memory_order_relaxed);
          start_refresh(key, load, eo);
        }
        co_return value_of(e);
      case l2_state::stale:
        start_refresh(key, load, eo);
        co_return value_of(e);
      case l2_state::miss:
        break;
    }
    if (e.lock == 0) {
      // Another process is loading: serve what is left of the entry, else wait for its value.
      if (e.found) {
        stale_served_.fetch_add(1, std::memory_order_relaxed);
        co_return value_of(e);
      }
      lock_waits_.fetch_add(1, std::memory_order_relaxed);
      if (auto waited = co_await wait_for_other(key)) {
        if (waited->found) co_return value_of(*waited);
      }
    }
    std::optional<l2_entry> stale;
    if (e.found) stale = std::move(e);
    co_return co_await load_and_store(std::move(key), std::move(load), std::move(eo),
                                      std::move(stale));
  }

  /// Polls L2 while another process holds the lock, up to lock_wait. Returns the entry once it
  /// is fresh, or an entry with found = false when this call took the lock (the holder went
  /// away), or nothing when the wait ran out or the store failed.
  asio::awaitable<std::optional<l2_entry>> wait_for_other(const std::string& key) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    const auto deadline = steady::now() + opts_.lock_wait;
    auto pause = milliseconds(5);
    while (steady::now() + pause < deadline) {
      timer.expires_after(pause);
      co_await timer.async_wait(asio::use_awaitable);
      pause = std::min(pause * 2, milliseconds(50));
      auto e = co_await try_read(key, true);
      if (!e) co_return std::nullopt;
      if (e->found && e->now < e->fresh_until) co_return e;
      if (e->lock == 1) {
        e->found = false;
        co_return e;
      }
    }
    co_return std::nullopt;
  }

  // --- background refresh --------------------------------------------------------------------

  void start_refresh(const std::string& key, const loader& load, const entry_options& eo) {
    if (!load) return;
    {
      std::lock_guard lock(refresh_mu_);
      if (!refreshing_.insert(key).second) return;
    }
    asio::co_spawn(refresh_ex_, refresh(shared_from_this(), key, load, eo), asio::detached);
  }

  static asio::awaitable<void> refresh(std::shared_ptr<impl> self, std::string key, loader load,
                                       entry_options eo) {
    try {
      std::optional<l2_entry> current;
      bool ours = true;
      if (self->opts_.lock) {
        auto e = co_await self->read(key, true);
        ours = e.lock != 0;  // 0: another process refreshes it
        if (e.found) current = std::move(e);
      }
      if (ours) {
        co_await self->load_and_store(key, std::move(load), std::move(eo), std::move(current));
      }
    } catch (...) {
      // Counted as a load or store error; the stale value keeps being served.
    }
    std::lock_guard lock(self->refresh_mu_);
    self->refreshing_.erase(key);
  }

  // --- public calls ----------------------------------------------------------------------------

  asio::awaitable<std::optional<std::string>> get_or_load(std::string key, loader load,
                                                          entry_options eo) {
    if (auto e = l1_fresh(key)) {
      if (!e->negative && early(local_ms(), e->fresh_until, e->load_ms)) {
        early_refreshes_.fetch_add(1, std::memory_order_relaxed);
        start_refresh(key, load, eo);
      }
      co_return value_of(*e);
    }
    // A named local, not a temporary in the co_await expression (g++ 12 destroys such
    // temporaries twice).
    auto work = [self = shared_from_this(), key, load = std::move(load), eo = std::move(eo)]() {
      return self->resolve_key(key, load, eo);
    };
    auto flight = flights_.run(key, std::move(work));
    co_return co_await std::move(flight);
  }

  asio::awaitable<std::optional<std::string>> get(std::string key) {
    if (auto e = l1_fresh(key)) co_return value_of(*e);
    if (breaker_.admit(breaker_now()) == redkit::detail::breaker::gate::skip) {
      co_return co_await fallback(std::move(key), loader{}, entry_options{});
    }
    const auto seq = seq_of(key);
    auto got = co_await try_read(key, false);
    if (!got) co_return co_await fallback(std::move(key), loader{}, entry_options{});
    auto& e = *got;
    if (account(key, e, seq) == l2_state::miss) co_return std::nullopt;
    co_return value_of(e);
  }

  asio::awaitable<std::size_t> invalidate_tag(std::string tag) {
    bump_all();
    l1_.erase_tag(tag);
    std::vector<std::string> keys{tag_key(tag)};
    std::vector<std::string> args{tag, entry_prefix_, channel_, origin_ + " t" + tag};
    auto r = co_await eval(script_invalidate_tag(), std::move(keys), std::move(args));
    breaker_.success();
    co_return static_cast<std::size_t>(redkit::detail::reply_integer(r, "cache"));
  }

  struct metrics snapshot() const {
    struct metrics m;
    m.l1_hits = l1_hits_.load();
    m.l2_hits = l2_hits_.load();
    m.misses = misses_.load();
    m.loads = loads_.load();
    m.load_errors = load_errors_.load();
    m.negative_hits = negative_hits_.load();
    m.stale_served = stale_served_.load();
    m.early_refreshes = early_refreshes_.load();
    m.lock_waits = lock_waits_.load();
    m.fallbacks = fallbacks_.load();
    m.store_errors = store_errors_.load();
    m.oversize = oversize_.load();
    m.invalidations_received = received_.load();
    m.l1_entries = l1_.size();
    m.l1_bytes = l1_.bytes();
    m.breaker_open = breaker_.is_open();
    m.l1_live = l1_trusted();
    return m;
  }

  std::shared_ptr<store> store_;
  options opts_;
  const bool l1_on_;
  detail::l1 l1_;
  detail::single_flight flights_;
  redkit::detail::breaker breaker_;
  redkit::detail::in_process_eval* in_process_;
  std::string entry_prefix_, lock_prefix_, tag_prefix_, channel_, origin_;
  std::unique_ptr<asio::thread_pool> own_pool_;
  asio::any_io_executor refresh_ex_;

  std::mutex sub_mu_;
  std::shared_ptr<subscription> sub_;
  std::shared_ptr<asio::steady_timer> retry_timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> epoch_{0};
  std::array<std::atomic<std::uint64_t>, 1024> seqs_{};
  std::atomic<std::uint64_t> global_seq_{0};

  std::mutex refresh_mu_;
  std::unordered_set<std::string> refreshing_;

  std::atomic<std::uint64_t> l1_hits_{0}, l2_hits_{0}, misses_{0}, loads_{0}, load_errors_{0},
      negative_hits_{0}, stale_served_{0}, early_refreshes_{0}, lock_waits_{0}, fallbacks_{0},
      store_errors_{0}, oversize_{0}, received_{0};

  std::mutex log_mu_;
  std::uint64_t unlogged_errors_ = 0;
  std::string last_error_;
  bool logged_once_ = false;
  steady::time_point last_log_;
};

cache::cache(std::shared_ptr<store> s, options o) {
  if (!s) throw invalid("store must not be null");
  check_options(o);
  impl_ = std::make_shared<impl>(std::move(s), std::move(o));
  impl_->start();
}

cache::~cache() {
  if (impl_) impl_->shutdown();
}

asio::awaitable<std::optional<std::string>> cache::async_get_or_load(std::string_view key,
                                                                     loader load,
                                                                     entry_options eo) {
  check_key(key);
  if (!load) throw invalid("loader must not be empty");
  impl::check_entry_options(eo);
  return impl_->get_or_load(std::string(key), std::move(load), std::move(eo));
}

asio::awaitable<std::optional<std::string>> cache::async_get(std::string_view key) {
  check_key(key);
  return impl_->get(std::string(key));
}

asio::awaitable<void> cache::async_set(std::string_view key, std::string_view value,
                                       entry_options eo) {
  check_key(key);
  impl::check_entry_options(eo);
  return impl_->write(std::string(key), std::string(value), std::move(eo), 0);
}

asio::awaitable<bool> cache::async_invalidate(std::string_view key) {
  check_key(key);
  return impl_->drop(std::string(key));
}

asio::awaitable<std::size_t> cache::async_invalidate_tag(std::string_view tag) {
  check_tag(tag);
  return impl_->invalidate_tag(std::string(tag));
}

std::optional<std::string> cache::get_or_load(std::string_view key, blocking_loader load,
                                              entry_options eo) {
  if (!load) throw invalid("loader must not be empty");
  return redkit::detail::run_on_calling_thread<std::optional<std::string>>(
      *impl_->store_, "cache", "get_or_load", [&] {
        return async_get_or_load(
            key, [load] { return call_blocking(load); }, std::move(eo));
      });
}

std::optional<std::string> cache::get(std::string_view key) {
  return redkit::detail::run_on_calling_thread<std::optional<std::string>>(
      *impl_->store_, "cache", "get", [&] { return async_get(key); });
}

void cache::set(std::string_view key, std::string_view value, entry_options eo) {
  redkit::detail::run_on_calling_thread<void>(*impl_->store_, "cache", "set",
                                              [&] { return async_set(key, value, std::move(eo)); });
}

bool cache::invalidate(std::string_view key) {
  return redkit::detail::run_on_calling_thread<bool>(*impl_->store_, "cache", "invalidate",
                                                     [&] { return async_invalidate(key); });
}

std::size_t cache::invalidate_tag(std::string_view tag) {
  return redkit::detail::run_on_calling_thread<std::size_t>(
      *impl_->store_, "cache", "invalidate_tag", [&] { return async_invalidate_tag(tag); });
}

std::optional<boost::json::value> cache::get_json(std::string_view key) {
  auto v = get(key);
  if (!v) return std::nullopt;
  boost::system::error_code ec;
  auto j = boost::json::parse(*v, ec);
  if (ec) {
    throw redkit::detail::pattern_error(errc::unexpected_reply, "cache",
                                        "cached value is not JSON: " + ec.message());
  }
  return j;
}

void cache::set_json(std::string_view key, const boost::json::value& v, entry_options eo) {
  set(key, boost::json::serialize(v), std::move(eo));
}

void cache::clear_l1() {
  impl_->bump_all();
  impl_->l1_.clear();
}

std::string cache::key(std::string_view key) const { return impl_->entry_key(key); }
struct metrics cache::metrics() const {
  return impl_->snapshot();
}
const options& cache::config() const noexcept { return impl_->opts_; }

}  // namespace redkit::cache
