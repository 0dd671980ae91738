// One byte stream to a Redis server, whichever transport the URL names: TCP, unix socket, or
// TLS over TCP. Connects with a deadline; reads and writes as awaitables.
// Thread-safety: one reader and one writer coroutine at a time, on the connection's strand.
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <variant>

namespace redkit::net {

namespace asio = boost::asio;
using boost::system::error_code;
using strand_type = asio::strand<asio::any_io_executor>;

/// Builds the TLS context for rediss:// from the options (CA, client cert, verification).
/// Throws redkit::error(errc::invalid_argument) when a file cannot be loaded.
std::shared_ptr<asio::ssl::context> make_tls_context(const tls_options& tls);

class stream {
 public:
  stream(strand_type strand, std::shared_ptr<asio::ssl::context> tls);

  /// Connects to the URL's endpoint (resolving TCP names), and performs the TLS handshake for
  /// rediss://. No deadline of its own: the caller races it with a timer.
  asio::awaitable<error_code> connect(const store_url& url, const tls_options& tls);
  asio::awaitable<std::pair<error_code, std::size_t>> read_some(asio::mutable_buffer buf);
  asio::awaitable<std::pair<error_code, std::size_t>> write(asio::const_buffer buf);
  /// Writes all of `buf`, then calls `handler(error_code, bytes)` on the strand. The buffer must
  /// stay alive until then. A socket write is attempted at once (no extra scheduling hop).
  template <typename Handler>
  void async_write(asio::const_buffer buf, Handler&& handler) {
    auto h = asio::bind_executor(strand_, std::forward<Handler>(handler));
    if (auto* t = std::get_if<tcp_socket>(&s_)) {
      asio::async_write(*t, buf, std::move(h));
    } else if (auto* u = std::get_if<unix_socket>(&s_)) {
      asio::async_write(*u, buf, std::move(h));
    } else if (auto* s = std::get_if<std::unique_ptr<tls_stream>>(&s_)) {
      asio::async_write(**s, buf, std::move(h));
    } else {
      asio::post(strand_, [h = std::move(h)]() mutable { h(asio::error::not_connected, 0); });
    }
  }
  /// Closes the socket; pending reads and writes complete with an error.
  void close() noexcept;

 private:
  using tcp_socket = asio::ip::tcp::socket;
  using unix_socket = asio::local::stream_protocol::socket;
  using tls_stream = asio::ssl::stream<tcp_socket>;

  strand_type strand_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  std::variant<std::monostate, tcp_socket, unix_socket, std::unique_ptr<tls_stream>> s_;
};

}  // namespace redkit::net
