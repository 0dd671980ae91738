// Engine commands: the strings family (GET, SET and its options, SETNX, SETEX, PSETEX, GETSET,
// MGET, MSET, MSETNX, INCR/DECR and friends, INCRBYFLOAT, APPEND, STRLEN, GETDEL, GETEX,
// GETRANGE/SUBSTR, SETRANGE), with Redis 7.0's replies, error texts and argument checks in
// Redis's order. Runs under the engine lock.
#include "engine/engine.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

namespace redkit::engine {
namespace {

constexpr std::string_view err_string_too_long =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
constexpr std::string_view err_decrement_overflow = "ERR decrement would overflow";
constexpr std::string_view err_nan_or_inf = "ERR increment would produce NaN or Infinity";
constexpr std::string_view err_offset_range = "ERR offset is out of range";

/// Redis's proto-max-bulk-len default: the longest string APPEND and SETRANGE may build.
constexpr std::int64_t max_string_length = std::int64_t{512} * 1024 * 1024;
/// Redis's MAX_LONG_DOUBLE_CHARS: longest text INCRBYFLOAT reads or writes.
constexpr std::size_t max_long_double_chars = std::size_t{5} * 1024;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

resp::reply wrong_type() { return context::error(err::wrong_type); }

// Redis's checkStringLength: would a string of `size + append` bytes be too long?
bool too_long(std::int64_t size, std::int64_t append) {
  return append > max_string_length - size;  // both >= 0, so this cannot overflow
}

// --- SET / GETEX options ---------------------------------------------------------------------

// The flags of Redis's parseExtendedStringArgumentsOrReply.
struct ext_options {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  bool ex = false, px = false, exat = false, pxat = false;
  std::optional<std::string_view> expire;  // the EX/PX/EXAT/PXAT argument
};

// Parses SET's (is_set) or GETEX's options with Redis's exact rules: conflicting options,
// unknown words and a missing value are all "ERR syntax error"; repeats are allowed.
std::optional<resp::reply> parse_ext(const context& c, bool is_set, ext_options& f) {
  for (std::size_t j = is_set ? 3 : 2; j < c.argc(); ++j) {
    const auto opt = c.arg(j);
    const bool has_next = j + 1 < c.argc();
    const bool any_expire = f.ex || f.px || f.exat || f.pxat;
    if (is_set && iequals(opt, "nx") && !f.xx) {
      f.nx = true;
    } else if (is_set && iequals(opt, "xx") && !f.nx) {
      f.xx = true;
    } else if (is_set && iequals(opt, "get")) {
      f.get = true;
    } else if (is_set && iequals(opt, "keepttl") && !f.persist && !any_expire) {
      f.keepttl = true;
    } else if (!is_set && iequals(opt, "persist") && !any_expire && !f.keepttl) {
      f.persist = true;
    } else if (iequals(opt, "ex") && !f.keepttl && !f.persist && !f.exat && !f.px && !f.pxat &&
               has_next) {
      f.ex = true;
      f.expire = c.arg(++j);
    } else if (iequals(opt, "px") && !f.keepttl && !f.persist && !f.ex && !f.exat && !f.pxat &&
               has_next) {
      f.px = true;
      f.expire = c.arg(++j);
    } else if (iequals(opt, "exat") && !f.keepttl && !f.persist && !f.ex && !f.px && !f.pxat &&
               has_next) {
      f.exat = true;
      f.expire = c.arg(++j);
    } else if (iequals(opt, "pxat") && !f.keepttl && !f.persist && !f.ex && !f.exat && !f.px &&
               has_next) {
      f.pxat = true;
      f.expire = c.arg(++j);
    } else {
      return context::error(err::syntax);
    }
  }
  return std::nullopt;
}

// Redis's getExpireMillisecondsOrReply: the absolute expiry in ms for an EX/PX (relative) or
// EXAT/PXAT (absolute) argument; values <= 0 and overflows are "invalid expire time".
std::optional<resp::reply> expire_at_ms(const context& c, std::string_view arg, bool seconds,
                                        bool relative, std::int64_t& out) {
  std::int64_t ms = 0;
  if (!context::parse_int(arg, ms)) return context::error(err::not_integer);
  if (ms <= 0 || (seconds && ms > int64_max / 1000)) return c.invalid_expire();
  if (seconds) ms *= 1000;
  if (relative && __builtin_add_overflow(ms, c.now_ms(), &ms)) return c.invalid_expire();
  out = ms;
  return std::nullopt;
}

// --- commands --------------------------------------------------------------------------------

resp::reply get(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  return s != nullptr ? context::bulk(view(*s)) : context::nil();
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
resp::reply set(context& c) {
  ext_options f;
  if (auto e = parse_ext(c, true, f)) return *e;
  std::int64_t at = 0;
  if (f.expire) {
    if (auto e = expire_at_ms(c, *f.expire, f.ex || f.exat, f.ex || f.px, at)) return *e;
  }
  const auto key = c.arg(1);
  resp::reply reply = context::ok();
  bool found = false;
  if (f.get) {
    bool wrong = false;
    const auto* old = c.find_as<mstring>(key, wrong);
    if (wrong) return wrong_type();
    reply = old != nullptr ? context::bulk(view(*old)) : context::nil();
    found = old != nullptr;
  } else {
    found = c.find(key) != nullptr;
  }
  if ((f.nx && found) || (f.xx && !found)) return f.get ? reply : context::nil();
  c.set_string(key, c.arg(2), f.keepttl);
  // An EXAT/PXAT already past leaves the key logically expired, as on Redis 7.0.
  if (f.expire) c.set_expire(key, at);
  return reply;
}

resp::reply setnx(context& c) {
  if (c.find(c.arg(1)) != nullptr) return context::integer(0);
  c.set_string(c.arg(1), c.arg(2));
  return context::integer(1);
}

// SETEX key seconds value / PSETEX key milliseconds value.
resp::reply setex_generic(context& c, bool seconds) {
  std::int64_t at = 0;
  if (auto e = expire_at_ms(c, c.arg(2), seconds, true, at)) return *e;
  c.set_string(c.arg(1), c.arg(3));
  c.set_expire(c.arg(1), at);
  return context::ok();
}
resp::reply setex(context& c) { return setex_generic(c, true); }
resp::reply psetex(context& c) { return setex_generic(c, false); }

resp::reply getset(context& c) {
  bool wrong = false;
  const auto* old = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  auto reply = old != nullptr ? context::bulk(view(*old)) : context::nil();
  c.set_string(c.arg(1), c.arg(2));
  return reply;
}

resp::reply mget(context& c) {
  std::vector<resp::reply> out;
  out.reserve(c.argc() - 1);
  for (std::size_t i = 1; i < c.argc(); ++i) {
    bool wrong = false;
    const auto* s = c.find_as<mstring>(c.arg(i), wrong);
    out.push_back(s != nullptr ? context::bulk(view(*s)) : context::nil());
  }
  return context::array(std::move(out));
}

resp::reply mset(context& c) {
  if (c.argc() % 2 == 0) return c.arity_error();
  for (std::size_t i = 1; i < c.argc(); i += 2) c.set_string(c.arg(i), c.arg(i + 1));
  return context::ok();
}

resp::reply msetnx(context& c) {
  if (c.argc() % 2 == 0) return c.arity_error();
  for (std::size_t i = 1; i < c.argc(); i += 2) {
    if (c.find(c.arg(i)) != nullptr) return context::integer(0);
  }
  for (std::size_t i = 1; i < c.argc(); i += 2) c.set_string(c.arg(i), c.arg(i + 1));
  return context::integer(1);
}

// INCR/DECR/INCRBY/DECRBY: the stored value must be a Redis integer; the TTL stays.
resp::reply incr_by(context& c, std::int64_t incr) {
  bool wrong = false;
  auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  std::int64_t value = 0;
  if (s != nullptr && !context::parse_int(view(*s), value)) {
    return context::error(err::not_integer);
  }
  if ((incr < 0 && value < 0 && incr < int64_min - value) ||
      (incr > 0 && value > 0 && incr > int64_max - value)) {
    return context::error(err::overflow);
  }
  value += incr;
  const auto text = std::to_string(value);
  if (s != nullptr) {
    s->assign(text.data(), text.size());
  } else {
    c.set_string(c.arg(1), text);
  }
  return context::integer(value);
}

resp::reply incr(context& c) { return incr_by(c, 1); }
resp::reply decr(context& c) { return incr_by(c, -1); }

resp::reply incrby(context& c) {
  std::int64_t n = 0;
  if (!context::parse_int(c.arg(2), n)) return context::error(err::not_integer);
  return incr_by(c, n);
}

resp::reply decrby(context& c) {
  std::int64_t n = 0;
  if (!context::parse_int(c.arg(2), n)) return context::error(err::not_integer);
  if (n == int64_min) return context::error(err_decrement_overflow);
  return incr_by(c, -n);
}

// Redis's string2ld: strtold over the whole text, no leading space, no overflow, not NaN.
bool parse_long_double(std::string_view s, long double& out) {
  if (s.empty() || s.size() >= max_long_double_chars) return false;
  const std::string buf(s);
  if (std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  errno = 0;
  char* end = nullptr;
  const long double v = std::strtold(buf.c_str(), &end);
  // The whole text: Redis 7.0.15 rejects "12\0...v" (an embedded NUL), checked on the server.
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) {
    return false;
  }
  out = v;
  return true;
}

// Redis's ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros (and a bare '.') removed, and
// "-0" written "0". Precondition: v is finite.
std::string format_long_double(long double v) {
  std::array<char, max_long_double_chars> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%.17Lf", v);
  if (n <= 0 || static_cast<std::size_t>(n) >= buf.size()) return {};  // cannot happen
  auto len = static_cast<std::size_t>(n);
  if (std::memchr(buf.data(), '.', len) != nullptr) {
    while (buf[len - 1] == '0') --len;
    if (buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return {buf.data(), len};
}

// INCRBYFLOAT: long double arithmetic, the result stored as its text; the TTL stays.
resp::reply incrbyfloat(context& c) {
  bool wrong = false;
  auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  long double value = 0;
  long double incr = 0;
  if ((s != nullptr && !parse_long_double(view(*s), value)) || !parse_long_double(c.arg(2), incr)) {
    return context::error(err::not_float);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return context::error(err_nan_or_inf);
  const auto text = format_long_double(value);
  if (s != nullptr) {
    s->assign(text.data(), text.size());
  } else {
    c.set_string(c.arg(1), text);
  }
  return context::bulk(text);
}

resp::reply append(context& c) {
  bool wrong = false;
  auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  const auto tail = c.arg(2);
  if (s == nullptr) {
    c.set_string(c.arg(1), tail);
    return context::integer(static_cast<std::int64_t>(tail.size()));
  }
  if (too_long(static_cast<std::int64_t>(s->size()), static_cast<std::int64_t>(tail.size()))) {
    return context::error(err_string_too_long);
  }
  s->append(tail.data(), tail.size());
  return context::integer(static_cast<std::int64_t>(s->size()));
}

resp::reply strlen(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  return context::integer(s != nullptr ? static_cast<std::int64_t>(s->size()) : 0);
}

resp::reply getdel(context& c) {
  bool wrong = false;
  const auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (s == nullptr) return context::nil();
  auto reply = context::bulk(view(*s));
  c.remove(c.arg(1));
  return reply;
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]: a missing key is nil before the expire
// argument is even checked, as on Redis.
resp::reply getex(context& c) {
  ext_options f;
  if (auto e = parse_ext(c, false, f)) return *e;
  const auto key = c.arg(1);
  bool wrong = false;
  const auto* s = c.find_as<mstring>(key, wrong);
  if (wrong) return wrong_type();
  if (s == nullptr) return context::nil();
  std::int64_t at = 0;
  if (f.expire) {
    if (auto e = expire_at_ms(c, *f.expire, f.ex || f.exat, f.ex || f.px, at)) return *e;
  }
  auto reply = context::bulk(view(*s));
  if ((f.exat || f.pxat) && at <= c.now_ms()) {
    c.remove(key);
  } else if (f.expire) {
    c.set_expire(key, at);
  } else if (f.persist) {
    c.set_expire(key, 0);
  }
  return reply;
}

// GETRANGE key start end (and its old name SUBSTR): indexes are parsed before the lookup.
resp::reply getrange(context& c) {
  std::int64_t start = 0;
  std::int64_t end = 0;
  if (!context::parse_int(c.arg(2), start) || !context::parse_int(c.arg(3), end)) {
    return context::error(err::not_integer);
  }
  bool wrong = false;
  const auto* s = c.find_as<mstring>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (s == nullptr) return context::bulk("");
  const auto len = static_cast<std::int64_t>(s->size());
  if (start < 0 && end < 0 && start > end) return context::bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return context::bulk("");
  return context::bulk(
      view(*s).substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1)));
}

// SETRANGE key offset value: zero-pads, creates the key unless the value is empty.
resp::reply setrange(context& c) {
  std::int64_t offset = 0;
  if (!context::parse_int(c.arg(2), offset)) return context::error(err::not_integer);
  if (offset < 0) return context::error(err_offset_range);
  const auto key = c.arg(1);
  const auto value = c.arg(3);
  bool wrong = false;
  auto* s = c.find_as<mstring>(key, wrong);
  if (wrong) return wrong_type();
  if (value.empty()) {
    return context::integer(s != nullptr ? static_cast<std::int64_t>(s->size()) : 0);
  }
  if (too_long(offset, static_cast<std::int64_t>(value.size()))) {
    return context::error(err_string_too_long);
  }
  if (s == nullptr) s = c.find_or_create<mstring>(key, wrong);
  const auto at = static_cast<std::size_t>(offset);
  if (s->size() < at + value.size()) s->resize(at + value.size(), '\0');
  s->replace(at, value.size(), value.data(), value.size());
  return context::integer(static_cast<std::int64_t>(s->size()));
}

constexpr unsigned wd = cmd_write | cmd_denyoom;

constexpr std::array commands{
    command_spec{"get", 2, cmd_readonly, get},
    command_spec{"set", -3, wd, set},
    command_spec{"setnx", 3, wd, setnx},
    command_spec{"setex", 4, wd, setex},
    command_spec{"psetex", 4, wd, psetex},
    command_spec{"getset", 3, wd, getset},
    command_spec{"mget", -2, cmd_readonly, mget},
    command_spec{"mset", -3, wd, mset},
    command_spec{"msetnx", -3, wd, msetnx},
    command_spec{"incr", 2, wd, incr},
    command_spec{"decr", 2, wd, decr},
    command_spec{"incrby", 3, wd, incrby},
    command_spec{"decrby", 3, wd, decrby},
    command_spec{"incrbyfloat", 3, wd, incrbyfloat},
    command_spec{"append", 3, wd, append},
    command_spec{"strlen", 2, cmd_readonly, strlen},
    command_spec{"getdel", 2, cmd_write, getdel},
    command_spec{"getex", -2, cmd_write, getex},
    command_spec{"getrange", 4, cmd_readonly, getrange},
    command_spec{"substr", 4, cmd_readonly, getrange},
    command_spec{"setrange", 4, wd, setrange},
};

}  // namespace

std::span<const command_spec> string_commands() { return commands; }

}  // namespace redkit::engine
