// The pipelined Redis connection (see connection.hpp for the design).
#include "net/connection.hpp"

#include "completion.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace redkit::net {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = std::size_t{64} * 1024;
// A batch of replies is delivered in about this many slices, with a write after each (see
// reader()); slices are never lighter than min_delivery_slice. Measured on loopback: fewer
// slices leave the server idle while we deliver, more pay a send() per few requests. A reply
// weighs 1 + its elements: a script call that batches several callers' requests (a rate-limit
// or around() batch) weighs what they would, one by one, so its callers' next requests are
// sent as early.
constexpr std::size_t slices_per_batch = 4;
constexpr std::size_t min_delivery_slice = 16;

std::size_t delivery_weight(const resp::reply& r) { return 1 + r.elements.size(); }

std::exception_ptr make_error(errc code, std::string_view why, std::string_view name) {
  return std::make_exception_ptr(
      error(make_error_code(code), fmt::format("{} [in {}]", why, name)));
}

bool is_permanent(errc code) {
  return code == errc::auth_failed || code == errc::wrong_pass || code == errc::no_perm ||
         code == errc::no_auth;
}

}  // namespace

clock::time_point coarse_now() noexcept {
  // Rounded up by the clock's resolution, so a deadline computed from it is never early.
  static const auto resolution = [] {
    timespec res{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    return std::chrono::seconds(res.tv_sec) + std::chrono::nanoseconds(res.tv_nsec);
  }();
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec) +
                           resolution);
}

struct connection::op {
  store::exec_handler single;
  store::pipeline_handler multi;
  bool pipeline = false;
  std::size_t expected = 1;  // replies this entry consumes
  std::size_t received = 0;
  std::vector<resp::reply> replies;  // pipelines only
  std::string name;                  // command name, for messages
  clock::time_point deadline;
  std::size_t wire_size = 0;
  bool done = false;  // completed (by timeout); a tombstone waiting for its replies
};

struct connection::completion {
  store::exec_handler single;
  store::pipeline_handler multi;
  std::exception_ptr error;
  resp::reply reply;
  std::vector<resp::reply> replies;
};

connection::connection(asio::any_io_executor ex, store_url url, store_options opts)
    : ex_(std::move(ex)),
      strand_(asio::make_strand(ex_)),
      url_(std::move(url)),
      opts_(std::move(opts)),
      tls_ctx_(url_.tls ? make_tls_context(opts_.tls) : nullptr),
      stream_(strand_, tls_ctx_),
      parser_(opts_.limits),
      sweep_timer_(strand_),
      retry_timer_(strand_),
      write_idle_(strand_),
      rng_(std::random_device{}()) {
  read_buf_.resize(read_chunk);
}

connection::~connection() = default;

void connection::set_hooks(session_hooks hooks) { hooks_ = std::move(hooks); }

void connection::start() {
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->run(); }, asio::detached);
  asio::co_spawn(
      strand_, [self = shared_from_this()] { return self->sweeper(); }, asio::detached);
}

void connection::close() {
  std::vector<completion> done;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    fail_all_locked(done, errc::shutting_down, "store closed");
  }
  complete_all(done, false);
  asio::post(strand_, [self = shared_from_this()] {
    self->stream_.close();
    self->sweep_timer_.cancel();
    self->retry_timer_.cancel();
  });
}

// ---------------------------------------------------------------------------------------------
// Requests

void connection::exec(command cmd, request_options opts, store::exec_handler handler) {
  auto o = std::make_unique<op>();
  o->single.swap(handler);  // not operator=: it recurses forever in Boost 1.81
  o->name = cmd.name();
  o->deadline = coarse_now() + (opts.timeout.count() > 0 ? opts.timeout : opts_.request_timeout);
  o->wire_size = cmd.wire().size();
  enqueue(std::move(o), cmd.wire());
}

void connection::pipeline(std::vector<command> cmds, request_options opts,
                          store::pipeline_handler handler) {
  auto o = std::make_unique<op>();
  o->multi.swap(handler);
  o->pipeline = true;
  o->expected = cmds.size();
  o->replies.reserve(cmds.size());
  o->name = cmds.empty() ? std::string("empty pipeline")
                         : fmt::format("pipeline of {} from {}", cmds.size(), cmds[0].name());
  o->deadline = coarse_now() + (opts.timeout.count() > 0 ? opts.timeout : opts_.request_timeout);
  if (cmds.empty()) {
    completion c;
    c.multi.swap(o->multi);
    complete(c, false);
    return;
  }
  std::string wire;
  for (const auto& c : cmds) o->wire_size += c.wire().size();
  wire.reserve(o->wire_size);
  for (const auto& c : cmds) wire += c.wire();
  enqueue(std::move(o), wire);
}

void connection::enqueue(op_ptr o, std::string_view wire) {
  std::vector<completion> failed;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      fail_op(*o, failed, errc::shutting_down, "store closed");
    } else if (!connected_ && attempted_ &&
               (permanent_failure_ || opts_.on_outage == outage_policy::fail_fast)) {
      const auto code = permanent_failure_ ? errc::auth_failed : errc::not_connected;
      fail_op(*o, failed, code, "store unreachable: " + last_error_text_);
    } else {
      ++stats_.requests;
      out_.append(wire);
      arm_sweeper_locked(o->deadline);
      queue_.push_back(std::move(o));
      if (connected_) schedule_write_locked();
    }
  }
  complete_all(failed, false);  // never inside the initiating call
}

void connection::fail_op(op& o, std::vector<completion>& out, errc code,
                         std::string_view why) const {
  if (o.done) return;
  o.done = true;
  auto& c = out.emplace_back();
  c.single.swap(o.single);
  c.multi.swap(o.multi);
  c.error = make_error(code, why, o.name);
}

void connection::fail_all_locked(std::vector<completion>& out, errc code, std::string_view why) {
  for (auto& o : queue_) fail_op(*o, out, code, why);
  queue_.clear();
  out_.clear();
  sent_ = 0;
}

void connection::complete(completion& c, bool may_run_inline) const {
  if (c.single) {
    if (may_run_inline) {
      detail::dispatch_completion(std::move(c.single), c.error, std::move(c.reply));
    } else {
      detail::post_completion(ex_, std::move(c.single), c.error, std::move(c.reply));
    }
  } else if (c.multi) {
    if (may_run_inline) {
      detail::dispatch_completion(std::move(c.multi), c.error, std::move(c.replies));
    } else {
      detail::post_completion(ex_, std::move(c.multi), c.error, std::move(c.replies));
    }
  }
}

void connection::complete_all(std::vector<completion>& cs, bool may_run_inline) const {
  for (auto& c : cs) complete(c, may_run_inline);
  cs.clear();
}

// Called with mu_ held from any thread: makes sure a write will pick up what was queued.
void connection::schedule_write_locked() {
  if (write_in_flight_ || write_scheduled_) return;  // its completion starts the next write
  write_scheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] { self->start_write(); });
}

// On the strand: hands everything queued to one socket write, unless one is in flight.
void connection::start_write() {
  {
    std::lock_guard lock(mu_);
    write_scheduled_ = false;
    if (write_in_flight_ || out_.empty() || !connected_ || closed_) return;
    write_in_flight_ = true;
    write_buf_.swap(out_);
    sent_ = queue_.size();
    ++stats_.write_batches;
  }
  stream_.async_write(
      asio::buffer(write_buf_),
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

void connection::on_write(error_code ec) {
  write_buf_.clear();
  {
    std::lock_guard lock(mu_);
    write_in_flight_ = false;
  }
  write_idle_.cancel();
  if (ec) {
    stream_.close();  // the reader sees it and reports the loss
    return;
  }
  start_write();
}

void connection::arm_sweeper_locked(clock::time_point deadline) {
  if (deadline >= sweep_at_) return;
  sweep_at_ = deadline;
  asio::post(strand_, [self = shared_from_this()] { self->sweep_timer_.cancel(); });
}

std::string connection::unreachable_suffix_locked() const {
  if (connected_ || last_error_text_.empty()) return {};
  return " (store unreachable: " + last_error_text_ + ")";
}

// Drops timed-out requests that were never sent, with their bytes, so that a request the
// caller saw fail is never executed later.
void connection::compact_unsent_locked() {
  std::string kept;
  std::size_t offset = 0;
  std::deque<op_ptr> queue;
  for (std::size_t i = 0; i < queue_.size(); ++i) {
    auto& o = queue_[i];
    if (i < sent_) {
      queue.push_back(std::move(o));
      continue;
    }
    const auto size = o->wire_size;
    if (!o->done) {
      kept.append(out_, offset, size);
      queue.push_back(std::move(o));
    }
    offset += size;
  }
  queue_.swap(queue);
  out_.swap(kept);
}

// ---------------------------------------------------------------------------------------------
// Connection life cycle

clock::duration connection::backoff(unsigned failures) {
  const auto base = std::max<std::int64_t>(opts_.reconnect_min.count(), 1);
  const auto cap = std::max<std::int64_t>(opts_.reconnect_max.count(), base);
  std::int64_t ceiling = base;
  for (unsigned i = 1; i < failures && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  // "Full jitter": uniform in [base/2, ceiling].
  std::uniform_int_distribution<std::int64_t> dist(base / 2, ceiling);
  return std::chrono::milliseconds(dist(rng_));
}

asio::awaitable<void> connection::run() {
  unsigned failures = 0;
  bool first = true;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (closed_) co_return;
    }
    const error_code ec = co_await connect_once();
    std::vector<completion> failed;
    {
      std::lock_guard lock(mu_);
      attempted_ = true;
      if (closed_) co_return;
      if (ec) {
        permanent_failure_ =
            ec.category() == category() && is_permanent(static_cast<errc>(ec.value()));
        if (permanent_failure_) {
          fail_all_locked(failed, errc::auth_failed, last_error_text_);
        } else if (opts_.on_outage == outage_policy::fail_fast) {
          fail_all_locked(failed, errc::not_connected, "store unreachable: " + last_error_text_);
        }
      } else {
        connected_ = true;
        permanent_failure_ = false;
        last_error_text_.clear();
        if (!first) ++stats_.reconnects;
        first = false;
      }
    }
    complete_all(failed, true);
    if (hooks_.on_connect) {
      std::string text;
      if (ec) {
        std::lock_guard lock(mu_);
        text = last_error_text_;
      }
      hooks_.on_connect(ec, text);
    }
    if (ec) {
      retry_timer_.expires_after(backoff(++failures));
      co_await retry_timer_.async_wait(use_tuple);
      continue;
    }
    failures = 0;
    start_write();  // requests queued while connecting
    co_await reader();
    // The stream is closed; let the write in flight (if any) finish failing before its
    // requests are failed and the stream is reused.
    {
      std::lock_guard lock(mu_);
      connected_ = false;
    }
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (!write_in_flight_) break;
      }
      write_idle_.expires_after(std::chrono::seconds(1));
      co_await write_idle_.async_wait(use_tuple);
    }
    if (hooks_.on_disconnect) hooks_.on_disconnect();
    on_connection_lost(last_error_text_);
  }
}

asio::awaitable<error_code> connection::connect_once() {
  asio::steady_timer timer(strand_);
  timer.expires_after(opts_.connect_timeout);
  std::string why;
  auto establish = [&]() -> asio::awaitable<error_code> {
    if (auto ec = co_await stream_.connect(url_, opts_.tls)) {
      why = ec.message();
      if (ec.category() == asio::error::get_ssl_category()) why = "TLS: " + why;
      co_return make_error_code(errc::connect_failed);
    }
    co_return co_await handshake(why);
  };
  auto result = co_await (establish() || timer.async_wait(use_tuple));
  error_code ec;
  if (result.index() == 1) {
    ec = make_error_code(errc::timeout);
    why = fmt::format("connect timed out after {} ms", opts_.connect_timeout.count());
  } else {
    ec = std::get<0>(result);
  }
  if (ec) {
    stream_.close();
    std::lock_guard lock(mu_);
    last_error_text_ = fmt::format("{}: {}", url_.redacted(), why);
  }
  co_return ec;
}

// HELLO (RESP3 + AUTH + SETNAME in one command), falling back to AUTH/CLIENT SETNAME for
// servers without HELLO; then SELECT. Everything in one round trip when HELLO is known.
asio::awaitable<error_code> connection::handshake(std::string& why) {
  parser_.reset();
  // Writes `cmds` and reads `expected` replies (a SUBSCRIBE confirms each channel with its own
  // push). Bytes after the last reply stay in read_buf_ for the reader.
  read_have_ = 0;
  auto exchange = [&](const std::vector<command>& cmds,
                      std::size_t expected) -> asio::awaitable<std::vector<resp::reply>> {
    std::string wire;
    for (const auto& c : cmds) wire += c.wire();
    std::vector<resp::reply> replies;
    auto [wec, wn] = co_await stream_.write(asio::buffer(wire));
    if (wec) {
      why = wec.message();
      co_return replies;
    }
    std::size_t have = read_have_;
    for (;;) {
      std::string_view in(read_buf_.data(), have);
      while (!in.empty() && replies.size() < expected) {
        in.remove_prefix(parser_.parse(in));
        if (parser_.failed()) {
          why = "protocol error in handshake";
          co_return replies;
        }
        if (!parser_.has_reply()) break;
        replies.push_back(parser_.take());
      }
      have = in.size();
      std::memmove(read_buf_.data(), in.data(), have);
      if (replies.size() == expected) break;
      // The parser bounds every line, so `have` stays small; grow rather than read into nothing.
      if (read_buf_.size() - have < 4096) read_buf_.resize(have + read_chunk);
      auto [rec, n] = co_await stream_.read_some(
          asio::buffer(read_buf_.data() + have, read_buf_.size() - have));
      if (rec) {
        why = rec == asio::error::eof ? "server closed the connection" : rec.message();
        co_return replies;
      }
      have += n;
    }
    read_have_ = have;
    co_return replies;
  };
  auto fail = [&](const resp::reply& r) {
    why = r.string;
    const auto code = classify_server_error(r.string);
    return make_error_code(code == errc::wrong_pass || code == errc::no_auth ||
                                   code == errc::no_perm
                               ? errc::auth_failed
                               : errc::connect_failed);
  };

  std::vector<command> cmds;
  {
    std::vector<std::string> hello{opts_.resp3 ? "3" : "2"};
    if (!url_.password.empty()) {
      hello.insert(hello.end(), {"AUTH", url_.user.empty() ? "default" : url_.user, url_.password});
    }
    if (!opts_.client_name.empty()) hello.insert(hello.end(), {"SETNAME", opts_.client_name});
    cmds.push_back(command::from("HELLO", hello));
  }
  if (url_.db != 0) cmds.emplace_back("SELECT", url_.db);
  auto replies = co_await exchange(cmds, cmds.size());
  if (replies.size() < cmds.size()) co_return make_error_code(errc::connect_failed);

  // The owner's session commands (e.g. SUBSCRIBE), replayed on every connection.
  auto run_session = [&]() -> asio::awaitable<error_code> {
    if (hooks_.commands.empty()) co_return error_code{};
    auto rs = co_await exchange(hooks_.commands, hooks_.expected_replies);
    if (rs.size() < hooks_.expected_replies) co_return make_error_code(errc::connect_failed);
    for (const auto& r : rs) {
      if (r.is_error()) co_return fail(r);
    }
    co_return error_code{};
  };

  if (replies[0].is_error()) {
    const auto code = classify_server_error(replies[0].string);
    if (code != errc::unknown_command && !replies[0].string.starts_with("NOPROTO")) {
      co_return fail(replies[0]);
    }
    // A server without HELLO (Redis < 6) or without RESP3: RESP2 and the old commands.
    cmds.clear();
    if (!url_.password.empty()) {
      if (url_.user.empty()) {
        cmds.emplace_back("AUTH", url_.password);
      } else {
        cmds.emplace_back("AUTH", url_.user, url_.password);
      }
    }
    if (!opts_.client_name.empty()) cmds.emplace_back("CLIENT", "SETNAME", opts_.client_name);
    if (url_.db != 0) cmds.emplace_back("SELECT", url_.db);
    if (!cmds.empty()) {
      replies = co_await exchange(cmds, cmds.size());
      if (replies.size() < cmds.size()) co_return make_error_code(errc::connect_failed);
      for (const auto& r : replies) {
        if (r.is_error()) co_return fail(r);
      }
    }
    co_return co_await run_session();
  }
  for (std::size_t i = 1; i < replies.size(); ++i) {
    if (replies[i].is_error()) co_return fail(replies[i]);
  }
  co_return co_await run_session();
}

asio::awaitable<void> connection::reader() {
  std::vector<resp::reply> ready;
  std::vector<resp::reply> pushes;
  std::vector<completion> done;
  std::size_t have = read_have_;  // unparsed bytes at the front of read_buf_ (from the handshake)
  read_have_ = 0;
  bool parse_first = have > 0;
  std::string why;
  for (;;) {
    std::size_t n = 0;
    if (!parse_first) {
      if (read_buf_.size() - have < read_chunk / 2) read_buf_.resize(have + read_chunk);
      auto [ec, got] = co_await stream_.read_some(
          asio::buffer(read_buf_.data() + have, read_buf_.size() - have));
      if (ec) {
        why = ec == asio::error::eof ? "server closed the connection" : ec.message();
        break;
      }
      n = got;
    }
    parse_first = false;
    std::string_view in(read_buf_.data(), have + n);
    while (!in.empty()) {
      in.remove_prefix(parser_.parse(in));
      if (!parser_.has_reply()) break;
      ready.push_back(parser_.take());
    }
    if (parser_.failed()) {
      why = parser_.error().message();
      break;
    }
    have = in.size();
    if (have > 0 && in.data() != read_buf_.data()) std::memmove(read_buf_.data(), in.data(), have);

    // Deliver in slices; after each, hand the requests the callers issued meanwhile to the
    // socket, so the server works on them while we deliver the rest.
    bool unsolicited = false;
    std::size_t weight = 0;
    for (const auto& r : ready) weight += delivery_weight(r);
    const std::size_t slice = std::max(min_delivery_slice, weight / slices_per_batch);
    for (std::size_t begin = 0, end = 0; begin < ready.size() && !unsolicited; begin = end) {
      for (std::size_t w = 0; end < ready.size() && w < slice;) w += delivery_weight(ready[end++]);
      {
        std::lock_guard lock(mu_);
        for (std::size_t i = begin; i < end; ++i) {
          auto& r = ready[i];
          if (r.type == resp::type::push) {  // out-of-band: pub/sub messages, invalidations
            if (hooks_.on_push) pushes.push_back(std::move(r));
            continue;
          }
          if (sent_ == 0 || queue_.empty()) {
            unsolicited = true;
            break;
          }
          op& o = *queue_.front();
          ++o.received;
          if (o.pipeline) {  // collects its replies, then completes once
            if (!o.done) o.replies.push_back(std::move(r));
            if (o.received < o.expected) continue;
            if (!o.done) {
              auto& c = done.emplace_back();
              c.multi.swap(o.multi);
              c.replies = std::move(o.replies);
            }
          } else if (!o.done) {
            auto& c = done.emplace_back();
            c.single.swap(o.single);
            if (r.is_error()) {
              c.error = std::make_exception_ptr(server_error(r.string, o.name));
            } else {
              c.reply = std::move(r);
            }
          }
          queue_.pop_front();
          --sent_;
        }
      }
      complete_all(done, true);
      for (auto& p : pushes) hooks_.on_push(std::move(p));
      pushes.clear();
      start_write();
    }
    ready.clear();
    if (unsolicited) {
      why = "reply without a request (protocol desynchronised)";
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    last_error_text_ = fmt::format("{}: {}", url_.redacted(), why);
  }
  stream_.close();
}

void connection::on_connection_lost(const std::string& why) {
  std::vector<completion> failed;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
    for (std::size_t i = 0; i < sent_ && i < queue_.size(); ++i) {
      fail_op(*queue_[i], failed, errc::connection_lost, "connection lost: " + why);
    }
    queue_.erase(queue_.begin(),
                 queue_.begin() + static_cast<std::ptrdiff_t>(std::min(sent_, queue_.size())));
    sent_ = 0;
    compact_unsent_locked();
    if (opts_.on_outage == outage_policy::fail_fast) {
      fail_all_locked(failed, errc::not_connected, "store unreachable: " + why);
    }
  }
  parser_.reset();
  stream_.close();
  complete_all(failed, true);
}

asio::awaitable<void> connection::sweeper() {
  std::vector<completion> expired;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (closed_) co_return;
      sweep_timer_.expires_at(sweep_at_);
    }
    co_await sweep_timer_.async_wait(use_tuple);
    const auto now = clock::now();
    {
      std::lock_guard lock(mu_);
      if (closed_) co_return;
      if (now < sweep_at_) continue;  // woken early to re-arm
      auto next = clock::time_point::max();
      const auto suffix = unreachable_suffix_locked();
      for (auto& o : queue_) {
        if (o->done) continue;
        if (o->deadline <= now) {
          ++stats_.timeouts;
          fail_op(*o, expired, errc::timeout, "request timed out" + suffix);
        } else {
          next = std::min(next, o->deadline);
        }
      }
      sweep_at_ = next;
      if (!connected_) compact_unsent_locked();
    }
    complete_all(expired, true);
  }
}

store_stats connection::stats() const {
  std::lock_guard lock(mu_);
  store_stats s = stats_;
  s.connected = connected_;
  return s;
}

}  // namespace redkit::net
