// Lease-level calls for remote workers (see job_queue.hpp): reserve through cycle.lua (the
// C++ worker's script, asked for the leases' end), heartbeat and release through renew.lua, ack
// and fail as cycle.lua settlements. A waiting reserve sleeps on a strand of the store's
// executor, where the queue's notifications end its sleep.
#include "queue/queue_parts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "blocking.hpp"

#include <algorithm>
#include <atomic>
#include <set>

namespace redkit::queue {

using namespace detail;
using steady = std::chrono::steady_clock;

struct lease_client::impl : std::enable_shared_from_this<impl> {
  impl(std::shared_ptr<store> s, std::string name, lease_options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        base_(base_of(opts_.queue, name)),
        cycle_(script::embedded("queue/cycle")),
        renew_(script::embedded("queue/renew")),
        status_(script::embedded("queue/status")),
        channel_(base_ + ":wake"),
        strand_(asio::make_strand(store_ ? store_->get_executor() : asio::any_io_executor{})) {
    if (!store_) throw invalid("no store");
    if (opts_.poll.count() <= 0) throw invalid("poll must be positive");
    if (opts_.backoff.jitter < 0 || opts_.backoff.jitter >= 1) {
      throw invalid("backoff jitter must be in [0, 1)");
    }
  }

  /// Subscribes to the queue's notifications; without them, waits poll.
  void subscribe() {
    std::weak_ptr<impl> weak = shared_from_this();
    const auto wake = [weak] {  // (weak: the subscription must not keep the client alive)
      if (auto self = weak.lock()) self->wake();
    };
    try {
      // (a lost or resumed subscription may have missed a message: it wakes waiters too)
      sub_ = store_->subscribe(
          {channel_}, {}, [wake](message) { wake(); }, [wake](bool) { wake(); });
    } catch (const std::exception&) {
    }
  }

  void stop_waiting() {
    no_wait_ = true;
    wake();
  }

  /// Any thread: notify() on the strand.
  void wake() {
    asio::post(strand_, [self = shared_from_this()] { self->notify(); });
  }

  /// On the strand: ends every waiting step.
  void notify() {
    wakes_.fetch_add(1);
    for (auto* t : waiters_) t->cancel();
  }

  asio::awaitable<resp::reply> eval(const script& s, std::vector<std::string> args) {
    std::vector<std::string> keys;  // (not a braced list: g++ 12 miscompiles it in co_await)
    keys.push_back(base_);
    co_return co_await store_->async_eval(s, std::move(keys), std::move(args),
                                          request_options{opts_.queue.timeout});
  }

  static void check_lease(std::string_view id, std::string_view token) {
    if (id.empty() || id.size() > 200) throw invalid("job id must be 1 to 200 bytes");
    if (token.empty() || token.size() > 200) throw invalid("lease token must be 1 to 200 bytes");
  }

  static void check_duration(std::chrono::milliseconds lease) {
    if (lease.count() < 30 || lease > std::chrono::hours(24)) {
      throw invalid("lease must be 30 ms to 24 h");
    }
  }

  asio::awaitable<std::vector<leased_job>> reserve(unsigned count, std::chrono::milliseconds lease,
                                                   std::chrono::milliseconds wait) {
    auto self = shared_from_this();
    if (count == 0 || count > 1000) throw invalid("count must be 1 to 1000");
    check_duration(lease);
    if (wait.count() < 0) throw invalid("wait must not be negative");
    const auto until = steady::now() + wait;
    for (;;) {
      const auto seen = wakes_.load();
      const auto token = random_id();
      auto args = cycle_args(opts_.queue, count, lease, token, 0);
      args.emplace_back("1");  // the reply ends with the leases' end
      const auto r = co_await eval(cycle_, std::move(args));
      const auto& e = array_of(r);
      if (e.size() < 3 || (e.size() - 3) % 3 != 0) throw unexpected("unexpected reply from cycle");
      std::vector<leased_job> jobs;
      for (std::size_t i = 2; i + 1 < e.size(); i += 3) {
        auto& j = jobs.emplace_back();  // (not a braced temporary: see async_enqueue)
        static_cast<job&>(j) = leased_from_cycle(e, i, j.timeout);
        j.token = token;
        j.lease_end = from_ms(integer_of(e.back()));
      }
      const auto now = steady::now();
      if (!jobs.empty() || now >= until || no_wait_) co_return jobs;
      auto step = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(until - now) +
                               std::chrono::milliseconds(1),
                           opts_.poll);
      if (const auto next_in = integer_of(e[0]); next_in >= 0) {
        step = std::min(step, std::chrono::milliseconds(std::max<std::int64_t>(1, next_in)));
      }
      co_await asio::co_spawn(strand_, wait_step(seen, step), asio::use_awaitable);
    }
  }

  /// On the strand: sleeps up to `d` unless a notification came since `seen`; one ends it.
  asio::awaitable<void> wait_step(std::uint64_t seen, std::chrono::milliseconds d) {
    auto self = shared_from_this();
    if (wakes_.load() != seen || no_wait_) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    waiters_.insert(&t);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    waiters_.erase(&t);
  }

  asio::awaitable<std::optional<clock::time_point>> heartbeat(std::string id, std::string token,
                                                              std::chrono::milliseconds lease) {
    auto self = shared_from_this();
    check_lease(id, token);
    check_duration(lease);
    std::vector<std::string> args{"renew", number(lease.count()), std::move(id), std::move(token)};
    const auto r = co_await eval(renew_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 1) throw unexpected("unexpected reply from renew");
    const auto end = integer_of(e[0]);
    if (end == 0) co_return std::nullopt;
    co_return from_ms(end);
  }

  asio::awaitable<bool> release(std::string id, std::string token) {
    auto self = shared_from_this();
    check_lease(id, token);
    std::vector<std::string> args{"release", "0", std::move(id), std::move(token)};
    const auto r = co_await eval(renew_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 1) throw unexpected("unexpected reply from renew");
    co_return integer_of(e[0]) == 1;
  }

  /// One settlement through cycle.lua (leasing nothing); its flag: 1 settled, 2 dead, 0 lost.
  asio::awaitable<std::int64_t> settle(std::string id, std::string token, bool completed,
                                       std::chrono::milliseconds delay, std::string error) {
    auto args = cycle_args(opts_.queue, 0, std::chrono::milliseconds(0), "-", 1);
    args.push_back(std::move(id));
    args.push_back(std::move(token));
    args.emplace_back(completed ? "c" : "f");
    args.push_back(number(delay.count()));
    args.push_back(std::move(error));
    const auto r = co_await eval(cycle_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() < 2) throw unexpected("unexpected reply from cycle");
    const auto& settled = array_of(e[1]);
    if (settled.size() != 1) throw unexpected("unexpected reply from cycle");
    co_return integer_of(settled[0]);
  }

  asio::awaitable<bool> ack(std::string id, std::string token) {
    auto self = shared_from_this();
    check_lease(id, token);
    co_return co_await settle(std::move(id), std::move(token), true, std::chrono::milliseconds(0),
                              std::string()) != 0;
  }

  asio::awaitable<fail_outcome> fail(std::string id, std::string token, std::string error,
                                     std::optional<std::chrono::milliseconds> delay) {
    auto self = shared_from_this();
    check_lease(id, token);
    if (delay && delay->count() < 0) throw invalid("retry delay must not be negative");
    if (!delay) {
      // The backoff needs the attempt: read it (it changes only when the job is leased again,
      // and then this token's settlement is refused anyway).
      std::vector<std::string> args;
      args.push_back(id);
      const auto r = co_await eval(status_, std::move(args));
      if (r.is_null()) co_return fail_outcome::lost;
      const auto& e = array_of(r);
      if (e.size() != 4) throw unexpected("unexpected reply from queue/status");
      const auto attempts = static_cast<std::uint32_t>(std::max<std::int64_t>(1, integer_of(e[2])));
      delay = retry_delay(opts_.backoff, attempts);
    }
    const auto flag =
        co_await settle(std::move(id), std::move(token), false, *delay, std::move(error));
    co_return flag == 0 ? fail_outcome::lost
    : flag == 2         ? fail_outcome::dead
                        : fail_outcome::retried;
  }

  const std::shared_ptr<store> store_;
  const lease_options opts_;
  const std::string base_;
  const script& cycle_;
  const script& renew_;
  const script& status_;
  const std::string channel_;
  asio::strand<asio::any_io_executor> strand_;
  std::atomic<std::uint64_t> wakes_{0};    // notifications so far
  std::atomic<bool> no_wait_{false};       // stop_waiting() was called
  std::set<asio::steady_timer*> waiters_;  // waiting steps (on the strand)
  std::shared_ptr<subscription> sub_;
};

lease_client::lease_client(std::shared_ptr<store> s, std::string queue_name, lease_options o)
    : impl_(std::make_shared<impl>(std::move(s), std::move(queue_name), std::move(o))) {
  if (impl_->opts_.subscribe) impl_->subscribe();
}

const std::string& lease_client::channel() const noexcept { return impl_->channel_; }
void lease_client::notify() { impl_->wake(); }

lease_client::~lease_client() {
  if (impl_->sub_) impl_->sub_->close();
}

asio::awaitable<std::vector<leased_job>> lease_client::async_reserve(
    unsigned count, std::chrono::milliseconds lease, std::chrono::milliseconds wait) {
  return impl_->reserve(count, lease, wait);
}

asio::awaitable<std::optional<clock::time_point>> lease_client::async_heartbeat(
    std::string id, std::string token, std::chrono::milliseconds lease) {
  return impl_->heartbeat(std::move(id), std::move(token), lease);
}

asio::awaitable<bool> lease_client::async_ack(std::string id, std::string token) {
  return impl_->ack(std::move(id), std::move(token));
}

asio::awaitable<fail_outcome> lease_client::async_fail(
    std::string id, std::string token, std::string error,
    std::optional<std::chrono::milliseconds> retry_delay) {
  return impl_->fail(std::move(id), std::move(token), std::move(error), retry_delay);
}

asio::awaitable<bool> lease_client::async_release(std::string id, std::string token) {
  return impl_->release(std::move(id), std::move(token));
}

std::vector<leased_job> lease_client::reserve(unsigned count, std::chrono::milliseconds lease,
                                              std::chrono::milliseconds wait) {
  return redkit::detail::run_blocking<std::vector<leased_job>>(
      *impl_->store_, "queue", "reserve", [&] { return async_reserve(count, lease, wait); });
}

std::optional<clock::time_point> lease_client::heartbeat(std::string id, std::string token,
                                                         std::chrono::milliseconds lease) {
  return redkit::detail::run_blocking<std::optional<clock::time_point>>(
      *impl_->store_, "queue", "heartbeat",
      [&] { return async_heartbeat(std::move(id), std::move(token), lease); });
}

bool lease_client::ack(std::string id, std::string token) {
  return redkit::detail::run_blocking<bool>(
      *impl_->store_, "queue", "ack", [&] { return async_ack(std::move(id), std::move(token)); });
}

fail_outcome lease_client::fail(std::string id, std::string token, std::string error,
                                std::optional<std::chrono::milliseconds> retry_delay) {
  return redkit::detail::run_blocking<fail_outcome>(*impl_->store_, "queue", "fail", [&] {
    return async_fail(std::move(id), std::move(token), std::move(error), retry_delay);
  });
}

void lease_client::stop_waiting() { impl_->stop_waiting(); }

bool lease_client::release(std::string id, std::string token) {
  return redkit::detail::run_blocking<bool>(*impl_->store_, "queue", "release", [&] {
    return async_release(std::move(id), std::move(token));
  });
}

}  // namespace redkit::queue
