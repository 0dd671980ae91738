// UTF-8 checks and a JSON string writer that never emits invalid JSON, for values that are bytes
// in the library (leaderboard player ids, names and avatars) when the HTTP API renders them.
// Pure functions: safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace redkit::http::detail {

/// The length of the well-formed UTF-8 sequence at the start of `s` (1-4), or 0 if there is
/// none there (a stray continuation byte, a truncated, overlong or surrogate sequence, or a
/// code point above U+10FFFF).
inline std::size_t utf8_sequence(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return n;
}

/// Whether `s` is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    const auto n = utf8_sequence(s);
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

/// `s` as a quoted JSON string: `"`, `\` and control characters escaped, and each byte that
/// does not start a well-formed UTF-8 sequence replaced by U+FFFD, so the result is valid JSON
/// whatever the bytes.
inline std::string json_utf8_string(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s[0]);
    const auto n = utf8_sequence(s);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      s.remove_prefix(1);
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out.append(s.data(), n);
    }
    s.remove_prefix(n);
  }
  out += '"';
  return out;
}

}  // namespace redkit::http::detail
