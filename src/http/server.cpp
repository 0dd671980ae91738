// The HTTP/1.1 server: one coroutine per connection, on the io_context of one I/O thread. A
// handler runs in a coroutine of its own, answered 503 past its deadline. A connection waits for
// a request's first byte for at most idle_timeout, then for the whole request for at most
// request_timeout; limits answer 431 / 413 and close. stop() closes idle connections at once
// and lets the others finish their request (answered with `Connection: close`).
#include <redkit/error.hpp>
#include <redkit/http_server.hpp>

#include "http/json_text.hpp"
#include "script_reply.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

namespace redkit::http {
namespace {

namespace beast = boost::beast;
using detail::json_string;
using tcp = asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

/// A client's X-Request-Id is kept when it is 1-128 of [A-Za-z0-9._:-].
bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

/// Whether `ec` says the store cannot answer now (down, late, loading, failing over, out of
/// memory or unable to persist): a 503, which a client may retry, rather than a 500.
bool store_unavailable(const boost::system::error_code& ec) {
  static constexpr std::array codes{
      errc::connect_failed, errc::connection_lost, errc::not_connected,
      errc::timeout,        errc::shutting_down,   errc::busy,
      errc::try_again,      errc::cluster_down,    errc::loading,
      errc::read_only,      errc::master_down,     errc::out_of_memory,
      errc::no_replicas,    errc::misconf};
  return std::any_of(codes.begin(), codes.end(), [&](errc c) { return ec == c; });
}

/// A new request id: 16 base64url characters, a random per-process prefix then a counter, so
/// ids are unique without a CSPRNG call (a system call) per request.
std::string new_request_id() {
  static const std::string prefix = redkit::detail::random_base64url(6);  // 8 characters
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::array<unsigned char, 6> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>(n >> (8 * i));
  return prefix + redkit::detail::base64url(bytes.data(), bytes.size());
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", std::chrono::floor<std::chrono::seconds>(now),
                     ms);
}

}  // namespace

// --- router and responses ----------------------------------------------------------------------

void router::add(bhttp::verb method, std::string path, handler h) {
  routes_[std::move(path)].emplace_back(method, std::move(h));
}

void router::add_prefix(bhttp::verb method, std::string prefix, handler h) {
  prefixes_[std::move(prefix)].emplace_back(method, std::move(h));
}

std::vector<std::pair<bhttp::verb, std::string>> router::list() const {
  std::vector<std::pair<bhttp::verb, std::string>> out;
  for (const auto& [path, ms] : routes_) {
    for (const auto& m : ms) out.emplace_back(m.first, path);
  }
  for (const auto& [prefix, ms] : prefixes_) {
    for (const auto& m : ms) out.emplace_back(m.first, prefix + "*");
  }
  return out;
}

void router::on_stop(std::function<void()> f) { on_stop_.push_back(std::move(f)); }

void router::on_stopped(std::function<void()> f) { on_stopped_.push_back(std::move(f)); }

void router::stopping() const {
  for (const auto& f : on_stop_) f();
}

void router::stopped() const {
  for (const auto& f : on_stopped_) f();
}

router::match router::find(bhttp::verb method, std::string_view path) const {
  match m;
  const methods* found = nullptr;
  if (const auto it = routes_.find(path); it != routes_.end()) {
    found = &it->second;
    m.route = it->first;
  } else {
    const std::string* best = nullptr;
    for (const auto& [prefix, ms] : prefixes_) {
      if (path.size() > prefix.size() && path.starts_with(prefix) &&
          (!best || prefix.size() > best->size())) {
        best = &prefix;
        found = &ms;
      }
    }
    if (best) {
      m.rest = path.substr(best->size());
      m.route = *best + "*";
    }
  }
  if (!found) return m;
  for (const auto& [verb, h] : *found) {
    if (verb == method) {
      m.h = &h;
      return m;
    }
  }
  for (const auto& [verb, h] : *found) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(bhttp::to_string(verb));
  }
  return m;
}

// --- metrics -------------------------------------------------------------------------------------

namespace {
constexpr std::array<double, 14> latency_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
}

/// Orders (method, status) keys, and finds one by a method's view (no string per request).
struct method_status_less {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    const std::string_view am = a.first, bm = b.first;
    return am < bm || (am == bm && a.second < b.second);
  }
};

struct request_metrics::route_stats {
  std::map<std::pair<std::string, unsigned>, std::uint64_t, method_status_less>
      counts;  // (method, status)
  std::array<std::uint64_t, latency_buckets.size()> buckets{};
  std::uint64_t count = 0;
  double sum = 0;
};

void request_metrics::record(std::string_view route, std::string_view method, unsigned status,
                             std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  auto at = routes_.find(route);
  if (at == routes_.end()) {
    at = routes_.emplace(std::string(route), std::make_shared<route_stats>()).first;
  }
  auto& slot = at->second;
  const std::pair<std::string_view, unsigned> key{method, status};
  auto count = slot->counts.find(key);
  if (count == slot->counts.end()) {
    count = slot->counts.emplace(std::pair<std::string, unsigned>(method, status), 0).first;
  }
  ++count->second;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
    if (seconds <= latency_buckets[i]) ++slot->buckets[i];
  }
  ++slot->count;
  slot->sum += seconds;
}

std::string request_metrics::prometheus() const {
  std::string out =
      "# HELP redkit_http_requests_total HTTP requests answered.\n"
      "# TYPE redkit_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [route, st] : routes_) {
    for (const auto& [key, n] : st->counts) {
      out += fmt::format("redkit_http_requests_total{{route={},method={},status=\"{}\"}} {}\n",
                         json_string(route), json_string(key.first), key.second, n);
    }
  }
  out +=
      "# HELP redkit_http_request_duration_seconds Time from a request's first byte to its "
      "response written.\n"
      "# TYPE redkit_http_request_duration_seconds histogram\n";
  for (const auto& [route, st] : routes_) {
    const auto label = json_string(route);
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
      out += fmt::format("redkit_http_request_duration_seconds_bucket{{route={},le=\"{}\"}} {}\n",
                         label, latency_buckets[i], st->buckets[i]);
    }
    out += fmt::format("redkit_http_request_duration_seconds_bucket{{route={},le=\"+Inf\"}} {}\n",
                       label, st->count);
    out += fmt::format("redkit_http_request_duration_seconds_sum{{route={}}} {}\n", label, st->sum);
    out += fmt::format("redkit_http_request_duration_seconds_count{{route={}}} {}\n", label,
                       st->count);
  }
  return out;
}

namespace {

/// Appends `res`'s start line and fields, as Beast's serializer writes them: one buffer for
/// one write with the body (the serializer's per-field buffer sequence cost more than the
/// socket write of a small response).
void append_head(const response& res, std::string& out) {
  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  std::array<char, 8> code{};
  const auto end = std::to_chars(code.data(), code.data() + code.size(), res.result_int()).ptr;
  out.append(code.data(), end).append(" ").append(res.reason()).append("\r\n");
  for (const auto& f : res) {
    out.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
  }
  out += "\r\n";
}

}  // namespace

response problem(bhttp::status status, std::string_view detail, unsigned version) {
  response res{status, version};
  res.set(bhttp::field::content_type, "application/problem+json");
  res.body() = fmt::format(R"({{"type":"about:blank","title":{},"status":{},"detail":{}}})",
                           json_string(bhttp::obsolete_reason(status)),
                           static_cast<unsigned>(status), json_string(detail));
  return res;
}

response json_response(bhttp::status status, std::string body, unsigned version) {
  response res{status, version};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

// --- the server ----------------------------------------------------------------------------------

struct server::impl {
  struct connection {
    explicit connection(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    std::atomic<bool> idle{true};
    std::string head;  // the response's start line and fields, reused
  };

  impl(server_options o, router r)
      : opts(std::move(o)),
        iocs(make_contexts(std::max(1u, opts.threads))),
        acceptor(iocs.front()->ioc),
        routes(std::move(r)) {
    if (!opts.log) {
      opts.log = [](std::string_view line) {
        std::fprintf(stdout, "%.*s\n", static_cast<int>(line.size()), line.data());
        std::fflush(stdout);
      };
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(opts.host, ec);
    if (ec) throw error(make_error_code(errc::invalid_argument), "bad host " + opts.host);
    const tcp::endpoint ep(address, opts.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep, ec);
    if (ec) {
      throw error(make_error_code(errc::invalid_argument),
                  fmt::format("cannot listen on {}:{}: {}", opts.host, opts.port, ec.message()));
    }
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
  }

  void start() {
    asio::co_spawn(acceptor.get_executor(), accept_loop(this), asio::detached);
    for (auto& c : iocs) {
      threads.emplace_back([c = c.get()] { c->ioc.run(); });
    }
  }

  /// One io_context per thread, each run by its thread alone: a connection lives on one of them,
  /// so its handlers need no strand and no thread hands work to another (no lock, no wakeup).
  struct context {
    context() : ioc(1), work(asio::make_work_guard(ioc)) {}
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work;
  };
  static std::vector<std::unique_ptr<context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<context>> out;
    for (unsigned i = 0; i < n; ++i) out.push_back(std::make_unique<context>());
    return out;
  }

  // Coroutines hold `impl*`: stop() joins the threads before impl goes, and the frames left in
  // the contexts are destroyed with them, never resumed.
  /// The context of the next connection (round robin).
  asio::io_context& next_context() { return iocs[next++ % iocs.size()]->ioc; }

  static asio::awaitable<void> accept_loop(impl* self) {
    for (;;) {
      auto [ec, socket] =
          co_await self->acceptor.async_accept(self->next_context(), tuple_awaitable);
      if (self->stopping) co_return;
      if (ec) {
        // Out of descriptors and the like: back off a little instead of spinning.
        asio::steady_timer t(self->acceptor.get_executor(), std::chrono::milliseconds(10));
        co_await t.async_wait(tuple_awaitable);
        continue;
      }
      auto c = std::make_shared<connection>(std::move(socket));
      {
        std::lock_guard lock(self->mu);
        self->connections.insert(c);
      }
      asio::co_spawn(c->stream.get_executor(), serve(self, c), asio::detached);
    }
  }

  static asio::awaitable<void> serve(impl* self, std::shared_ptr<connection> c) {
    const auto& o = self->opts;
    beast::flat_buffer buffer;
    boost::system::error_code peer_ec;
    const auto peer = c->stream.socket().remote_endpoint(peer_ec).address().to_string();
    for (;;) {
      if (self->stopping) break;
      c->idle = true;
      if (buffer.size() == 0) {
        c->stream.expires_after(o.idle_timeout);
        auto [ec, n] = co_await c->stream.async_read_some(buffer.prepare(4096), tuple_awaitable);
        if (ec) break;
        buffer.commit(n);
      }
      c->idle = false;
      self->in_flight.fetch_add(1);
      const bool keep = co_await self->exchange(*c, buffer, peer);
      self->request_done();
      if (!keep) break;
    }
    boost::system::error_code ec;
    c->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c->stream.socket().close(ec);
    std::lock_guard lock(self->mu);
    self->connections.erase(c);
    self->cv.notify_all();
  }

  /// Reads one request, answers it; false when the connection must close.
  asio::awaitable<bool> exchange(connection& c, beast::flat_buffer& buffer,
                                 const std::string& peer) {
    const auto t0 = std::chrono::steady_clock::now();
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(opts.header_limit, UINT32_MAX)));
    parser.body_limit(opts.body_limit);
    c.stream.expires_after(opts.request_timeout);
    auto [ec, n] = co_await bhttp::async_read(c.stream, buffer, parser, tuple_awaitable);
    (void)n;
    auto ctx = std::make_shared<request_context>();
    response res;
    bool close = false;
    std::string method = "-", target = "-";
    if (parser.is_header_done()) {
      method = std::string(parser.get().method_string());
      if (opts.access_log) target = std::string(parser.get().target());
    }
    if (ec == bhttp::error::header_limit) {
      res = problem(bhttp::status::request_header_fields_too_large,
                    fmt::format("the request's header is over {} bytes", opts.header_limit));
      close = true;
    } else if (ec == bhttp::error::body_limit) {
      res = problem(bhttp::status::payload_too_large,
                    fmt::format("the request's body is over {} bytes", opts.body_limit));
      close = true;
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
               (ec &&
                ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category())) {
      co_return false;  // gone, too slow, or a socket error: nothing to answer
    } else if (ec) {
      res = problem(bhttp::status::bad_request, "malformed request: " + ec.message());
      close = true;
    } else {
      auto req = std::make_shared<const request>(parser.release());
      const auto given = (*req)["X-Request-Id"];
      ctx->request_id = valid_request_id(given) ? std::string(given) : new_request_id();
      ctx->peer = peer;
      const auto version = req->version();
      close = !req->keep_alive();
      res = co_await dispatch(std::move(req), ctx);
      res.version(version);
    }
    if (ctx->request_id.empty()) ctx->request_id = new_request_id();
    res.set("X-Request-Id", ctx->request_id);
    res.keep_alive(!close && !stopping);
    res.prepare_payload();
    c.head.clear();
    append_head(res, c.head);
    const std::array<asio::const_buffer, 2> out{asio::buffer(c.head), asio::buffer(res.body())};
    c.stream.expires_after(opts.request_timeout);
    auto [wec, wn] = co_await asio::async_write(c.stream, out, tuple_awaitable);
    if (opts.metrics) {
      opts.metrics->record(ctx->route, method, res.result_int(),
                           std::chrono::steady_clock::now() - t0);
    }
    if (opts.access_log) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      const auto status = res.result_int();
      if (opts.log_json) {
        opts.log(fmt::format(
            R"({{"time":"{}","id":{},"peer":{},"method":{},"target":{},"status":{},"bytes":{},"us":{}}})",
            utc_now(), json_string(ctx->request_id), json_string(peer), json_string(method),
            json_string(target), status, res.body().size(), us));
      } else {
        opts.log(fmt::format("{} {} {} {} {} {} {} {}us", utc_now(), ctx->request_id, peer, method,
                             target, status, res.body().size(), us));
      }
    }
    co_return !wec && res.keep_alive();
  }

  asio::awaitable<response> dispatch(std::shared_ptr<const request> req,
                                     std::shared_ptr<request_context> ctx) {
    const std::string_view target = req->target();
    const auto path = target.substr(0, target.find('?'));
    auto [h, allow, rest, route] = routes.find(req->method(), path);
    ctx->path_rest = std::string(rest);
    ctx->route = std::move(route);
    if (!h) {
      if (allow.empty()) {
        co_return problem(bhttp::status::not_found, fmt::format("no route {}", std::string(path)),
                          req->version());
      }
      auto res = problem(bhttp::status::method_not_allowed,
                         fmt::format("{} accepts {}", std::string(path), allow), req->version());
      res.set(bhttp::field::allow, allow);
      co_return res;
    }
    // The handler runs in a coroutine of its own, which owns what it references: past the
    // deadline the client gets 503 at once, and the late handler finishes on its own (store
    // calls end by their own deadlines).
    auto ex = co_await asio::this_coro::executor;
    auto answer = std::make_shared<pending_answer>(ex);
    answer->wake.expires_after(opts.handler_timeout);
    asio::co_spawn(ex, run_handler(this, h, req, ctx, answer), asio::detached);
    co_await answer->wake.async_wait(tuple_awaitable);
    if (answer->res) co_return std::move(*answer->res);
    opts.log(fmt::format("{} {} handler missed its {} ms deadline", utc_now(), ctx->request_id,
                         opts.handler_timeout.count()));
    co_return problem(
        bhttp::status::service_unavailable,
        fmt::format("the request took over {} ms; try again", opts.handler_timeout.count()),
        req->version());
  }

  /// A handler's answer, and the timer its waiter sleeps on (it fires at the deadline, or at
  /// once when the answer is in).
  struct pending_answer {
    explicit pending_answer(const asio::any_io_executor& ex) : wake(ex) {}
    asio::steady_timer wake;
    std::optional<response> res;
  };

  static asio::awaitable<void> run_handler(impl* self, const handler* h,
                                           std::shared_ptr<const request> req,
                                           std::shared_ptr<request_context> ctx,
                                           std::shared_ptr<pending_answer> answer) {
    answer->res = co_await self->guarded(*h, *req, *ctx);
    answer->wake.expires_at(asio::steady_timer::time_point::min());
  }

  /// The handler's response, or the problem its exception maps to: never throws.
  asio::awaitable<response> guarded(const handler& h, const request& req, request_context& ctx) {
    std::string failure;
    bool bad_input = false;
    std::optional<bhttp::status> status;
    try {
      co_return co_await h(req, ctx);
    } catch (const problem_error& e) {
      status = e.status;
      failure = e.what();
    } catch (const error& e) {
      if (e.code() == errc::invalid_argument) {
        bad_input = true;
      } else if (store_unavailable(e.code())) {
        status = bhttp::status::service_unavailable;
      }
      failure = e.what();
      if (status) failure = "the store failed: " + failure;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (status) co_return problem(*status, failure, req.version());
    if (bad_input) co_return problem(bhttp::status::bad_request, failure, req.version());
    opts.log(fmt::format("{} {} handler failed: {}", utc_now(), ctx.request_id, failure));
    co_return problem(bhttp::status::internal_server_error,
                      "the server failed to handle the request (request id " + ctx.request_id + ")",
                      req.version());
  }

  void request_done() {
    in_flight.fetch_sub(1);
    std::lock_guard lock(mu);
    cv.notify_all();
  }

  void stop(milliseconds grace) {
    if (stopping.exchange(true)) {
      wait();
      return;
    }
    asio::post(acceptor.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor.close(ec);
    });
    std::unique_lock lock(mu);
    const auto close_where = [&](bool only_idle) {
      for (const auto& c : connections) {
        if (only_idle && !c->idle) continue;
        asio::post(c->stream.get_executor(), [c] { c->stream.cancel(); });
      }
    };
    close_where(true);
    lock.unlock();
    routes.stopping();
    lock.lock();
    cv.wait_for(lock, grace, [&] { return connections.empty(); });
    close_where(false);
    cv.wait_for(lock, milliseconds(500), [&] { return connections.empty(); });
    lock.unlock();
    for (auto& c : iocs) {
      c->work.reset();
      c->ioc.stop();
    }
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    routes.stopped();
    lock.lock();
    stopped = true;
    cv.notify_all();
  }

  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stopped; });
  }

  server_options opts;
  std::vector<std::unique_ptr<context>> iocs;
  std::size_t next = 0;  // the accept loop's round robin
  tcp::acceptor acceptor;
  // After iocs, so it goes first: what the handlers own ends while the contexts, where their
  // completions are posted, still exist. A helper with threads of its own (the hashing pool)
  // is stopped earlier, by routes.stopped(), while no thread of the server runs.
  router routes;
  std::uint16_t port = 0;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::shared_ptr<connection>> connections;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  bool stopped = false;
};

server::server(server_options options, router routes)
    : impl_(std::make_shared<impl>(std::move(options), std::move(routes))) {
  impl_->start();
}

server::~server() { stop(milliseconds(0)); }

std::uint16_t server::port() const noexcept { return impl_->port; }
void server::stop(milliseconds grace) { impl_->stop(grace); }
void server::wait() { impl_->wait(); }
std::size_t server::in_flight() const noexcept { return impl_->in_flight.load(); }

}  // namespace redkit::http
