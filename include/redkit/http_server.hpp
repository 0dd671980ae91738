// The HTTP/1.1 server behind `redkit serve` (Boost.Beast, coroutines): keep-alive, limits on
// header size, body size, request time and idle time, a router by method and exact path,
// problem+json errors, a structured access log with request ids, and graceful shutdown.
#pragma once

#include <redkit/session_store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using milliseconds = std::chrono::milliseconds;

/// Request counts and latency histograms by route, in Prometheus text format. Thread-safe.
class request_metrics {
 public:
  /// `route` is the matched route's path (a prefix route's with "*"), or "unmatched".
  void record(std::string_view route, std::string_view method, unsigned status,
              std::chrono::nanoseconds took);
  /// redkit_http_requests_total{route,method,status} and
  /// redkit_http_request_duration_seconds{route} (a histogram).
  std::string prometheus() const;

 private:
  struct route_stats;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<route_stats>, std::less<>> routes_;
};

struct server_options {
  /// Where to listen. Defaults 127.0.0.1 and 8080; port 0 takes any free port (see
  /// server::port()).
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  /// I/O threads. Default 2.
  unsigned threads = 2;
  /// Largest request header block; larger gets 431. Default 16 KiB.
  std::size_t header_limit = 16 * 1024;
  /// Largest request body; larger gets 413. Default 1 MiB.
  std::size_t body_limit = 1024 * 1024;
  /// Longest a request may take to arrive once its first byte has (slow senders are dropped).
  /// Default 10 s.
  milliseconds request_timeout{10000};
  /// Longest a keep-alive connection may wait for its next request. Default 60 s.
  milliseconds idle_timeout{60000};
  /// Longest a handler may take to answer; past it the client gets 503. Default 30 s.
  milliseconds handler_timeout{30000};
  /// One access-log line per request; JSON when `log_json`. Default on, text.
  bool access_log = true;
  bool log_json = false;
  /// Where log lines go. Default: stdout.
  std::function<void(std::string_view)> log;
  /// Where each request is counted, if set.
  std::shared_ptr<request_metrics> metrics;
};

/// What a handler gets besides the request.
struct request_context {
  std::string request_id;  ///< X-Request-Id if the client sent a valid one, else a new one
  std::string peer;        ///< the TCP peer's address (no port)
  /// Set by the middleware (http_middleware.hpp): the client's address behind trusted
  /// proxies, and the request's live session if it presented one.
  std::string client_ip;
  std::optional<session::session> session;
  /// For a prefix route: the path after the prefix (not decoded).
  std::string path_rest;
  /// The matched route, as router::match::route.
  std::string route = "unmatched";
};

using handler = std::function<asio::awaitable<response>(const request&, request_context&)>;

/// Routes by exact path, else by the longest matching prefix, then by method: an unknown path
/// is 404, a known path with another method 405 with `Allow`.
class router {
 public:
  void add(bhttp::verb method, std::string path, handler h);
  /// Every path that starts with `prefix` (which should end in '/') and has more after it.
  void add_prefix(bhttp::verb method, std::string prefix, handler h);
  /// What a path and method match.
  struct match {
    const handler* h = nullptr;       ///< nullptr: 404 (allow empty) or 405 (allow set)
    std::string allow;                ///< the path's methods when the method is not one of them
    std::string_view rest;            ///< for a prefix route: the path after the prefix
    std::string route = "unmatched";  ///< for metrics: the path, or the prefix with "*"
  };
  match find(bhttp::verb method, std::string_view path) const;
  /// Every route as (method, path), a prefix route's path with "*" after the prefix.
  std::vector<std::pair<bhttp::verb, std::string>> list() const;
  /// `f` runs when the server starts to stop, once it no longer accepts and before the grace
  /// period: for handlers that wait (long polls) to answer at once. It runs on the thread
  /// that calls server::stop.
  void on_stop(std::function<void()> f);
  /// `f` runs once the server's threads have ended, before the requests they left suspended
  /// are destroyed: for helpers with threads of their own that complete into the server's
  /// (a hashing pool) to stop and join while nothing else runs. On the thread of
  /// server::stop.
  void on_stopped(std::function<void()> f);
  /// Run the on_stop or the on_stopped functions, in the order they were added.
  void stopping() const;
  void stopped() const;

 private:
  using methods = std::vector<std::pair<bhttp::verb, handler>>;
  std::map<std::string, methods, std::less<>> routes_;
  std::map<std::string, methods, std::less<>> prefixes_;
  std::vector<std::function<void()>> on_stop_, on_stopped_;
};

/// Thrown by a handler to answer a problem+json response of `status` with what() as detail.
struct problem_error : std::runtime_error {
  problem_error(bhttp::status s, const std::string& detail)
      : std::runtime_error(detail), status(s) {}
  bhttp::status status;
};

/// An application/problem+json response (RFC 9457) with `title` from the status and
/// `detail`.
response problem(bhttp::status status, std::string_view detail, unsigned version = 11);
/// An application/json response.
response json_response(bhttp::status status, std::string body, unsigned version = 11);

class server {
 public:
  /// Binds and starts serving on its own threads. Throws redkit::error on a bad address or a
  /// port in use.
  server(server_options options, router routes);
  /// Stops (with no grace) if still running.
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// The port it listens on.
  std::uint16_t port() const noexcept;
  /// Stops accepting, lets requests in flight finish for up to `grace` (idle keep-alive
  /// connections close at once), then closes everything and joins the threads. Idempotent.
  void stop(milliseconds grace);
  /// Blocks until stop() has finished.
  void wait();
  /// Requests being handled now.
  std::size_t in_flight() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::http
