// See script_reply.hpp.
#include "script_reply.hpp"

#include <fmt/core.h>
#include <sodium.h>

#include <array>
#include <charconv>

namespace redkit::detail {

error pattern_error(errc code, std::string_view pattern, std::string_view what) {
  return error(make_error_code(code), fmt::format("{}: {}", pattern, what));
}

namespace {
[[noreturn]] void bad_reply(std::string_view pattern) {
  throw pattern_error(errc::unexpected_reply, pattern,
                      fmt::format("unexpected reply from a {} script", pattern));
}
}  // namespace

const std::vector<resp::reply>& reply_array(const resp::reply& r, std::string_view pattern) {
  if (!r.is_aggregate()) bad_reply(pattern);
  return r.elements;
}

std::int64_t reply_integer(const resp::reply& r, std::string_view pattern) {
  if (r.type != resp::type::integer) bad_reply(pattern);
  return r.integer;
}

const std::string& reply_string(const resp::reply& r, std::string_view pattern) {
  if (!r.is_string()) bad_reply(pattern);
  return r.string;
}

std::string decimal(std::int64_t n) {
  char buf[24];
  return {buf, std::to_chars(buf, buf + sizeof buf, n).ptr};
}

std::string base64url(const unsigned char* data, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string random_base64url(std::size_t bytes) {
  static const int ok = sodium_init();
  if (ok < 0) throw error(make_error_code(errc::invalid_argument), "libsodium failed to start");
  std::array<unsigned char, 32> buf{};
  randombytes_buf(buf.data(), std::min(bytes, buf.size()));
  auto text = base64url(buf.data(), std::min(bytes, buf.size()));
  sodium_memzero(buf.data(), buf.size());
  return text;
}

}  // namespace redkit::detail
