// Engine commands: the hashes family (HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HDEL, HLEN,
// HEXISTS, HINCRBY, HINCRBYFLOAT, HKEYS, HVALS, HSTRLEN, HRANDFIELD, HSCAN), with Redis 7.0's
// replies, reply shapes and error texts.
// Thread-safety: the commands run under the engine lock (see engine.hpp).
#include "engine/engine.hpp"
#include "engine/sampling.hpp"
#include "engine/scan.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace redkit::engine {
namespace {

constexpr std::string_view err_hash_not_integer = "ERR hash value is not an integer";
constexpr std::string_view err_hash_not_float = "ERR hash value is not a float";
constexpr std::string_view err_incr_not_finite = "ERR value is NaN or Infinity";
constexpr std::string_view err_result_not_finite = "ERR increment would produce NaN or Infinity";
constexpr std::string_view err_count_range =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr std::string_view err_out_of_range = "ERR value is out of range";

/// Redis's MAX_LONG_DOUBLE_CHARS: longest accepted long double text, and its output buffer.
constexpr std::size_t max_long_double_chars = std::size_t{5} * 1024;

/// Redis's string2ld: strtold over the whole text (an embedded NUL makes it invalid, as
/// redis-server 7.0.15 answers), no leading space, not NaN, no overflow.
bool string_to_ld(std::string_view s, long double& out) {
  if (s.empty() || s.size() >= max_long_double_chars) return false;
  const std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(buf.c_str(), &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || end != buf.c_str() + buf.size() ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) || std::isnan(v)) {
    return false;
  }
  out = v;
  return true;
}

/// Redis's ld2string(LD_STR_HUMAN), used by HINCRBYFLOAT and INCRBYFLOAT: "%.17Lf" with the
/// trailing zeros (and a bare '.') removed, and "-0" written "0". `v` is finite.
std::string ld_to_string_human(long double v) {
  std::array<char, max_long_double_chars> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%.17Lf", v);
  if (n < 0 || static_cast<std::size_t>(n) + 1 > buf.size()) return {};
  std::string_view s(buf.data(), static_cast<std::size_t>(n));
  if (s.find('.') != std::string_view::npos) {
    while (s.back() == '0') s.remove_suffix(1);
    if (s.back() == '.') s.remove_suffix(1);
  }
  if (s == "-0") return "0";
  return std::string(s);
}

/// Sets `field` to `value`; true if the field is new.
bool set_field(hash_value& h, std::string_view field, std::string_view value) {
  if (auto it = h.find(field); it != h.end()) {
    it->second.assign(value.data(), value.size());
    return false;
  }
  h.emplace(to_m(field), to_m(value));
  return true;
}

// --- random fields (HRANDFIELD) ---------------------------------------------------------------

using hash_slot = hash_value::value_type;

const hash_slot& random_slot(const hash_value& h, std::mt19937_64& rng) {
  return random_element(h, rng);
}

std::vector<const hash_slot*> random_slots(const hash_value& h, std::size_t count, bool distinct,
                                           std::mt19937_64& rng) {
  return random_elements(h, count, distinct, rng);
}

// --- commands ---------------------------------------------------------------------------------

/// HSET key field value [field value ...] / HMSET: the number of new fields, or OK for HMSET.
resp::reply hset_generic(context& c, bool hmset) {
  if (c.argc() % 2 != 0) return c.arity_error();
  bool wrong = false;
  auto* h = c.find_or_create<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::int64_t added = 0;
  for (std::size_t i = 2; i < c.argc(); i += 2) {
    if (set_field(*h, c.arg(i), c.arg(i + 1))) ++added;
  }
  return hmset ? context::ok() : context::integer(added);
}

resp::reply hset(context& c) { return hset_generic(c, false); }
resp::reply hmset(context& c) { return hset_generic(c, true); }

resp::reply hsetnx(context& c) {
  bool wrong = false;
  auto* h = c.find_or_create<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h->find(c.arg(2)) != h->end()) return context::integer(0);
  h->emplace(to_m(c.arg(2)), to_m(c.arg(3)));
  return context::integer(1);
}

resp::reply hget(context& c) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h == nullptr) return context::nil();
  auto it = h->find(c.arg(2));
  return it == h->end() ? context::nil() : context::bulk(view(it->second));
}

resp::reply hmget(context& c) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::vector<resp::reply> out;
  out.reserve(c.argc() - 2);
  for (std::size_t i = 2; i < c.argc(); ++i) {
    if (h == nullptr) {
      out.push_back(context::nil());
      continue;
    }
    auto it = h->find(c.arg(i));
    out.push_back(it == h->end() ? context::nil() : context::bulk(view(it->second)));
  }
  return context::array(std::move(out));
}

resp::reply hdel(context& c) {
  bool wrong = false;
  auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h == nullptr) return context::integer(0);
  std::int64_t deleted = 0;
  for (std::size_t i = 2; i < c.argc(); ++i) {
    if (auto it = h->find(c.arg(i)); it != h->end()) {
      h->erase(it);
      ++deleted;
    }
  }
  c.remove_if_empty(c.arg(1));
  return context::integer(deleted);
}

resp::reply hlen(context& c) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return context::integer(h == nullptr ? 0 : static_cast<std::int64_t>(h->size()));
}

resp::reply hexists(context& c) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  return context::integer(h != nullptr && h->find(c.arg(2)) != h->end() ? 1 : 0);
}

resp::reply hstrlen(context& c) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h == nullptr) return context::integer(0);
  auto it = h->find(c.arg(2));
  return context::integer(it == h->end() ? 0 : static_cast<std::int64_t>(it->second.size()));
}

/// HGETALL (a map of fields and values), HKEYS and HVALS (arrays).
resp::reply hgetall_generic(context& c, bool fields, bool values) {
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::vector<resp::reply> out;
  if (h != nullptr) {
    out.reserve(h->size() * ((fields ? 1 : 0) + (values ? 1 : 0)));
    for (const auto& [f, v] : *h) {
      if (fields) out.push_back(context::bulk(view(f)));
      if (values) out.push_back(context::bulk(view(v)));
    }
  }
  return fields && values ? c.map(std::move(out)) : context::array(std::move(out));
}

resp::reply hgetall(context& c) { return hgetall_generic(c, true, true); }
resp::reply hkeys(context& c) { return hgetall_generic(c, true, false); }
resp::reply hvals(context& c) { return hgetall_generic(c, false, true); }

resp::reply hincrby(context& c) {
  std::int64_t incr = 0;
  if (!context::parse_int(c.arg(3), incr)) return context::error(err::not_integer);
  bool wrong = false;
  auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  std::int64_t value = 0;
  if (h != nullptr) {
    if (auto it = h->find(c.arg(2));
        it != h->end() && !context::parse_int(view(it->second), value)) {
      return context::error(err_hash_not_integer);
    }
  }
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  if ((incr < 0 && value < 0 && incr < min - value) ||
      (incr > 0 && value > 0 && incr > max - value)) {
    return context::error(err::overflow);
  }
  value += incr;
  if (h == nullptr) h = c.find_or_create<hash_value>(c.arg(1), wrong);
  set_field(*h, c.arg(2), std::to_string(value));
  return context::integer(value);
}

resp::reply hincrbyfloat(context& c) {
  long double incr = 0;
  if (!string_to_ld(c.arg(3), incr)) return context::error(err::not_float);
  if (std::isinf(incr)) return context::error(err_incr_not_finite);
  bool wrong = false;
  auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  long double value = 0;
  if (h != nullptr) {
    if (auto it = h->find(c.arg(2)); it != h->end() && !string_to_ld(view(it->second), value)) {
      return context::error(err_hash_not_float);
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return context::error(err_result_not_finite);
  const std::string text = ld_to_string_human(value);
  if (h == nullptr) h = c.find_or_create<hash_value>(c.arg(1), wrong);
  set_field(*h, c.arg(2), text);
  return context::bulk(text);
}

/// HRANDFIELD key [count [WITHVALUES]]: one field (or nil), or an array of `count` distinct
/// fields (count >= 0) or of |count| fields with repeats (count < 0). WITHVALUES pairs each
/// field with its value: flat in RESP2, [field, value] arrays in RESP3.
resp::reply hrandfield(context& c) {
  if (c.argc() == 2) {
    bool wrong = false;
    const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
    if (wrong) return context::error(err::wrong_type);
    if (h == nullptr) return context::nil();
    return context::bulk(view(random_slot(*h, c.rng()).first));
  }
  std::int64_t l = 0;
  if (!context::parse_int(c.arg(2), l)) return context::error(err::not_integer);
  if (l == std::numeric_limits<std::int64_t>::min()) return context::error(err_count_range);
  if (c.argc() > 4 || (c.argc() == 4 && !iequals(c.arg(3), "withvalues"))) {
    return context::error(err::syntax);
  }
  const bool withvalues = c.argc() == 4;
  constexpr auto half = std::numeric_limits<std::int64_t>::max() / 2;
  if (withvalues && (l < -half || l > half)) return context::error(err_out_of_range);

  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h == nullptr || l == 0) return context::array({});
  const bool distinct = l > 0;
  const auto count = static_cast<std::size_t>(distinct ? l : -l);

  std::vector<const hash_slot*> picked;
  if (distinct && count >= h->size()) {
    picked.reserve(h->size());
    for (const auto& slot : *h) picked.push_back(&slot);
  } else {
    picked = random_slots(*h, count, distinct, c.rng());
  }
  std::vector<resp::reply> out;
  out.reserve(picked.size() * (withvalues && !c.resp3 ? 2 : 1));
  for (const auto* slot : picked) {
    if (!withvalues) {
      out.push_back(context::bulk(view(slot->first)));
    } else if (c.resp3) {
      out.push_back(
          context::array({context::bulk(view(slot->first)), context::bulk(view(slot->second))}));
    } else {
      out.push_back(context::bulk(view(slot->first)));
      out.push_back(context::bulk(view(slot->second)));
    }
  }
  return context::array(std::move(out));
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, [field, value, ...]], MATCH
/// testing the fields (see scan.hpp for the cursor).
resp::reply hscan(context& c) {
  std::uint64_t cursor = 0;
  if (!scan_parse_cursor(c.arg(2), cursor)) return context::error(err_invalid_cursor);
  bool wrong = false;
  const auto* h = c.find_as<hash_value>(c.arg(1), wrong);
  if (wrong) return context::error(err::wrong_type);
  if (h == nullptr) return scan_reply(0, {});  // Redis answers before reading the options
  scan_options opts;
  if (auto e = scan_parse_options(c, 3, false, opts)) return *e;
  std::vector<resp::reply> out;
  const auto next = scan_step(
      *h, cursor, opts.count,
      [&](const hash_slot& slot) {
        if (!opts.matches(view(slot.first))) return;
        out.push_back(context::bulk(view(slot.first)));
        out.push_back(context::bulk(view(slot.second)));
      },
      2);
  return scan_reply(next, std::move(out));
}

constexpr std::array commands{
    command_spec{"hset", -4, cmd_write | cmd_denyoom, hset},
    command_spec{"hmset", -4, cmd_write | cmd_denyoom, hmset},
    command_spec{"hsetnx", 4, cmd_write | cmd_denyoom, hsetnx},
    command_spec{"hget", 3, cmd_readonly, hget},
    command_spec{"hmget", -3, cmd_readonly, hmget},
    command_spec{"hgetall", 2, cmd_readonly, hgetall},
    command_spec{"hdel", -3, cmd_write, hdel},
    command_spec{"hlen", 2, cmd_readonly, hlen},
    command_spec{"hexists", 3, cmd_readonly, hexists},
    command_spec{"hincrby", 4, cmd_write | cmd_denyoom, hincrby},
    command_spec{"hincrbyfloat", 4, cmd_write | cmd_denyoom, hincrbyfloat},
    command_spec{"hkeys", 2, cmd_readonly, hkeys},
    command_spec{"hvals", 2, cmd_readonly, hvals},
    command_spec{"hstrlen", 3, cmd_readonly, hstrlen},
    command_spec{"hrandfield", -2, cmd_readonly, hrandfield},
    command_spec{"hscan", -3, cmd_readonly, hscan},
};

}  // namespace

std::span<const command_spec> hash_commands() { return commands; }

}  // namespace redkit::engine
