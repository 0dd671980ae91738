// Producing and managing jobs (see job_queue.hpp): arguments of scripts/queue/*.lua and their
// replies turned into values.
#include "queue/queue_parts.hpp"

#include <fmt/core.h>

#include "blocking.hpp"
#include "script_reply.hpp"

#include <charconv>

namespace redkit::queue {

namespace detail {

error invalid(std::string_view what) {
  return redkit::detail::pattern_error(errc::invalid_argument, "queue", what);
}

error unexpected(std::string_view what) {
  return redkit::detail::pattern_error(errc::unexpected_reply, "queue", what);
}

std::string number(std::int64_t n) { return redkit::detail::decimal(n); }

std::string random_id() { return redkit::detail::random_base64url(16); }

std::string base_of(const queue_options& o, std::string_view name) {
  if (name.empty() || name.size() > 200 || name.find_first_of("{}") != std::string_view::npos) {
    throw invalid("queue name must be 1 to 200 bytes without '{' or '}'");
  }
  if (o.timeout.count() <= 0) throw invalid("timeout must be positive");
  return fmt::format("{}:q:{{{}}}", o.prefix, name);
}

const std::vector<resp::reply>& array_of(const resp::reply& r) {
  return redkit::detail::reply_array(r, "queue");
}

std::int64_t integer_of(const resp::reply& r) {
  if (r.is_string()) {  // (hash fields come back as text)
    std::int64_t v = 0;
    const auto* end = r.string.data() + r.string.size();
    if (std::from_chars(r.string.data(), end, v).ptr == end) return v;
  }
  return redkit::detail::reply_integer(r, "queue");
}

const std::string& string_of(const resp::reply& r) {
  return redkit::detail::reply_string(r, "queue");
}

job_data unpack_data(std::string_view packed) {
  std::int64_t v[5] = {};
  const char* p = packed.data();
  const char* const end = p + packed.size();
  for (auto& x : v) {
    const auto r = std::from_chars(p, end, x);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != '|' || x < 0) {
      throw unexpected("malformed job data");
    }
    p = r.ptr + 1;
  }
  const auto type_len = static_cast<std::size_t>(v[4]);
  if (static_cast<std::size_t>(end - p) < type_len) throw unexpected("malformed job data");
  job_data d;
  d.priority = static_cast<std::uint32_t>(v[0]);
  d.max_attempts = static_cast<std::uint32_t>(v[1]);
  d.timeout_ms = v[2];
  d.created_ms = v[3];
  d.type.assign(p, type_len);
  d.payload.assign(p + type_len, end);
  return d;
}

std::vector<std::string> cycle_args(const queue_options& o, unsigned n,
                                    std::chrono::milliseconds lease, std::string token,
                                    std::size_t settlements) {
  return {number(n),
          number(lease.count()),
          std::move(token),
          number(static_cast<std::int64_t>(o.dead_cap)),
          number(static_cast<std::int64_t>(o.keep_completed)),
          number(o.keep_completed_for.count()),
          number(static_cast<std::int64_t>(settlements))};
}

job leased_from_cycle(const std::vector<resp::reply>& reply, std::size_t at,
                      std::chrono::milliseconds& timeout) {
  auto data = unpack_data(string_of(reply[at + 1]));
  job j;  // (members set one by one: g++ 12 destroys a braced temporary twice in coroutines)
  j.id = string_of(reply[at]);
  j.type = std::move(data.type);
  j.payload = std::move(data.payload);
  j.attempt = static_cast<std::uint32_t>(integer_of(reply[at + 2]));
  j.max_attempts = data.max_attempts;
  j.created = from_ms(data.created_ms);
  timeout = std::chrono::milliseconds(data.timeout_ms);
  return j;
}

std::optional<job_state> parse_state(std::string_view s) {
  for (auto st : {job_state::pending, job_state::delayed, job_state::active, job_state::completed,
                  job_state::failed, job_state::dead}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

clock::time_point from_ms(std::int64_t ms) { return redkit::detail::from_unix_ms(ms); }

}  // namespace detail

using namespace detail;

std::string_view to_string(job_state s) noexcept {
  switch (s) {
    case job_state::pending:
      return "pending";
    case job_state::delayed:
      return "delayed";
    case job_state::active:
      return "active";
    case job_state::completed:
      return "completed";
    case job_state::failed:
      return "failed";
    case job_state::dead:
      return "dead";
  }
  return "pending";
}

// -----------------------------------------------------------------------------------------------

struct queue::impl {
  impl(std::shared_ptr<store> s, std::string name, queue_options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        base_(base_of(opts_, name)),
        enqueue_(script::embedded("queue/enqueue")),
        stats_(script::embedded("queue/stats")),
        status_(script::embedded("queue/status")),
        dead_(script::embedded("queue/dead")) {
    if (!store_) throw invalid("no store");
  }

  asio::awaitable<resp::reply> eval(const script& s, std::vector<std::string> args) {
    std::vector<std::string> keys;  // (not a braced list: g++ 12 miscompiles it in co_await)
    keys.push_back(base_);
    co_return co_await store_->async_eval(s, std::move(keys), std::move(args),
                                          request_options{opts_.timeout});
  }

  static void append_job(std::vector<std::string>& args, std::string_view type, std::string payload,
                         const job_options& o, std::string& id) {
    if (type.empty() || type.size() > 200) throw invalid("job type must be 1 to 200 bytes");
    if (o.priority > 1048575) throw invalid("priority must be 0 to 1048575");
    if (o.max_attempts == 0) throw invalid("max_attempts must be at least 1");
    if (o.delay.count() < 0 || o.timeout.count() < 0) {
      throw invalid("delay and timeout must not be negative");
    }
    id = o.id.empty() ? random_id() : o.id;
    if (id.size() > 200) throw invalid("job id must be 1 to 200 bytes");
    args.push_back(id);
    args.emplace_back(type);
    args.push_back(std::move(payload));
    args.push_back(number(o.priority));
    args.push_back(number(o.max_attempts));
    if (o.run_at) {
      args.push_back("@" + number(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      o.run_at->time_since_epoch())
                                      .count()));
    } else {
      args.push_back(number(o.delay.count()));
    }
    args.push_back(number(o.timeout.count()));
  }

  asio::awaitable<std::vector<enqueued>> enqueue(std::vector<job_spec> jobs) {
    if (jobs.empty()) co_return std::vector<enqueued>{};
    std::vector<std::string> args;
    std::vector<enqueued> out(jobs.size());
    args.reserve(7 * jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      append_job(args, jobs[i].type, std::move(jobs[i].payload), jobs[i].options, out[i].id);
    }
    const auto r = co_await eval(enqueue_, std::move(args));
    const auto& e = array_of(r);
    if (e.size() != 2 * jobs.size()) throw unexpected("unexpected reply from queue/enqueue");
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      out[i].created = integer_of(e[2 * i]) == 1;
      out[i].state = parse_state(string_of(e[2 * i + 1])).value_or(job_state::pending);
    }
    co_return out;
  }

  asio::awaitable<enqueued> enqueue_one(std::vector<job_spec> jobs) {
    auto all = co_await enqueue(std::move(jobs));
    co_return std::move(all.front());
  }

  asio::awaitable<std::optional<job_status>> status(std::string_view id) {
    if (id.empty() || id.size() > 200) throw invalid("job id must be 1 to 200 bytes");
    std::vector<std::string> args;
    args.emplace_back(id);
    const auto r = co_await eval(status_, std::move(args));
    if (r.is_null()) co_return std::nullopt;
    const auto& e = array_of(r);
    if (e.size() != 4) throw unexpected("unexpected reply from queue/status");
    auto d = unpack_data(string_of(e[1]));
    job_status s;
    s.id = id;
    s.type = std::move(d.type);
    s.state = parse_state(string_of(e[0])).value_or(job_state::pending);
    s.attempts = static_cast<std::uint32_t>(integer_of(e[2]));
    s.max_attempts = d.max_attempts;
    s.last_error = string_of(e[3]);
    s.created = from_ms(d.created_ms);
    co_return s;
  }

  asio::awaitable<queue_stats> stats() {
    const auto r = co_await eval(stats_, std::vector<std::string>());
    const auto& e = array_of(r);
    if (e.size() != 7) throw unexpected("unexpected reply from queue/stats");
    const auto u = [&](std::size_t i) { return static_cast<std::uint64_t>(integer_of(e[i])); };
    co_return queue_stats{.pending = u(0),
                          .delayed = u(1),
                          .active = u(2),
                          .dead = u(3),
                          .completed = u(4),
                          .failed = u(5),
                          .paused = u(6) == 1};
  }

  asio::awaitable<void> set_paused(bool paused) {
    std::vector<command> cmds;
    if (paused) {
      cmds.emplace_back("SET", base_ + ":paused", "1");
    } else {
      cmds.emplace_back("DEL", base_ + ":paused");
      cmds.emplace_back("PUBLISH", base_ + ":wake", "1");
    }
    for (const auto& r :
         co_await store_->async_pipeline(std::move(cmds), request_options{opts_.timeout})) {
      if (r.is_error()) throw server_error(r.string, paused ? "SET" : "DEL");
    }
  }

  asio::awaitable<std::vector<dead_job>> dead(std::size_t offset, std::size_t count) {
    if (count == 0 || count > 1000) throw invalid("count must be 1 to 1000");
    std::vector<std::string> args{"list", number(static_cast<std::int64_t>(offset)),
                                  number(static_cast<std::int64_t>(count))};
    const auto r = co_await eval(dead_, std::move(args));
    const auto& e = array_of(r);
    if (e.empty() || (e.size() - 1) % 5 != 0) throw unexpected("unexpected reply from queue/dead");
    std::vector<dead_job> out;
    for (std::size_t i = 1; i < e.size(); i += 5) {
      auto data = unpack_data(string_of(e[i + 1]));
      auto& d = out.emplace_back();  // (not a braced temporary: see async_enqueue)
      d.id = string_of(e[i]);
      d.type = std::move(data.type);
      d.payload = std::move(data.payload);
      d.attempts = static_cast<std::uint32_t>(integer_of(e[i + 2]));
      d.max_attempts = data.max_attempts;
      d.last_error = string_of(e[i + 3]);
      d.created = from_ms(data.created_ms);
      d.died = from_ms(integer_of(e[i + 4]));
    }
    co_return out;
  }

  asio::awaitable<std::size_t> dead_op(std::string op, std::vector<std::string> ids) {
    std::vector<std::string> args{std::move(op), ids.empty() ? "*" : "", ""};
    args.insert(args.end(), std::make_move_iterator(ids.begin()),
                std::make_move_iterator(ids.end()));
    co_return static_cast<std::size_t>(integer_of(co_await eval(dead_, std::move(args))));
  }

  const std::shared_ptr<store> store_;
  const queue_options opts_;
  const std::string base_;
  const script& enqueue_;
  const script& stats_;
  const script& status_;
  const script& dead_;
};

queue::queue(std::shared_ptr<store> s, std::string name, queue_options o)
    : impl_(std::make_shared<impl>(std::move(s), std::move(name), std::move(o))) {}

queue::~queue() = default;

asio::awaitable<enqueued> queue::async_enqueue(std::string_view type, std::string payload,
                                               const job_options& o) {
  // Not a coroutine itself: the job is packed before any frame exists.
  std::vector<job_spec> jobs(1);
  jobs[0].type = type;
  jobs[0].payload = std::move(payload);
  jobs[0].options = o;
  return impl_->enqueue_one(std::move(jobs));
}

asio::awaitable<enqueued> queue::async_enqueue(std::string_view type, std::string payload) {
  return async_enqueue(type, std::move(payload), job_options());
}

asio::awaitable<std::vector<enqueued>> queue::async_enqueue_bulk(std::vector<job_spec> jobs) {
  return impl_->enqueue(std::move(jobs));
}

asio::awaitable<std::optional<job_status>> queue::async_status(std::string_view id) {
  return impl_->status(id);
}

asio::awaitable<queue_stats> queue::async_stats() { return impl_->stats(); }
asio::awaitable<void> queue::async_pause() { return impl_->set_paused(true); }
asio::awaitable<void> queue::async_resume() { return impl_->set_paused(false); }

asio::awaitable<std::vector<dead_job>> queue::async_dead(std::size_t offset, std::size_t count) {
  return impl_->dead(offset, count);
}

asio::awaitable<std::size_t> queue::async_retry_dead(std::vector<std::string> ids) {
  return impl_->dead_op("retry", std::move(ids));
}

asio::awaitable<std::size_t> queue::async_delete_dead(std::vector<std::string> ids) {
  return impl_->dead_op("delete", std::move(ids));
}

namespace {
template <typename T, typename Make>
T blocking(store& s, std::string_view call, Make make) {
  return redkit::detail::run_blocking<T>(s, "queue", call, make);
}
}  // namespace

enqueued queue::enqueue(std::string_view type, std::string payload, job_options o) {
  return blocking<enqueued>(*impl_->store_, "enqueue",
                            [&] { return async_enqueue(type, std::move(payload), std::move(o)); });
}

std::vector<enqueued> queue::enqueue_bulk(std::vector<job_spec> jobs) {
  return blocking<std::vector<enqueued>>(*impl_->store_, "enqueue_bulk",
                                         [&] { return async_enqueue_bulk(std::move(jobs)); });
}

std::optional<job_status> queue::status(std::string_view id) {
  return blocking<std::optional<job_status>>(*impl_->store_, "status",
                                             [&] { return async_status(id); });
}

queue_stats queue::stats() {
  return blocking<queue_stats>(*impl_->store_, "stats", [&] { return async_stats(); });
}

void queue::pause() {
  blocking<void>(*impl_->store_, "pause", [&] { return async_pause(); });
}

void queue::resume() {
  blocking<void>(*impl_->store_, "resume", [&] { return async_resume(); });
}

std::vector<dead_job> queue::dead(std::size_t offset, std::size_t count) {
  return blocking<std::vector<dead_job>>(*impl_->store_, "dead",
                                         [&] { return async_dead(offset, count); });
}

std::size_t queue::retry_dead(std::vector<std::string> ids) {
  return blocking<std::size_t>(*impl_->store_, "retry_dead",
                               [&] { return async_retry_dead(std::move(ids)); });
}

std::size_t queue::delete_dead(std::vector<std::string> ids) {
  return blocking<std::size_t>(*impl_->store_, "delete_dead",
                               [&] { return async_delete_dead(std::move(ids)); });
}

const std::string& queue::base() const noexcept { return impl_->base_; }

}  // namespace redkit::queue
