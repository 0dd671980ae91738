// Shared by the patterns that call scripts (sessions, leaderboards, the job queue): reading a
// script's reply, numbers as script arguments, and random base64url text (libsodium).
// Thread-safety: pure functions.
#pragma once

#include <redkit/error.hpp>
#include <redkit/resp.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::detail {

/// The error `<pattern>: <what>`.
error pattern_error(errc code, std::string_view pattern, std::string_view what);

/// A script reply's elements, integer or string; anything else raises errc::unexpected_reply
/// as "<pattern>: unexpected reply from a <pattern> script".
const std::vector<resp::reply>& reply_array(const resp::reply& r, std::string_view pattern);
std::int64_t reply_integer(const resp::reply& r, std::string_view pattern);
const std::string& reply_string(const resp::reply& r, std::string_view pattern);

/// `n` in decimal (a script argument).
std::string decimal(std::int64_t n);
/// Appends `n` in decimal to `out` (no allocation of its own).
template <std::integral T>
void append_decimal(std::string& out, T n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

/// A time from milliseconds since the epoch (scripts' TIME-based stamps).
inline std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}
/// Milliseconds since the epoch of `t` (from_unix_ms's inverse; the HTTP API's times).
inline std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Binary data in base64url without padding.
std::string base64url(const unsigned char* data, std::size_t n);
/// `bytes` (at most 32) from libsodium's CSPRNG, in base64url.
std::string random_base64url(std::size_t bytes);

}  // namespace redkit::detail
