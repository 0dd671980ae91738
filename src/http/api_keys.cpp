// API keys of the /v1 service API: kept as digests, compared in constant time.
#include <redkit/error.hpp>
#include <redkit/http_api.hpp>
#include <redkit/session_http.hpp>

#include <boost/beast/http/field.hpp>

#include <sodium.h>

namespace redkit::http {
namespace {

std::string digest(std::string_view key) {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return out;
}

}  // namespace

api_keys::api_keys(const std::vector<std::string>& keys) {
  if (sodium_init() < 0) throw error(make_error_code(errc::invalid_argument), "libsodium init");
  for (const auto& k : keys) {
    if (k.size() < 16 || k.size() > 256) {
      throw error(make_error_code(errc::invalid_argument),
                  "an API key must be 16 to 256 bytes (got " + std::to_string(k.size()) + ")");
    }
    digests_.push_back(digest(k));
  }
}

bool api_keys::contains(std::string_view key) const noexcept {
  const auto d = digest(key);
  bool found = false;
  for (const auto& known : digests_) {
    found |= sodium_memcmp(known.data(), d.data(), d.size()) == 0;
  }
  return found;
}

handler api_keys::guard(handler h) const {
  if (empty()) return h;
  return [self = *this, h = std::move(h)](const request& req,
                                          request_context& ctx) -> asio::awaitable<response> {
    const auto token = session::bearer_token(req[bhttp::field::authorization]);
    if (!token || !self.contains(*token)) {
      auto res = problem(bhttp::status::unauthorized,
                         "the service API needs Authorization: Bearer <API key>", req.version());
      res.set(bhttp::field::www_authenticate, session::www_authenticate_challenge());
      co_return res;
    }
    co_return co_await h(req, ctx);
  };
}

}  // namespace redkit::http
