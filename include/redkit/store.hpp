// The one interface every pattern talks to: a key-value store opened from a URL.
// `redis://`, `rediss://` and `unix://` open a Redis client (net/); `memory://` (the engine
// issue) opens the embedded engine. Each operation is asynchronous (any Asio completion token,
// `asio::use_awaitable` by default) and has a blocking twin.
// Thread-safety: a store may be used from any number of threads and coroutines at once;
// concurrent requests share one pipelined connection.
#pragma once

#include <redkit/command.hpp>
#include <redkit/engine.hpp>
#include <redkit/error.hpp>
#include <redkit/resp.hpp>
#include <redkit/script.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace redkit {

namespace asio = boost::asio;

/// TLS settings for `rediss://`.
struct tls_options {
  /// CA bundle to verify the server with. Default: the system's trust store.
  std::string ca_file;
  /// Client certificate and key (PEM) for mutual TLS. Default: none.
  std::string cert_file;
  std::string key_file;
  /// Verify the server's certificate and host name. Default: true.
  bool verify_peer = true;
  /// Name for SNI and host-name verification. Default: the URL's host.
  std::string server_name;
};

/// What a request issued while the store is unreachable does.
enum class outage_policy {
  wait,       ///< Queue it and send it after the reconnect, failing at its deadline (default).
  fail_fast,  ///< Fail it at once with errc::not_connected.
};

/// Options of `store::open`. Every field has a default; the URL may override some.
struct store_options {
  /// Deadline of each request unless the call gives its own. Default 2 s.
  std::chrono::milliseconds request_timeout{2000};
  /// Deadline of one connect attempt (TCP/unix connect + TLS + HELLO/AUTH/SELECT). Default 2 s.
  std::chrono::milliseconds connect_timeout{2000};
  /// Reconnect backoff: first delay, doubled per failure up to the maximum, with full jitter.
  /// Defaults 20 ms and 2 s.
  std::chrono::milliseconds reconnect_min{20};
  std::chrono::milliseconds reconnect_max{2000};
  /// Requests issued during an outage. Default: wait (up to each request's deadline).
  outage_policy on_outage = outage_policy::wait;
  /// Sent with CLIENT SETNAME after connecting. Default "redkit"; empty sends nothing.
  std::string client_name = "redkit";
  /// Try `HELLO 3` (RESP3) first, falling back to RESP2. Default true.
  bool resp3 = true;
  /// Parser maxima for replies.
  resp::parser_limits limits;
  /// TLS settings for rediss://.
  tls_options tls;
  /// Options of the embedded engine, for memory://.
  engine_options engine;
};

/// Per-call settings.
struct request_options {
  /// Deadline of this request; zero means the store's `request_timeout`.
  std::chrono::milliseconds timeout{0};
};

/// Counters a store keeps about itself.
struct store_stats {
  std::uint64_t requests = 0;       ///< Requests issued (a pipeline counts once).
  std::uint64_t timeouts = 0;       ///< Requests failed by their deadline.
  std::uint64_t reconnects = 0;     ///< Connections established after the first.
  std::uint64_t write_batches = 0;  ///< Socket writes (requests per write = requests / this).
  bool connected = false;           ///< A connection is up right now.
};

/// One pub/sub message.
struct message {
  std::string channel;  ///< the channel it was published to
  std::string pattern;  ///< the pattern that matched, for pattern subscriptions; else empty
  std::string payload;
};

/// Called once per message, in publish order, never concurrently for one subscription.
using message_handler = std::function<void(message)>;

/// Told when a subscription's delivery breaks and resumes: `false` when its connection is lost
/// (messages published from then on may be lost), `true` when it is active again. Runs on the
/// store's executor, in order with the messages. The embedded engine never loses one.
using subscription_state_handler = std::function<void(bool active)>;

/// A live subscription (see store::subscribe). Delivery stops when it is closed or destroyed.
class subscription {
 public:
  virtual ~subscription() = default;
  /// Stops delivery and releases the subscription's resources. Idempotent.
  virtual void close() = 0;
};

/// A store handle. Create with `store::open`; share the `shared_ptr` freely.
class store : public std::enable_shared_from_this<store> {
 public:
  using exec_signature = void(std::exception_ptr, resp::reply);
  using pipeline_signature = void(std::exception_ptr, std::vector<resp::reply>);
  using exec_handler = asio::any_completion_handler<exec_signature>;
  using pipeline_handler = asio::any_completion_handler<pipeline_signature>;

  /// Opens a store from `url` with its own I/O thread. Connecting happens in the background:
  /// this returns at once and the first requests wait for the connection (up to their
  /// deadline). Throws redkit::error(errc::invalid_url) for a malformed URL.
  static std::shared_ptr<store> open(std::string_view url, store_options options = {});
  /// Same, with I/O running on `executor` (the caller runs its execution context). Blocking
  /// calls must then not be made from a thread that runs that context.
  static std::shared_ptr<store> open(asio::any_io_executor executor, std::string_view url,
                                     store_options options = {});

  virtual ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Runs one command. Completes with its reply; an error reply becomes a redkit::error
  /// (carrying the server's message and the command's name), as do timeouts and connection
  /// failures. Commands that change the connection's mode (SUBSCRIBE, PSUBSCRIBE, MONITOR, ...)
  /// are refused with errc::invalid_argument: use subscribe(). So are MULTI, EXEC, DISCARD,
  /// WATCH and UNWATCH: the connection is shared (a transaction goes in one async_pipeline).
  template <typename Token = asio::use_awaitable_t<>>
  auto async_exec(command cmd, request_options opts = {}, Token&& token = {}) {
    return asio::async_initiate<Token, exec_signature>(
        [this](auto handler, command c, request_options o) {
          start_exec(std::move(c), o, exec_handler(std::move(handler)));
        },
        token, std::move(cmd), opts);
  }

  /// Runs several commands in one round trip, in order, with nothing interleaved between
  /// them on the wire. Completes with one reply per command; error replies are returned as
  /// replies (`is_error()`), only transport failures and the deadline raise. A MULTI must be
  /// closed by EXEC or DISCARD in the same pipeline, and WATCH/UNWATCH are refused (the
  /// connection is shared): errc::invalid_argument.
  template <typename Token = asio::use_awaitable_t<>>
  auto async_pipeline(std::vector<command> cmds, request_options opts = {}, Token&& token = {}) {
    return asio::async_initiate<Token, pipeline_signature>(
        [this](auto handler, std::vector<command> c, request_options o) {
          start_pipeline(std::move(c), o, pipeline_handler(std::move(handler)));
        },
        token, std::move(cmds), opts);
  }

  /// Runs a Lua script with EVALSHA; on NOSCRIPT loads it and retries once, so a server
  /// restart or SCRIPT FLUSH is transparent. Completes like async_exec.
  template <typename Token = asio::use_awaitable_t<>>
  auto async_eval(const script& s, std::vector<std::string> keys, std::vector<std::string> args,
                  request_options opts = {}, Token&& token = {}) {
    return asio::async_initiate<Token, exec_signature>(
        [this, &s](auto handler, std::vector<std::string> k, std::vector<std::string> a,
                   request_options o) {
          do_eval(s, std::move(k), std::move(a), o, exec_handler(std::move(handler)));
        },
        token, std::move(keys), std::move(args), opts);
  }

  /// Blocking twins of the calls above: same semantics, throw redkit::error on failure.
  resp::reply exec(command cmd, request_options opts = {});
  std::vector<resp::reply> pipeline(std::vector<command> cmds, request_options opts = {});
  resp::reply eval(const script& s, std::vector<std::string> keys, std::vector<std::string> args,
                   request_options opts = {});

  /// The executor the store's I/O runs on.
  virtual asio::any_io_executor get_executor() const = 0;
  /// Counters since open.
  virtual store_stats stats() const = 0;
  /// Fails every waiting request with errc::shutting_down and closes the connection.
  /// Later calls fail at once. Idempotent; the destructor calls it.
  virtual void close() = 0;
  /// The URL the store was opened with, password removed.
  virtual std::string describe() const = 0;
  /// Subscribes to `channels` and glob `patterns` and returns once the subscription is active,
  /// so that a message published after the return is delivered. `handler` runs on the store's
  /// executor. On Redis the subscription has its own connection, which re-subscribes after a
  /// reconnect (messages published while it is down are lost, as with Redis pub/sub).
  /// `on_state`, when given, hears of every loss and recovery of the subscription after it
  /// became active. Throws redkit::error (e.g. errc::timeout) if it cannot become active
  /// within the connect timeout, and errc::invalid_argument when both lists are empty.
  std::shared_ptr<subscription> subscribe(std::vector<std::string> channels,
                                          std::vector<std::string> patterns,
                                          message_handler handler,
                                          subscription_state_handler on_state = {});

  /// The engine's controls (clock, sweep, memory) for memory://; nullptr for Redis.
  virtual engine_controls* engine() noexcept { return nullptr; }

 protected:
  store() = default;
  virtual void do_exec(command cmd, request_options opts, exec_handler handler) = 0;
  /// Called with at least one channel or pattern.
  virtual std::shared_ptr<subscription> do_subscribe(std::vector<std::string> channels,
                                                     std::vector<std::string> patterns,
                                                     message_handler handler,
                                                     subscription_state_handler on_state) = 0;
  virtual void do_pipeline(std::vector<command> cmds, request_options opts,
                           pipeline_handler handler) = 0;
  /// Default: EVALSHA, then SCRIPT LOAD + EVALSHA in one pipeline on NOSCRIPT.
  virtual void do_eval(const script& s, std::vector<std::string> keys,
                       std::vector<std::string> args, request_options opts, exec_handler handler);
  /// True when the calling thread runs the store's I/O (a blocking call would deadlock).
  virtual bool running_in_io_thread() const = 0;

 private:
  // Every backend refuses mode-changing commands (SUBSCRIBE, MONITOR, ...) here, then runs
  // the call with do_exec / do_pipeline.
  void start_exec(command cmd, request_options opts, exec_handler handler);
  void start_pipeline(std::vector<command> cmds, request_options opts, pipeline_handler handler);
};

/// Parsed form of a store URL.
struct store_url {
  std::string scheme;  ///< "redis", "rediss", "unix", "memory", ...
  std::string host;    ///< TCP host (brackets removed from IPv6 literals)
  std::uint16_t port = 6379;
  std::string path;      ///< unix socket path, or the engine's directory
  std::string user;      ///< ACL user; empty for the default user
  std::string password;  ///< empty when none
  int db = 0;            ///< database selected with SELECT
  bool tls = false;      ///< rediss://

  /// The URL without its password, for logs and messages.
  std::string redacted() const;
};

/// Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://...`, `unix:///path[?db=N]`
/// and `memory://`. User and password may be percent-encoded. Throws
/// redkit::error(errc::invalid_url) naming what is wrong (never echoing the password).
store_url parse_store_url(std::string_view url);

}  // namespace redkit
