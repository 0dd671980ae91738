// Transport for the Redis client: TCP, unix sockets and TLS.
#include "net/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

namespace redkit::net {
namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

std::shared_ptr<asio::ssl::context> make_tls_context(const tls_options& tls) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  error_code ec;
  if (tls.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(tls.ca_file, ec);
  }
  if (ec)
    throw error(make_error_code(errc::invalid_argument), "TLS: cannot load CA: " + ec.message());
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      throw error(make_error_code(errc::invalid_argument),
                  "TLS: cannot load client certificate: " + ec.message());
    }
    ctx->use_private_key_file(tls.key_file.empty() ? tls.cert_file : tls.key_file,
                              asio::ssl::context::pem, ec);
    if (ec) {
      throw error(make_error_code(errc::invalid_argument),
                  "TLS: cannot load client key: " + ec.message());
    }
  }
  ctx->set_verify_mode(tls.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return ctx;
}

stream::stream(strand_type strand, std::shared_ptr<asio::ssl::context> tls)
    : strand_(std::move(strand)), tls_ctx_(std::move(tls)) {}

asio::awaitable<error_code> stream::connect(const store_url& url, const tls_options& tls) {
  close();
  if (url.scheme == "unix") {
    auto& sock = s_.emplace<unix_socket>(strand_);
    auto [ec] =
        co_await sock.async_connect(asio::local::stream_protocol::endpoint(url.path), use_tuple);
    co_return ec;
  }
  asio::ip::tcp::resolver resolver(strand_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (rec) co_return rec;
  tcp_socket sock(strand_);
  auto [cec, ep] = co_await asio::async_connect(sock, endpoints, use_tuple);
  if (cec) co_return cec;
  sock.set_option(asio::ip::tcp::no_delay(true));
  sock.set_option(asio::socket_base::keep_alive(true));
  if (!url.tls) {
    s_.emplace<tcp_socket>(std::move(sock));
    co_return error_code{};
  }
  auto ts = std::make_unique<tls_stream>(std::move(sock), *tls_ctx_);
  const std::string& name = tls.server_name.empty() ? url.host : tls.server_name;
  // SNI only for names; IP literals are verified against the certificate's IP SANs.
  error_code addr_ec;
  asio::ip::make_address(name, addr_ec);
  if (addr_ec && !SSL_set_tlsext_host_name(ts->native_handle(), name.c_str())) {
    co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  }
  if (tls.verify_peer) ts->set_verify_callback(asio::ssl::host_name_verification(name));
  auto [hec] = co_await ts->async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) co_return hec;
  s_ = std::move(ts);
  co_return error_code{};
}

asio::awaitable<std::pair<error_code, std::size_t>> stream::read_some(asio::mutable_buffer buf) {
  std::tuple<error_code, std::size_t> r{asio::error::not_connected, 0};
  if (auto* t = std::get_if<tcp_socket>(&s_)) {
    r = co_await t->async_read_some(buf, use_tuple);
  } else if (auto* u = std::get_if<unix_socket>(&s_)) {
    r = co_await u->async_read_some(buf, use_tuple);
  } else if (auto* s = std::get_if<std::unique_ptr<tls_stream>>(&s_)) {
    r = co_await (*s)->async_read_some(buf, use_tuple);
  }
  co_return std::pair{std::get<0>(r), std::get<1>(r)};
}

asio::awaitable<std::pair<error_code, std::size_t>> stream::write(asio::const_buffer buf) {
  std::tuple<error_code, std::size_t> r{asio::error::not_connected, 0};
  if (auto* t = std::get_if<tcp_socket>(&s_)) {
    r = co_await asio::async_write(*t, buf, use_tuple);
  } else if (auto* u = std::get_if<unix_socket>(&s_)) {
    r = co_await asio::async_write(*u, buf, use_tuple);
  } else if (auto* s = std::get_if<std::unique_ptr<tls_stream>>(&s_)) {
    r = co_await asio::async_write(**s, buf, use_tuple);
  }
  co_return std::pair{std::get<0>(r), std::get<1>(r)};
}

void stream::close() noexcept {
  error_code ignored;
  if (auto* t = std::get_if<tcp_socket>(&s_)) {
    t->close(ignored);
  } else if (auto* u = std::get_if<unix_socket>(&s_)) {
    u->close(ignored);
  } else if (auto* s = std::get_if<std::unique_ptr<tls_stream>>(&s_)) {
    (*s)->lowest_layer().close(ignored);
  }
}

}  // namespace redkit::net
