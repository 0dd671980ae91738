// Native scripts: the registry and the Lua conversions (see native_scripts.hpp).
#include "engine/native_scripts.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace redkit::engine {
namespace {

// A handful of natives exist: a fixed table scanned linearly is the fastest lookup, and
// lock-free for readers (an entry is complete before `count` publishes it).
struct registry {
  static constexpr std::size_t capacity = 32;
  struct slot {
    std::array<char, 40> sha{};
    std::atomic<native_script> fn{nullptr};
  };
  std::array<slot, capacity> slots;
  std::atomic<std::size_t> count{0};
  std::mutex write_mu;
};

registry& the_registry() {
  static registry r;
  return r;
}

}  // namespace

void register_native_script(std::string_view sha, native_script fn) {
  if (sha.size() != 40) throw std::invalid_argument("native script: a SHA-1 has 40 hex digits");
  auto& r = the_registry();
  std::lock_guard lock(r.write_mu);
  const std::size_t n = r.count.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::string_view(r.slots[i].sha.data(), 40) == sha) {
      r.slots[i].fn.store(fn, std::memory_order_release);
      return;
    }
  }
  if (n == registry::capacity) throw std::length_error("native script: registry full");
  std::memcpy(r.slots[n].sha.data(), sha.data(), 40);
  r.slots[n].fn.store(fn, std::memory_order_relaxed);
  r.count.store(n + 1, std::memory_order_release);
}

native_script find_native_script(std::string_view sha) noexcept {
  if (sha.size() != 40) return nullptr;
  auto& r = the_registry();
  const std::size_t n = r.count.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::memcmp(r.slots[i].sha.data(), sha.data(), 40) == 0) {
      return r.slots[i].fn.load(std::memory_order_acquire);
    }
  }
  return nullptr;
}

resp::reply native_call_error(std::string_view sha, std::string_view error, int line) {
  // redis.call turns the error reply into {err = "<CODE> <message>"} (luaPushErrorBuff), the
  // error handler adds where it was raised, and the run's reply says so (scripting.cpp).
  error = error.substr(0, error.find('\0'));
  std::string code = "ERR";
  std::string msg;
  if (const auto space = error.find(' '); space == std::string_view::npos) {
    msg = error;
  } else {
    code = error.substr(0, space);
    msg = error.substr(space + 1);
  }
  if (const auto first = msg.find_first_not_of("\r\n"); first == std::string::npos) {
    msg.clear();
  } else {
    msg = msg.substr(first, msg.find_last_not_of("\r\n") - first + 1);
  }
  std::string text = code + " " + msg + " script: " + std::string(sha) +
                     ", on @user_script:" + std::to_string(line) + ".";
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return resp::reply::make_error(std::move(text));
}

namespace lua {

bool to_number(std::string_view s, double& out) noexcept {
  s = s.substr(0, s.find('\0'));  // Lua reads the string as a C string
  // Decimal integers up to 2^53 (what scripts store): exact, as strtod gives them.
  if (!s.empty() && s.size() <= 17) {
    const bool negative = s[0] == '-';
    std::size_t i = negative ? 1 : 0;
    if (i < s.size()) {
      std::uint64_t v = 0;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + (s[i] - '0');
      if (i == s.size() && v <= (std::uint64_t{1} << 53)) {
        // strtod gives -0.0 for "-0", as negating 0.0 does.
        out = negative ? -static_cast<double>(v) : static_cast<double>(v);
        return true;
      }
    }
  }
  char small[64];
  std::string large;
  const char* text = small;
  if (s.size() < sizeof small) {
    std::memcpy(small, s.data(), s.size());
    small[s.size()] = '\0';
  } else {
    large.assign(s);
    text = large.c_str();
  }
  // luaO_str2d.
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text) return false;
  if (*end == 'x' || *end == 'X') v = static_cast<double>(std::strtoul(text, &end, 16));
  while (*end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (*end != '\0') return false;
  out = v;
  return true;
}

std::string_view redis_arg(double d, number_buffer& buf) noexcept {
  // Integral values below 2^53 print as their digits under %.17g (-0.0 prints "-0").
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0 && !(d == 0 && std::signbit(d))) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d));
    return {buf, static_cast<std::size_t>(end - buf)};
  }
  const int n = std::snprintf(buf, sizeof buf, "%.17g", d);
  return {buf, static_cast<std::size_t>(n)};
}

std::string_view to_string(double d, number_buffer& buf) noexcept {
  if (d == std::trunc(d) && std::fabs(d) < 1e14 && !(d == 0 && std::signbit(d))) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d));
    return {buf, static_cast<std::size_t>(end - buf)};
  }
  const int n = std::snprintf(buf, sizeof buf, "%.14g", d);
  return {buf, static_cast<std::size_t>(n)};
}

std::int64_t to_integer(double d) noexcept {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<std::int64_t>(d);
}

}  // namespace lua

}  // namespace redkit::engine
