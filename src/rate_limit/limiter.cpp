// The limiter: builds one call of scripts/rate_limit/check.lua per request, turns its reply into
// a decision, and around it keeps the shield, the circuit breaker, the failure modes and the
// metrics.
#include "engine/engine_store.hpp"
#include "rate_limit/algorithms.hpp"
#include "rate_limit/check_native.hpp"
#include "rate_limit/limiter_parts.hpp"

#include <redkit/rate_limiter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fmt/core.h>

#include "batch_queue.hpp"
#include "blocking.hpp"
#include "completion.hpp"
#include "script_reply.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <iterator>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace redkit::rate_limit {
namespace {

using steady = std::chrono::steady_clock;

error invalid(const std::string& what) {
  return error(make_error_code(errc::invalid_argument), "rate limit: " + what);
}

char algorithm_code(algorithm a) { return info(a).script_code; }

std::string_view key_suffix(algorithm a) { return info(a).key_suffix; }

/// A short prefix unique to this limiter with high probability: 9 random base-36 digits (46
/// bits). Batch ids are this prefix and a base-36 counter, so they never contain the ':' and
/// '.' that check.lua puts between a batch id and an entry's number.
std::string random_prefix() {
  std::random_device rd;
  std::uint64_t v = (std::uint64_t{rd()} << 16) ^ rd();
  std::string s;
  for (int i = 0; i < 9; ++i, v /= 36) s += "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
  return s;
}

/// Appends `n` in base 36: a batch id of the prefix and up to 6 digits (2 billion batches) is
/// 15 bytes, short enough for a string's inline buffer, so a sliding_log entry on the engine
/// is one allocation rather than two.
void append_base36(std::string& out, std::uint64_t n) {
  char buf[16];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n, 36).ptr);
}

/// Appends to `out` the pieces of `text` that end at each of `ends`, in order.
void append_pieces(const std::string& text, std::span<const std::size_t> ends,
                   std::vector<std::string_view>& out) {
  std::size_t from = 0;
  for (const auto end : ends) {
    out.emplace_back(text.data() + from, end - from);
    from = end;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

namespace {
error malformed_reply() {
  return error(make_error_code(errc::unexpected_reply), "rate limit: malformed script reply");
}
}  // namespace

void reply_integers(const resp::reply& r, std::vector<std::int64_t>& out) {
  out.clear();
  if (r.type != resp::type::array) throw malformed_reply();
  out.reserve(r.elements.size());
  for (const auto& e : r.elements) {
    if (e.type != resp::type::integer) throw malformed_reply();
    out.push_back(e.integer);
  }
}

std::vector<std::int64_t> reply_integers(const resp::reply& r) {
  std::vector<std::int64_t> v;
  reply_integers(r, v);
  return v;
}

decision decide(std::span<const policy> policies, std::span<const std::int64_t> r) {
  if (policies.empty() || r.size() != 1 + 4 * policies.size()) throw malformed_reply();
  decision d;
  d.allowed = r[0] == 1;
  d.policies.reserve(policies.size());
  const policy_result* deciding = nullptr;
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const auto* v = &r[1 + 4 * i];
    auto& res = d.policies.emplace_back();
    res.policy = policies[i].name;
    res.shadow = policies[i].shadow;
    res.allowed = v[0] == 1;
    res.limit = capacity(policies[i]);
    res.remaining = static_cast<std::uint64_t>(std::max<std::int64_t>(0, v[1]));
    res.reset_after = std::chrono::milliseconds(v[2]);
    res.retry_after = std::chrono::milliseconds(v[3]);
    if (res.shadow) continue;
    const bool better =
        d.allowed ? !deciding || res.remaining < deciding->remaining
                  : !res.allowed && (!deciding || res.retry_after > deciding->retry_after);
    if (better) deciding = &res;
  }
  if (!deciding) deciding = &d.policies.front();  // every policy is in shadow mode
  d.limit = deciding->limit;
  d.remaining = deciding->remaining;
  d.reset_after = deciding->reset_after;
  d.retry_after = d.allowed ? std::chrono::milliseconds(0) : deciding->retry_after;
  d.policy = deciding->policy;
  return d;
}

// ---------------------------------------------------------------------------------------------

std::optional<shield::hit> shield::find(const std::string& key, steady::time_point now) {
  if (size_.load(std::memory_order_relaxed) == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.until <= now) {
    entries_.erase(it);
    size_.store(entries_.size(), std::memory_order_relaxed);
    return std::nullopt;
  }
  return it->second;
}

void shield::remember(std::string key, hit h, steady::time_point now) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second = std::move(h);
    return;
  }
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [&](const auto& e) { return e.second.until <= now; });
    if (entries_.size() >= max_entries_) return;  // full of live denials: keep the older ones
  }
  entries_.insert_or_assign(std::move(key), std::move(h));
  size_.store(entries_.size(), std::memory_order_relaxed);
}

void shield::forget_prefix(std::string_view prefix) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& e) { return e.first.starts_with(prefix); });
  size_.store(entries_.size(), std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------

/// Coalesces concurrent checks into one script call (check.lua takes a batch): while
/// `max_in_flight` calls are out, new checks queue; each completed call sends what queued (up
/// to `max_batch` checks). Cuts the store's per-check script overhead under load, at the cost
/// of at most one extra round trip of waiting.
class batcher : public std::enable_shared_from_this<batcher> {
 public:
  using signature = void(std::exception_ptr, std::vector<std::int64_t>);
  using handler = asio::any_completion_handler<signature>;

  /// Batch ids are `id_prefix` and a base-36 counter (unique sliding_log members).
  batcher(std::shared_ptr<store> s, const script& code, std::string id_prefix,
          std::chrono::milliseconds timeout, std::size_t max_batch, unsigned max_in_flight)
      : store_(std::move(s)),
        code_(code),
        id_prefix_(std::move(id_prefix)),
        timeout_(timeout),
        queue_(max_batch, max_in_flight) {}

  /// Completes with this request's part of the reply (1 + 4 × policies integers).
  template <typename Token = asio::use_awaitable_t<>>
  auto async_submit(std::vector<std::string> keys, std::vector<std::string> args,
                    Token&& token = {}) {
    return asio::async_initiate<Token, signature>(
        [this](auto h, std::vector<std::string> k, std::vector<std::string> a) {
          submit(entry{std::move(k), std::move(a), handler(std::move(h))});
        },
        token, std::move(keys), std::move(args));
  }

 private:
  struct entry {
    std::vector<std::string> keys;
    std::vector<std::string> args;
    handler done;
  };

  void submit(entry e) {
    if (auto batch = queue_.submit(std::move(e)); !batch.empty()) send(std::move(batch));
  }

  void send(std::vector<entry> batch) {
    group(batch);
    std::vector<std::string> keys;
    std::vector<std::string> args{id_prefix_};
    append_base36(args.front(), ++sent_);
    for (std::size_t i = 0; i < batch.size();) {
      // A run of identical checks is sent once, its policy count N as "N*R".
      std::size_t r = 1;
      while (i + r < batch.size() && same_check(batch[i], batch[i + r])) ++r;
      auto& e = batch[i];
      std::move(e.keys.begin(), e.keys.end(), std::back_inserter(keys));
      if (r > 1) e.args.front().append("*").append(std::to_string(r));
      std::move(e.args.begin(), e.args.end(), std::back_inserter(args));
      i += r;
    }
    auto pending = std::make_shared<std::vector<entry>>(std::move(batch));
    store_->async_eval(code_, std::move(keys), std::move(args), request_options{timeout_},
                       [self = shared_from_this(), pending](std::exception_ptr e, resp::reply r) {
                         self->finish(*pending, e, r);
                       });
  }

  static bool same_check(const entry& a, const entry& b) {
    return a.keys == b.keys && a.args == b.args;
  }

  /// Orders the batch so that checks of one identity are adjacent, in their order of arrival:
  /// the script reads an identity's keys once for adjacent checks, and decides identical ones
  /// from one copy of their arguments. The checks of a batch are concurrent, so any order is
  /// one they could have arrived in.
  static void group(std::vector<entry>& batch) {
    if (batch.size() < 2) return;
    std::vector<std::pair<std::size_t, std::size_t>> order;  // (hash of the first key, index)
    order.reserve(batch.size());
    bool sorted = true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      order.emplace_back(std::hash<std::string>{}(batch[i].keys.front()), i);
      sorted = sorted && (i == 0 || order[i - 1].first <= order[i].first);
    }
    if (sorted) return;
    std::sort(order.begin(), order.end());
    std::vector<entry> out;
    out.reserve(batch.size());
    for (const auto& [h, i] : order) out.push_back(std::move(batch[i]));
    batch = std::move(out);
  }

  void finish(std::vector<entry>& batch, std::exception_ptr e, const resp::reply& r) {
    std::vector<std::int64_t> all;
    std::size_t expected = 0;
    for (const auto& en : batch) expected += 1 + 4 * en.keys.size();
    if (!e) {
      try {
        all = reply_integers(r);
        if (all.size() != expected) {
          throw malformed_reply();
        }
      } catch (...) {
        e = std::current_exception();
      }
    }
    std::size_t at = 0;
    for (auto& en : batch) {
      const auto len = 1 + 4 * en.keys.size();
      std::vector<std::int64_t> part;
      if (!e)
        part.assign(all.begin() + static_cast<std::ptrdiff_t>(at),
                    all.begin() + static_cast<std::ptrdiff_t>(at + len));
      at += len;
      detail::dispatch_completion(std::move(en.done), e, std::move(part));
    }
    if (auto next = queue_.finished(); !next.empty()) send(std::move(next));
  }

  const std::shared_ptr<store> store_;
  const script& code_;
  const std::string id_prefix_;
  std::atomic<std::uint64_t> sent_{0};
  const std::chrono::milliseconds timeout_;
  detail::batch_queue<entry> queue_;
};

// ---------------------------------------------------------------------------------------------

struct limiter::impl : std::enable_shared_from_this<impl> {
  impl(std::shared_ptr<store> s, limiter_options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        check_(script::embedded("rate_limit/check")),
        id_prefix_(random_prefix()),
        breaker_(opts_.breaker_threshold, opts_.breaker_open_for),
        shield_(opts_.shield_max_entries) {
    register_check_native();
    if (!store_) throw invalid("no store");
    in_process_ = detail::in_process(*store_);
    if (opts_.breaker_threshold == 0) throw invalid("breaker_threshold must be at least 1");
    if (opts_.breaker_open_for.count() <= 0) throw invalid("breaker_open_for must be positive");
    if (opts_.timeout.count() <= 0) throw invalid("timeout must be positive");
    if (opts_.insurance_divisor == 0) throw invalid("insurance_divisor must be at least 1");
    if (opts_.max_batch == 0) throw invalid("max_batch must be at least 1");
    if (opts_.batches_in_flight == 0) throw invalid("batches_in_flight must be at least 1");
    if (!opts_.log) {
      opts_.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
    }
    // An in-process store has no round trip to share. The '-' keeps the batcher's ids apart
    // from those of checks sent one by one (batch_id()).
    if (opts_.max_batch > 1 && in_process_ == nullptr) {
      batcher_ = std::make_shared<batcher>(store_, check_, id_prefix_ + "-", opts_.timeout,
                                           opts_.max_batch, opts_.batches_in_flight);
    }
  }

  std::string key(std::string_view identity, const policy& p) const {
    std::string k;
    k.reserve(opts_.prefix.size() + identity.size() + p.name.size() + 12);
    append_key(k, identity, p);
    return k;
  }

  void append_key(std::string& k, std::string_view identity, const policy& p) const {
    append_key_head(k);
    k.append(identity);
    append_key_tail(k, p);
  }
  /// The same from a prepared request's text after the identity (append_key_tail's).
  void append_key(std::string& k, std::string_view identity, std::string_view tail) const {
    append_key_head(k);
    k.append(identity).append(tail);
  }
  /// A key's text before the identity, then after it.
  void append_key_head(std::string& k) const { k.append(opts_.prefix).append(":rl:{"); }
  static void append_key_tail(std::string& k, const policy& p) {
    k.append("}:").append(p.name).append(":").append(key_suffix(p.algo));
  }

  static void check_identity(std::string_view identity) {
    if (identity.empty() || identity.size() > 512) {
      throw invalid("identity must be 1 to 512 bytes");
    }
  }

  static void check_policies(std::span<const policy> policies, std::uint64_t cost) {
    if (policies.empty()) throw invalid("no policy to check");
    for (std::size_t i = 0; i < policies.size(); ++i) {
      const auto& p = policies[i];
      validate(p);
      for (std::size_t j = 0; j < i; ++j) {
        if (policies[j].name == p.name) {
          throw invalid(fmt::format("policy '{}' is given twice in one check", p.name));
        }
      }
      if (cost > capacity(p)) {
        throw invalid(fmt::format("cost {} exceeds the capacity {} of policy '{}'", cost,
                                  capacity(p), p.name));
      }
    }
  }

  /// A check's policies and cost, validated, with the script's arguments for them and each
  /// key's text after the identity.
  struct prepared_request {
    std::vector<policy> policies;
    std::uint64_t cost = 0;
    std::string text;
    std::vector<std::string_view> args;  // request_args(policies, cost, 1), into `text`
    std::vector<std::string> key_tails;
  };

  /// Validates `policies` and `cost` (throws as check_policies) and prepares them. A route's
  /// checks repeat the same policies, so the work is done again only when they or the cost
  /// change: the result is this thread's, valid until its next call.
  static const prepared_request& prepare(std::span<const policy> policies, std::uint64_t cost) {
    thread_local prepared_request request;
    if (!request.policies.empty() && cost == request.cost &&
        std::equal(policies.begin(), policies.end(), request.policies.begin(),
                   request.policies.end())) {
      return request;
    }
    request.policies.clear();  // not valid until rebuilt
    check_policies(policies, cost);
    request.cost = cost;
    request.text.clear();
    std::vector<std::size_t> ends;
    for_each_request_arg(policies, cost, 1, [&](std::string_view a) {
      request.text.append(a);
      ends.push_back(request.text.size());
    });
    request.args.clear();
    append_pieces(request.text, ends, request.args);
    request.key_tails.clear();
    for (const auto& p : policies) append_key_tail(request.key_tails.emplace_back(), p);
    request.policies.assign(policies.begin(), policies.end());
    return request;
  }

  /// The shield's key: identity, then every input of the decision.
  static std::string shield_key(std::string_view identity, std::span<const policy> policies,
                                std::uint64_t cost) {
    std::string k(identity);
    k += '\x1f';
    const auto number = [&k](auto n) {
      detail::append_decimal(k, n);
      k += '/';
    };
    for (const auto& p : policies) {
      k.append(p.name).append(1, '/').append(1, algorithm_code(p.algo)).append(1, '/');
      number(p.limit);
      number(p.window.count());
      number(p.burst);
      number(cost ? cost : p.cost);
      k += p.shadow ? "1;" : "0;";
    }
    return k;
  }

  /// A request's part of the script's ARGV, with each limit divided by `divisor` (insurance).
  static std::vector<std::string> request_args(std::span<const policy> policies, std::uint64_t cost,
                                               unsigned divisor) {
    std::vector<std::string> args;
    args.reserve(1 + 6 * policies.size());
    for_each_request_arg(policies, cost, divisor,
                         [&](std::string_view a) { args.emplace_back(a); });
    return args;
  }

  /// Calls `put` with each entry of request_args.
  template <typename Put>
  static void for_each_request_arg(std::span<const policy> policies, std::uint64_t cost,
                                   unsigned divisor, Put&& put) {
    const auto number = [&put](std::uint64_t n) {
      char buf[24];
      const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
      put(std::string_view(buf, static_cast<std::size_t>(end - buf)));
    };
    number(policies.size());
    for (const auto& p : policies) {
      const auto units = cost ? cost : p.cost;
      auto share = [&](std::uint64_t n) { return n == 0 ? 0 : std::max(units, n / divisor); };
      const char code = algorithm_code(p.algo);
      put(std::string_view(&code, 1));
      number(share(p.limit));
      number(static_cast<std::uint64_t>(p.window.count()));
      number(share(p.burst));
      number(units);
      put(std::string_view(p.shadow ? "1" : "0"));
    }
  }

  /// Runs one request's check as a batch of one on an in-process store: the arguments as
  /// views into per-thread buffers, and no completion hop. Returns the reply's integers, in a
  /// per-thread buffer valid until the thread's next call.
  std::span<const std::int64_t> eval_in_process(std::string_view identity,
                                                const prepared_request& request) {
    thread_local std::string text;  // the keys, then the batch id
    thread_local std::vector<std::size_t> ends;
    thread_local std::vector<std::string_view> views;
    text.clear();
    ends.clear();
    for (const auto& tail : request.key_tails) {
      append_key(text, identity, tail);
      ends.push_back(text.size());
    }
    append_batch_id(text);
    ends.push_back(text.size());
    views.clear();
    append_pieces(text, ends, views);
    views.insert(views.end(), request.args.begin(), request.args.end());
    const auto all = std::span<const std::string_view>(views);
    const auto keys = request.key_tails.size();
    const auto r = in_process_->eval_now(check_, all.first(keys), all.subspan(keys));
    thread_local std::vector<std::int64_t> integers;
    reply_integers(r, integers);
    return integers;
  }

  /// The keys of a prepared request for `identity`.
  std::vector<std::string> keys(std::string_view identity, const prepared_request& request) const {
    std::vector<std::string> ks;
    ks.reserve(request.key_tails.size());
    for (const auto& tail : request.key_tails) append_key(ks.emplace_back(), identity, tail);
    return ks;
  }

  std::vector<std::string> keys(std::string_view identity, std::span<const policy> policies) {
    std::vector<std::string> ks;
    ks.reserve(policies.size());
    for (const auto& p : policies) ks.push_back(key(identity, p));
    return ks;
  }

#if defined(__GNUC__) && !defined(__clang__)
// A check on an in-process store ends without a co_await: GCC 12 then sees Asio's frame
// allocation (aligned_alloc) and its operator delete (free) in one function and warns, wrongly.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
  asio::awaitable<decision> check(std::string_view identity, std::span<const policy> policies,
                                  std::uint64_t cost) {
    // Alive while the coroutine runs: taken before the first suspension (an in-process check
    // has none, and saves the reference count's two atomic operations).
    std::shared_ptr<impl> self;
    if (!in_process_) self = shared_from_this();
    check_identity(identity);
    const prepared_request& request = prepare(policies, cost);
    checks_.fetch_add(1, std::memory_order_relaxed);
    // Only the shield and an open breaker read the time (the engine's clock takes its lock).
    const auto now = opts_.shield || breaker_.is_open() ? clock_now() : steady::time_point{};

    // The shield's key is built only when the shield holds a denial, or to remember one.
    if (opts_.shield && !shield_.empty()) {
      if (auto h = shield_.find(shield_key(identity, policies, cost), now)) {
        shield_hits_.fetch_add(1, std::memory_order_relaxed);
        decision d;
        d.allowed = false;
        d.limit = h->limit;
        d.policy = h->policy;
        d.retry_after = std::max(std::chrono::milliseconds(1),
                                 std::chrono::ceil<std::chrono::milliseconds>(h->until - now));
        d.reset_after = d.retry_after;
        d.source = decision_source::shield;
        count_policy(d.policy, &policy_metrics::denied);
        co_return d;
      }
    }

    const auto gate = breaker_.admit(now);
    if (gate != breaker::gate::skip) {
      try {
        // (No co_await inside ?: : GCC 12 destroys its temporaries twice.)
        std::vector<std::int64_t> reply;
        std::span<const std::int64_t> integers;
        // `request` is this thread's: it is read before the first suspension only.
        if (in_process_) {
          integers = eval_in_process(identity, request);
        } else {
          auto ks = keys(identity, request);
          std::vector<std::string> args(request.args.begin(), request.args.end());
          if (batcher_) {
            reply = co_await batcher_->async_submit(std::move(ks), std::move(args));
          } else {
            reply = co_await run_one(*store_, std::move(ks), std::move(args));
          }
          integers = reply;
        }
        auto d = decide(policies, integers);
        breaker_.success();
        count(d, policies);
        if (!d.allowed && opts_.shield) {
          shield_.remember(shield_key(identity, policies, cost),
                           {now + d.retry_after, d.policy, d.limit}, now);
        }
        co_return d;
      } catch (const std::exception& e) {
        report_failure(e.what());
      }
    }
    if (!self) self = shared_from_this();
    co_return co_await fallback(identity, policies, cost);
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  /// Runs one request's check as a batch of one.
  asio::awaitable<std::vector<std::int64_t>> run_one(store& s, std::vector<std::string> keys,
                                                     std::vector<std::string> args) {
    args.insert(args.begin(), batch_id());
    co_return reply_integers(co_await s.async_eval(check_, std::move(keys), std::move(args),
                                                   request_options{opts_.timeout}));
  }

  std::string batch_id() {
    std::string id;
    append_batch_id(id);
    return id;
  }

  /// Appends a batch id unique to this limiter: its random prefix and a counter.
  void append_batch_id(std::string& out) {
    out.append(id_prefix_);
    append_base36(out, seq_.fetch_add(1, std::memory_order_relaxed));
  }

  /// The shield's and breaker's clock: the engine's for an engine store (tests move it), else
  /// the steady clock.
  steady::time_point clock_now() const {
    if (const auto* e = store_->engine()) {
      return steady::time_point(
          std::chrono::duration_cast<steady::duration>(e->now().time_since_epoch()));
    }
    return steady::now();
  }

  void report_failure(std::string_view what) {
    store_errors_.fetch_add(1, std::memory_order_relaxed);
    const auto now = clock_now();
    if (breaker_.failure(now)) breaker_opens_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(log_mu_);
    ++unlogged_errors_;
    last_error_ = what;
    if (logged_once_ && now - last_log_ < opts_.error_log_interval) return;
    opts_.log(fmt::format(
        "redkit rate limiter: {} store error(s) since the last report (last: {}); failure mode "
        "{}, breaker {}",
        unlogged_errors_, last_error_, to_string(opts_.on_failure),
        breaker_.is_open() ? "open" : "closed"));
    unlogged_errors_ = 0;
    last_log_ = now;
    logged_once_ = true;
  }

  asio::awaitable<decision> fallback(std::string_view identity, std::span<const policy> policies,
                                     std::uint64_t cost) {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    for (const auto& p : policies) count_policy(p.name, &policy_metrics::errors);
    const auto& first = policies.front();
    decision d;
    switch (opts_.on_failure) {
      case failure_mode::open:
        d.source = decision_source::fail_open;
        d.limit = capacity(first);
        d.remaining = d.limit - (cost ? cost : first.cost);
        d.reset_after = first.window;
        d.policy = first.name;
        co_return d;
      case failure_mode::closed:
        d.source = decision_source::fail_closed;
        d.allowed = false;
        d.limit = capacity(first);
        d.retry_after = opts_.breaker_open_for;
        d.reset_after = opts_.breaker_open_for;
        d.policy = first.name;
        co_return d;
      case failure_mode::insurance: {
        // The private engine only fails once the limiter is being destroyed: then allow.
        std::vector<std::int64_t> reply;
        try {
          reply = co_await run_one(*insurance_store(), keys(identity, policies),
                                   request_args(policies, cost, opts_.insurance_divisor));
        } catch (const std::exception&) {
          d.source = decision_source::fail_open;
          d.policy = first.name;
          co_return d;
        }
        d = decide(policies, reply);
        d.source = decision_source::insurance;
        co_return d;
      }
    }
    co_return d;
  }

  std::shared_ptr<store> insurance_store() {
    std::lock_guard lock(insurance_mu_);
    if (!insurance_) insurance_ = store::open(store_->get_executor(), "memory://");
    return insurance_;
  }

  void count(const decision& d, std::span<const policy> policies) {
    std::lock_guard lock(metrics_mu_);
    for (std::size_t i = 0; i < policies.size(); ++i) {
      auto& m = metrics_[policies[i].name];
      const auto& r = d.policies[i];
      if (!r.allowed) {
        ++(r.shadow ? m.shadow_denied : m.denied);
      } else if (d.allowed) {
        ++m.allowed;
      }
    }
  }

  void count_policy(std::string_view name, std::uint64_t policy_metrics::*field) {
    std::lock_guard lock(metrics_mu_);
    auto it = metrics_.find(name);
    if (it == metrics_.end()) it = metrics_.emplace(std::string(name), policy_metrics{}).first;
    ++(it->second.*field);
  }

  asio::awaitable<void> reset(std::string_view identity, std::span<const policy> policies) {
    auto self = shared_from_this();
    if (identity.empty() || policies.empty()) throw invalid("reset needs an identity and policies");
    std::vector<std::string> ks = keys(identity, policies);
    co_await store_->async_exec(command::from("DEL", ks), request_options{opts_.timeout});
    shield_.forget_prefix(std::string(identity) + '\x1f');
    std::shared_ptr<store> ins;
    {
      std::lock_guard lock(insurance_mu_);
      ins = insurance_;
    }
    if (ins) co_await ins->async_exec(command::from("DEL", ks));
  }

  limiter_metrics snapshot() const {
    limiter_metrics m;
    {
      std::lock_guard lock(metrics_mu_);
      m.policies = metrics_;
    }
    m.checks = checks_.load();
    m.store_errors = store_errors_.load();
    m.shield_hits = shield_hits_.load();
    m.fallbacks = fallbacks_.load();
    m.breaker_opens = breaker_opens_.load();
    m.breaker_open = breaker_.is_open();
    return m;
  }

  std::shared_ptr<store> store_;
  /// The store's in-process script path (memory://), else nullptr.
  detail::in_process_eval* in_process_ = nullptr;
  limiter_options opts_;
  const script& check_;
  const std::string id_prefix_;
  std::atomic<std::uint64_t> seq_{0};
  breaker breaker_;
  shield shield_;
  std::shared_ptr<batcher> batcher_;

  std::mutex insurance_mu_;
  std::shared_ptr<store> insurance_;

  mutable std::mutex metrics_mu_;
  std::map<std::string, policy_metrics, std::less<>> metrics_;
  std::atomic<std::uint64_t> checks_{0}, store_errors_{0}, shield_hits_{0}, fallbacks_{0},
      breaker_opens_{0};

  std::mutex log_mu_;
  std::uint64_t unlogged_errors_ = 0;
  std::string last_error_;
  steady::time_point last_log_;
  bool logged_once_ = false;
};

// ---------------------------------------------------------------------------------------------

limiter::limiter(std::shared_ptr<store> s, limiter_options options)
    : impl_(std::make_shared<impl>(std::move(s), std::move(options))) {}

limiter::~limiter() {
  std::lock_guard lock(impl_->insurance_mu_);
  if (impl_->insurance_) impl_->insurance_->close();
}

asio::awaitable<decision> limiter::async_check(std::string_view identity,
                                               std::span<const policy> policies,
                                               std::uint64_t cost) {
  return impl_->check(identity, policies, cost);
}

decision limiter::check(std::string_view identity, std::span<const policy> policies,
                        std::uint64_t cost) {
  return detail::run_blocking<decision>(*impl_->store_, "rate limit", "check",
                                        [&] { return impl_->check(identity, policies, cost); });
}

asio::awaitable<void> limiter::async_reset(std::string_view identity,
                                           std::span<const policy> policies) {
  return impl_->reset(identity, policies);
}

void limiter::reset(std::string_view identity, std::span<const policy> policies) {
  detail::run_blocking<void>(*impl_->store_, "rate limit", "reset",
                             [&] { return impl_->reset(identity, policies); });
}

std::string limiter::key(std::string_view identity, const policy& p) const {
  return impl_->key(identity, p);
}

limiter_metrics limiter::metrics() const { return impl_->snapshot(); }

}  // namespace redkit::rate_limit
