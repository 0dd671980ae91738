// Engine commands: the sorted-sets family (ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
// ZREVRANK, ZRANGE, ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
// ZREVRANGEBYLEX, ZCOUNT, ZLEXCOUNT, ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX, ZPOPMIN,
// ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZUNION, ZINTER,
// ZDIFF, ZINTERCARD) with Redis 7.0's replies, errors and order of checks (which argument errors
// win over a missing key or a wrong type), following t_zset.c.
//
// The blocking variants (BZPOPMIN, BZPOPMAX, BZMPOP) are not here: they need a waiting
// mechanism outside the command table.
#include "engine/engine.hpp"
#include "engine/scan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace redkit::engine {
namespace {

// Redis's texts for this family.
constexpr std::string_view err_nan = "ERR resulting score is not a number (NaN)";
constexpr std::string_view err_xx_nx = "ERR XX and NX options at the same time are not compatible";
constexpr std::string_view err_gt_lt_nx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
constexpr std::string_view err_incr_pair =
    "ERR INCR option supports a single increment-element pair";
constexpr std::string_view err_score_range = "ERR min or max is not a float";
constexpr std::string_view err_lex_range = "ERR min or max not valid string range item";
constexpr std::string_view err_limit_rank =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
constexpr std::string_view err_withscores_lex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
constexpr std::string_view err_positive = "ERR value is out of range, must be positive";
constexpr std::string_view err_weight = "ERR weight value is not a float";
constexpr std::string_view err_limit_negative = "ERR LIMIT can't be negative";
constexpr std::string_view err_numkeys = "ERR numkeys should be greater than 0";
constexpr std::string_view err_count = "ERR count should be greater than 0";
constexpr std::string_view err_out_of_range = "ERR value is out of range";
constexpr std::int64_t max_random_reply = 0xFFFFFFFFLL;
constexpr std::string_view err_randmember_range =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";

using iterator = zset::iterator;

resp::reply wrong_type() { return context::error(err::wrong_type); }
resp::reply syntax_error() { return context::error(err::syntax); }
resp::reply empty_array() { return context::array({}); }

/// Redis's getPositiveLongFromObjectOrReply: 0..LONG_MAX, one message for every failure.
bool parse_positive(std::string_view s, std::int64_t& out) {
  return context::parse_int(s, out) && out >= 0;
}

// ---------------------------------------------------------------------------------------------
// Reply building: a member, optionally with its score. WITHSCORES replies are flat in RESP2 and
// [member, score] pairs in RESP3.

void push_member(context& c, std::vector<resp::reply>& out, std::string_view member, double score,
                 bool withscores) {
  if (!withscores) {
    out.push_back(context::bulk(member));
  } else if (c.resp3) {
    out.push_back(context::array({context::bulk(member), c.dbl(score)}));
  } else {
    out.push_back(context::bulk(member));
    out.push_back(c.dbl(score));
  }
}

// ---------------------------------------------------------------------------------------------
// Score ranges (zslParseRange): strtod over the C string, "(" for exclusive, NaN refused. Like
// Redis this accepts what strtod accepts (leading spaces, hex, "", "inf").

struct score_range {
  double min = 0, max = 0;
  bool minex = false, maxex = false;

  bool gte_min(double v) const noexcept { return minex ? v > min : v >= min; }
  bool lte_max(double v) const noexcept { return maxex ? v < max : v <= max; }
};

bool parse_score_bound(std::string_view s, double& v, bool& ex) {
  std::string buf(s);
  const char* p = buf.c_str();
  ex = false;
  if (*p == '(') {
    ++p;
    ex = true;
  }
  char* end = nullptr;
  v = std::strtod(p, &end);
  return *end == '\0' && !std::isnan(v);
}

bool parse_score_range(std::string_view min, std::string_view max, score_range& r) {
  return parse_score_bound(min, r.min, r.minex) && parse_score_bound(max, r.max, r.maxex);
}

/// First node in the range, or end().
iterator first_in_range(const zset& z, const score_range& r) {
  auto it = z.score_lower(r.min, r.minex);
  if (it == z.end() || !r.lte_max(it->score)) return z.end();
  return it;
}

/// Last node in the range, or end().
iterator last_in_range(const zset& z, const score_range& r) {
  auto it = z.score_upper(r.max, r.maxex);
  if (it == z.begin()) return z.end();
  --it;
  if (!r.gte_min(it->score)) return z.end();
  return it;
}

// ---------------------------------------------------------------------------------------------
// Lex ranges (zslParseLexRange): "-" and "+" are the extremes, "[x" inclusive, "(x" exclusive.

struct lex_bound {
  enum kind_t { minus, plus, value } kind = value;
  std::string_view text;
  bool ex = false;
};

struct lex_range {
  lex_bound min, max;

  bool gte_min(std::string_view v) const noexcept {
    if (min.kind == lex_bound::minus) return true;
    if (min.kind == lex_bound::plus) return false;
    return min.ex ? v > min.text : v >= min.text;
  }
  bool lte_max(std::string_view v) const noexcept {
    if (max.kind == lex_bound::plus) return true;
    if (max.kind == lex_bound::minus) return false;
    return max.ex ? v < max.text : v <= max.text;
  }
  /// Ranges that are always empty (sdscmplex(min, max) > 0, or == 0 with an exclusive end).
  bool always_empty() const noexcept {
    int cmp = 0;
    if (min.kind != lex_bound::value && min.kind == max.kind) {
      cmp = 0;
    } else if (min.kind == lex_bound::minus || max.kind == lex_bound::plus) {
      cmp = -1;
    } else if (min.kind == lex_bound::plus || max.kind == lex_bound::minus) {
      cmp = 1;
    } else {
      cmp = min.text.compare(max.text);
    }
    return cmp > 0 || (cmp == 0 && (min.ex || max.ex));
  }
};

bool parse_lex_bound(std::string_view s, lex_bound& b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      // Redis checks the byte after the sign against the C string's terminator.
      if (s.size() > 1 && s[1] != '\0') return false;
      b = {s[0] == '+' ? lex_bound::plus : lex_bound::minus, {}, true};
      return true;
    case '(':
    case '[':
      b = {lex_bound::value, s.substr(1), s[0] == '('};
      return true;
    default:
      return false;
  }
}

bool parse_lex_range(std::string_view min, std::string_view max, lex_range& r) {
  return parse_lex_bound(min, r.min) && parse_lex_bound(max, r.max);
}

/// zslIsInLexRange / zzlIsInLexRange: some node may be in the range.
bool lex_may_match(const zset& z, const lex_range& r) {
  if (r.always_empty() || z.empty()) return false;
  return r.gte_min(z.rbegin()->name()) && r.lte_max(z.begin()->name());
}

// Lex ranges assume equal scores (members then ascend in tree order). A listpack-sized set is
// searched linearly, as Redis's listpack code does, so even mixed scores give Redis's answer;
// a larger one by binary search, as Redis's skiplist does.

/// First node in the range, or end().
iterator first_in_lex(const zset& z, const lex_range& r) {
  if (!lex_may_match(z, r)) return z.end();
  iterator it;
  if (z.listpack()) {
    it = std::find_if(z.begin(), z.end(), [&](const zset::node& n) { return r.gte_min(n.name()); });
  } else if (r.min.kind == lex_bound::minus) {
    it = z.begin();
  } else if (r.min.kind == lex_bound::plus) {
    it = z.end();
  } else {
    it = z.member_lower(r.min.text, r.min.ex);
  }
  if (it == z.end() || !r.lte_max(it->name())) return z.end();
  return it;
}

/// Last node in the range, or end().
iterator last_in_lex(const zset& z, const lex_range& r) {
  if (!lex_may_match(z, r)) return z.end();
  iterator it;
  if (z.listpack()) {
    auto rit = std::find_if(z.rbegin(), z.rend(),
                            [&](const zset::node& n) { return r.lte_max(n.name()); });
    if (rit == z.rend()) return z.end();
    it = std::prev(rit.base());
  } else {
    iterator after;  // first node past the range's upper end
    if (r.max.kind == lex_bound::plus) {
      after = z.end();
    } else if (r.max.kind == lex_bound::minus) {
      after = z.begin();
    } else {
      after = z.member_lower(r.max.text, !r.max.ex);
    }
    if (after == z.begin()) return z.end();
    it = std::prev(after);
  }
  if (!r.gte_min(it->name())) return z.end();
  return it;
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY (zaddGenericCommand + zsetAdd)

enum zadd_flags : unsigned {
  zadd_nx = 1,
  zadd_xx = 2,
  zadd_gt = 4,
  zadd_lt = 8,
  zadd_incr = 16,
};

resp::reply zadd_generic(context& c, unsigned flags) {
  const auto key = c.arg(1);
  bool ch = false;
  std::size_t idx = 2;
  for (; idx < c.argc(); ++idx) {
    const auto opt = c.arg(idx);
    if (iequals(opt, "nx")) {
      flags |= zadd_nx;
    } else if (iequals(opt, "xx")) {
      flags |= zadd_xx;
    } else if (iequals(opt, "ch")) {
      ch = true;
    } else if (iequals(opt, "incr")) {
      flags |= zadd_incr;
    } else if (iequals(opt, "gt")) {
      flags |= zadd_gt;
    } else if (iequals(opt, "lt")) {
      flags |= zadd_lt;
    } else {
      break;
    }
  }
  const bool incr = flags & zadd_incr, nx = flags & zadd_nx, xx = flags & zadd_xx,
             gt = flags & zadd_gt, lt = flags & zadd_lt;
  std::size_t elements = c.argc() - idx;
  if (elements % 2 != 0 || elements == 0) return syntax_error();
  elements /= 2;
  if (nx && xx) return context::error(err_xx_nx);
  if ((gt && nx) || (lt && nx) || (gt && lt)) return context::error(err_gt_lt_nx);
  if (incr && elements > 1) return context::error(err_incr_pair);

  std::vector<double> scores(elements);
  for (std::size_t j = 0; j < elements; ++j) {
    if (!context::parse_double(c.arg(idx + j * 2), scores[j])) {
      return context::error(err::not_float);
    }
  }

  bool wrong = false;
  zset* z = c.find_as<zset>(key, wrong);
  if (wrong) return wrong_type();
  std::int64_t added = 0, updated = 0, processed = 0;
  double score = 0;
  if (z == nullptr && !xx) z = c.find_or_create<zset>(key, wrong);
  if (z != nullptr) {
    for (std::size_t j = 0; j < elements; ++j) {
      score = scores[j];
      const auto member = c.arg(idx + 1 + j * 2);
      const std::size_t h = zset::hash(member);
      if (const zset::node* n = z->find(member, h)) {
        if (nx) continue;  // no-op
        const double cur = n->score;
        if (incr) {
          score += cur;
          if (std::isnan(score)) {
            c.remove_if_empty(key);
            return context::error(err_nan);
          }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;  // no-op
        ++processed;
        if (score != cur) {
          z->set_score(n, score);
          ++updated;
        }
      } else if (!xx) {
        z->insert(member, score, h);
        ++added;
        ++processed;
      }
    }
    c.remove_if_empty(key);
  }
  if (incr) return processed != 0 ? c.dbl(score) : context::nil();
  return context::integer(ch ? added + updated : added);
}

resp::reply zadd(context& c) { return zadd_generic(c, 0); }
resp::reply zincrby(context& c) { return zadd_generic(c, zadd_incr); }

// ---------------------------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK

resp::reply zrem(context& c) {
  const auto key = c.arg(1);
  bool wrong = false;
  zset* z = c.find_as<zset>(key, wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::integer(0);
  std::int64_t deleted = 0;
  for (std::size_t j = 2; j < c.argc(); ++j) {
    if (z->erase(c.arg(j))) ++deleted;
    if (z->empty()) break;
  }
  c.remove_if_empty(key);
  return context::integer(deleted);
}

resp::reply zcard(context& c) {
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  return context::integer(z == nullptr ? 0 : static_cast<std::int64_t>(z->size()));
}

resp::reply zscore(context& c) {
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::nil();
  const zset::node* n = z->find(c.arg(2));
  return n == nullptr ? context::nil() : c.dbl(n->score);
}

resp::reply zmscore(context& c) {
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  std::vector<resp::reply> out;
  out.reserve(c.argc() - 2);
  for (std::size_t j = 2; j < c.argc(); ++j) {
    const zset::node* n = z == nullptr ? nullptr : z->find(c.arg(j));
    out.push_back(n == nullptr ? context::nil() : c.dbl(n->score));
  }
  return context::array(std::move(out));
}

resp::reply zrank_generic(context& c, bool reverse) {
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::nil();
  const zset::node* n = z->find(c.arg(2));
  if (n == nullptr) return context::nil();
  const auto rank = z->rank(z->iterator_to(n));
  return context::integer(static_cast<std::int64_t>(reverse ? z->size() - 1 - rank : rank));
}

resp::reply zrank(context& c) { return zrank_generic(c, false); }
resp::reply zrevrank(context& c) { return zrank_generic(c, true); }

// ---------------------------------------------------------------------------------------------
// ZRANGE and friends (zrangeGenericCommand)

enum class range_kind { automatic, rank, score, lex };
enum class direction { automatic, forward, reverse };

/// Where a range goes: the reply, or the set ZRANGESTORE builds.
struct range_sink {
  explicit range_sink(context& ctx) : c(ctx) {}

  context& c;
  bool withscores = false;
  zset* store = nullptr;
  std::vector<resp::reply> out;
  std::int64_t count = 0;

  void emit(const zset::node& n) {
    ++count;
    if (store != nullptr) {
      store->insert(n.name(), n.score);
    } else {
      push_member(c, out, n.name(), n.score, withscores);
    }
  }
};

void range_by_rank(const zset& z, std::int64_t start, std::int64_t end, bool reverse,
                   range_sink& sink) {
  const auto llen = static_cast<std::int64_t>(z.size());
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return;
  if (end >= llen) end = llen - 1;
  std::int64_t rangelen = end - start + 1;
  // ZRANGESTORE knows a rank range's length up front, and Redis then creates the destination
  // as a skiplist when that many members would not fit a listpack.
  if (sink.store != nullptr && rangelen > static_cast<std::int64_t>(zset::listpack_max_entries)) {
    sink.store->convert_to_skiplist();
  }
  if (reverse) {
    auto it = z.nth(static_cast<std::size_t>(llen - 1 - start));
    while (rangelen-- > 0) {
      sink.emit(*it);
      if (it != z.begin()) --it;
    }
  } else {
    auto it = z.nth(static_cast<std::size_t>(start));
    while (rangelen-- > 0) sink.emit(*it++);
  }
}

/// Skips `offset` nodes from `it` in the iteration direction without range checks, as Redis
/// does; end() when that runs off the set (a negative offset always does).
iterator skip(const zset& z, iterator it, std::int64_t offset, bool reverse) {
  if (it == z.end() || offset == 0) return it;
  if (offset < 0) return z.end();
  const auto r = static_cast<std::int64_t>(z.rank(it));
  const auto pos = reverse ? r - offset : r + offset;
  if (pos < 0 || pos >= static_cast<std::int64_t>(z.size())) return z.end();
  return z.nth(static_cast<std::size_t>(pos));
}

/// Emits from `it` while `in_range` holds and `limit` lasts (a negative limit never ends).
template <typename InRange>
void emit_run(const zset& z, iterator it, std::int64_t limit, bool reverse, InRange in_range,
              range_sink& sink) {
  while (it != z.end() && limit-- != 0) {
    if (!in_range(*it)) break;
    sink.emit(*it);
    if (reverse) {
      if (it == z.begin()) break;
      --it;
    } else {
      ++it;
    }
  }
}

void range_by_score(const zset& z, const score_range& r, std::int64_t offset, std::int64_t limit,
                    bool reverse, range_sink& sink) {
  if (offset > 0 && offset >= static_cast<std::int64_t>(z.size())) return;
  auto it = reverse ? last_in_range(z, r) : first_in_range(z, r);
  it = skip(z, it, offset, reverse);
  emit_run(
      z, it, limit, reverse,
      [&](const zset::node& n) { return reverse ? r.gte_min(n.score) : r.lte_max(n.score); }, sink);
}

void range_by_lex(const zset& z, const lex_range& r, std::int64_t offset, std::int64_t limit,
                  bool reverse, range_sink& sink) {
  auto it = reverse ? last_in_lex(z, r) : first_in_lex(z, r);
  it = skip(z, it, offset, reverse);
  emit_run(
      z, it, limit, reverse,
      [&](const zset::node& n) { return reverse ? r.gte_min(n.name()) : r.lte_max(n.name()); },
      sink);
}

resp::reply zrange_generic(context& c, std::size_t key_idx, bool store, range_kind kind,
                           direction dir) {
  std::size_t min_idx = key_idx + 1, max_idx = key_idx + 2;
  bool withscores = false;
  std::int64_t offset = 0, limit = -1;

  for (std::size_t j = key_idx + 3; j < c.argc(); ++j) {
    const std::size_t leftargs = c.argc() - j - 1;
    const auto opt = c.arg(j);
    if (!store && iequals(opt, "withscores")) {
      withscores = true;
    } else if (iequals(opt, "limit") && leftargs >= 2) {
      if (!context::parse_int(c.arg(j + 1), offset) || !context::parse_int(c.arg(j + 2), limit)) {
        return context::error(err::not_integer);
      }
      j += 2;
    } else if (dir == direction::automatic && iequals(opt, "rev")) {
      dir = direction::reverse;
    } else if (kind == range_kind::automatic && iequals(opt, "bylex")) {
      kind = range_kind::lex;
    } else if (kind == range_kind::automatic && iequals(opt, "byscore")) {
      kind = range_kind::score;
    } else {
      return syntax_error();
    }
  }
  if (dir == direction::automatic) dir = direction::forward;
  if (kind == range_kind::automatic) kind = range_kind::rank;
  if (limit != -1 && kind == range_kind::rank) return context::error(err_limit_rank);
  if (withscores && kind == range_kind::lex) return context::error(err_withscores_lex);
  const bool reverse = dir == direction::reverse;
  if (reverse && kind != range_kind::rank) std::swap(min_idx, max_idx);  // given as max, min

  std::int64_t start = 0, end = 0;
  score_range srange;
  lex_range lrange;
  switch (kind) {
    case range_kind::score:
      if (!parse_score_range(c.arg(min_idx), c.arg(max_idx), srange)) {
        return context::error(err_score_range);
      }
      break;
    case range_kind::lex:
      if (!parse_lex_range(c.arg(min_idx), c.arg(max_idx), lrange)) {
        return context::error(err_lex_range);
      }
      break;
    default:
      if (!context::parse_int(c.arg(min_idx), start) || !context::parse_int(c.arg(max_idx), end)) {
        return context::error(err::not_integer);
      }
      break;
  }

  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(key_idx), wrong);
  if (wrong) return wrong_type();

  range_sink sink(c);
  sink.withscores = withscores;
  zset result;
  if (store) sink.store = &result;
  if (z != nullptr) {
    switch (kind) {
      case range_kind::score:
        range_by_score(*z, srange, offset, limit, reverse, sink);
        break;
      case range_kind::lex:
        range_by_lex(*z, lrange, offset, limit, reverse, sink);
        break;
      default:
        range_by_rank(*z, start, end, reverse, sink);
        break;
    }
  }
  if (!store) return context::array(std::move(sink.out));
  const auto dst = c.arg(1);
  if (sink.count == 0) {
    c.remove(dst);
    return context::integer(0);
  }
  entry e;
  e.value = std::move(result);
  c.put(dst, std::move(e));
  return context::integer(sink.count);
}

resp::reply zrange(context& c) {
  return zrange_generic(c, 1, false, range_kind::automatic, direction::automatic);
}
resp::reply zrangestore(context& c) {
  return zrange_generic(c, 2, true, range_kind::automatic, direction::automatic);
}
resp::reply zrevrange(context& c) {
  return zrange_generic(c, 1, false, range_kind::rank, direction::reverse);
}
resp::reply zrangebyscore(context& c) {
  return zrange_generic(c, 1, false, range_kind::score, direction::forward);
}
resp::reply zrevrangebyscore(context& c) {
  return zrange_generic(c, 1, false, range_kind::score, direction::reverse);
}
resp::reply zrangebylex(context& c) {
  return zrange_generic(c, 1, false, range_kind::lex, direction::forward);
}
resp::reply zrevrangebylex(context& c) {
  return zrange_generic(c, 1, false, range_kind::lex, direction::reverse);
}

// ---------------------------------------------------------------------------------------------
// ZCOUNT, ZLEXCOUNT

resp::reply zcount(context& c) {
  score_range r;
  if (!parse_score_range(c.arg(2), c.arg(3), r)) return context::error(err_score_range);
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::integer(0);
  const auto first = first_in_range(*z, r);
  if (first == z->end()) return context::integer(0);
  const auto last = z->score_upper(r.max, r.maxex);
  return context::integer(static_cast<std::int64_t>(z->rank(last) - z->rank(first)));
}

resp::reply zlexcount(context& c) {
  lex_range r;
  if (!parse_lex_range(c.arg(2), c.arg(3), r)) return context::error(err_lex_range);
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::integer(0);
  auto first = first_in_lex(*z, r);
  if (first == z->end()) return context::integer(0);
  std::int64_t count = 0;
  if (z->listpack()) {
    for (auto it = first; it != z->end() && r.lte_max(it->name()); ++it) ++count;
  } else {
    const auto llen = static_cast<std::int64_t>(z->size());
    count = llen - static_cast<std::int64_t>(z->rank(first));
    const auto last = last_in_lex(*z, r);
    if (last != z->end()) count -= llen - 1 - static_cast<std::int64_t>(z->rank(last));
  }
  return context::integer(count);
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX (zremrangeGenericCommand)

resp::reply zremrange_generic(context& c, range_kind kind) {
  std::int64_t start = 0, end = 0;
  score_range srange;
  lex_range lrange;
  if (kind == range_kind::rank) {
    if (!context::parse_int(c.arg(2), start) || !context::parse_int(c.arg(3), end)) {
      return context::error(err::not_integer);
    }
  } else if (kind == range_kind::score) {
    if (!parse_score_range(c.arg(2), c.arg(3), srange)) return context::error(err_score_range);
  } else if (!parse_lex_range(c.arg(2), c.arg(3), lrange)) {
    return context::error(err_lex_range);
  }

  const auto key = c.arg(1);
  bool wrong = false;
  zset* z = c.find_as<zset>(key, wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return context::integer(0);

  std::size_t deleted = 0;
  if (kind == range_kind::rank) {
    const auto llen = static_cast<std::int64_t>(z->size());
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return context::integer(0);
    if (end >= llen) end = llen - 1;
    deleted = z->erase(z->nth(static_cast<std::size_t>(start)),
                       z->nth(static_cast<std::size_t>(end + 1)));
  } else if (kind == range_kind::score) {
    const auto first = first_in_range(*z, srange);
    if (first != z->end()) deleted = z->erase(first, z->score_upper(srange.max, srange.maxex));
  } else {
    auto it = first_in_lex(*z, lrange);
    while (it != z->end() && lrange.lte_max(it->name())) {
      it = z->erase(it);
      ++deleted;
    }
  }
  c.remove_if_empty(key);
  return context::integer(static_cast<std::int64_t>(deleted));
}

resp::reply zremrangebyrank(context& c) { return zremrange_generic(c, range_kind::rank); }
resp::reply zremrangebyscore(context& c) { return zremrange_generic(c, range_kind::score); }
resp::reply zremrangebylex(context& c) { return zremrange_generic(c, range_kind::lex); }

// ---------------------------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP (genericZpopCommand)

/// Pops up to `count` members from the set at `key` (which exists), the lowest scores first or
/// the highest; `nested` gives [member, score] pairs instead of a flat list.
std::vector<resp::reply> pop(context& c, std::string_view key, zset& z, std::int64_t count,
                             bool max, bool nested) {
  std::vector<resp::reply> out;
  const auto n = std::min<std::int64_t>(count, static_cast<std::int64_t>(z.size()));
  for (std::int64_t i = 0; i < n; ++i) {
    auto it = max ? std::prev(z.end()) : z.begin();
    if (nested) {
      out.push_back(context::array({context::bulk(it->name()), c.dbl(it->score)}));
    } else {
      out.push_back(context::bulk(it->name()));
      out.push_back(c.dbl(it->score));
    }
    z.erase(it);
  }
  c.remove_if_empty(key);
  return out;
}

resp::reply zpop_generic(context& c, bool max) {
  if (c.argc() > 3) return syntax_error();
  std::int64_t count = -1;
  if (c.argc() == 3 && !parse_positive(c.arg(2), count)) return context::error(err_positive);
  const auto key = c.arg(1);
  bool wrong = false;
  zset* z = c.find_as<zset>(key, wrong);
  if (wrong) return wrong_type();
  if (z == nullptr || count == 0) return empty_array();
  const bool nested = c.resp3 && count != -1;
  return context::array(pop(c, key, *z, count == -1 ? 1 : count, max, nested));
}

resp::reply zpopmin(context& c) { return zpop_generic(c, false); }
resp::reply zpopmax(context& c) { return zpop_generic(c, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
resp::reply zmpop(context& c) {
  std::int64_t numkeys = 0;
  if (!context::parse_int(c.arg(1), numkeys) || numkeys < 1) return context::error(err_numkeys);
  const auto keys_end = static_cast<std::uint64_t>(numkeys) + 2;  // index of MIN|MAX
  if (keys_end >= c.argc()) return syntax_error();
  const auto where = c.arg(keys_end);
  bool max = false;
  if (iequals(where, "min")) {
    max = false;
  } else if (iequals(where, "max")) {
    max = true;
  } else {
    return syntax_error();
  }
  std::int64_t count = -1;
  for (std::size_t j = keys_end + 1; j < c.argc(); ++j) {
    const bool moreargs = j + 1 < c.argc();
    if (count == -1 && iequals(c.arg(j), "count") && moreargs) {
      ++j;
      if (!context::parse_int(c.arg(j), count) || count < 1) return context::error(err_count);
    } else {
      return syntax_error();
    }
  }
  if (count == -1) count = 1;
  for (std::size_t j = 2; j < keys_end; ++j) {
    const auto key = c.arg(j);
    bool wrong = false;
    zset* z = c.find_as<zset>(key, wrong);
    if (wrong) return wrong_type();
    if (z == nullptr) continue;
    return context::array({context::bulk(key), context::array(pop(c, key, *z, count, max, true))});
  }
  return context::nil();
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER key [count [WITHSCORES]]

resp::reply zrandmember(context& c) {
  const auto key = c.arg(1);
  if (c.argc() < 3) {
    bool wrong = false;
    const zset* z = c.find_as<zset>(key, wrong);
    if (wrong) return wrong_type();
    if (z == nullptr) return context::nil();
    std::uniform_int_distribution<std::size_t> pick(0, z->size() - 1);
    return context::bulk(z->nth(pick(c.rng()))->name());
  }
  std::int64_t l = 0;
  if (!context::parse_int(c.arg(2), l)) return context::error(err::not_integer);
  if (l == std::numeric_limits<std::int64_t>::min()) return context::error(err_randmember_range);
  bool withscores = false;
  if (c.argc() > 4 || (c.argc() == 4 && !iequals(c.arg(3), "withscores"))) {
    return syntax_error();
  }
  withscores = c.argc() == 4;
  // Redis refuses a WITHSCORES count whose doubled reply length would overflow. A repeated
  // sample larger than any reply can hold (2^32 - 1 elements) is refused too, after the key
  // lookup: Redis would try to send it and run out of memory.
  constexpr auto half = std::numeric_limits<std::int64_t>::max() / 2;
  if (withscores && (l < -half || l > half)) return context::error(err_out_of_range);
  bool wrong = false;
  const zset* z = c.find_as<zset>(key, wrong);
  if (wrong) return wrong_type();
  if (z == nullptr || l == 0) return empty_array();
  if (l < -max_random_reply) return context::error(err_out_of_range);

  const auto size = static_cast<std::uint64_t>(z->size());
  const bool unique = l > 0;
  const auto count = static_cast<std::uint64_t>(unique ? l : -l);
  std::vector<resp::reply> out;
  auto emit = [&](const zset::node& n) { push_member(c, out, n.name(), n.score, withscores); };

  if (!unique || count == 1) {
    // Sampling with replacement, in random order.
    std::uniform_int_distribution<std::size_t> pick(0, z->size() - 1);
    for (std::uint64_t i = 0; i < count; ++i) emit(*z->nth(pick(c.rng())));
  } else if (count >= size) {
    // The whole set, highest score first (Redis walks it from the tail).
    for (auto it = z->rbegin(); it != z->rend(); ++it) emit(*it);
  } else {
    // Distinct ranks (Floyd's algorithm), emitted in set order.
    std::vector<std::size_t> ranks;
    ranks.reserve(count);
    std::unordered_set<std::size_t> chosen;
    for (std::uint64_t j = size - count; j < size; ++j) {
      std::uniform_int_distribution<std::uint64_t> pick(0, j);
      auto t = static_cast<std::size_t>(pick(c.rng()));
      if (!chosen.insert(t).second) {
        t = static_cast<std::size_t>(j);
        chosen.insert(t);
      }
      ranks.push_back(t);
    }
    std::sort(ranks.begin(), ranks.end());
    for (auto r : ranks) emit(*z->nth(r));
  }
  return context::array(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// ZSCAN key cursor [MATCH pattern] [COUNT count]

// The cursor and option parsing are scan.hpp's (shared with SCAN, HSCAN, SSCAN); the iteration
// is the zset's own: Redis's reverse-binary cursor over its power-of-two member table, which
// returns every member present for a whole iteration at least once, across resizes too.
resp::reply zscan(context& c) {
  std::uint64_t cursor = 0;
  if (!scan_parse_cursor(c.arg(2), cursor)) return context::error(err_invalid_cursor);
  bool wrong = false;
  const zset* z = c.find_as<zset>(c.arg(1), wrong);
  if (wrong) return wrong_type();
  if (z == nullptr) return scan_reply(0, {});
  scan_options opts;
  if (auto error = scan_parse_options(c, 3, /*allow_type=*/false, opts)) return *error;

  // Redis's loop: up to count*10 buckets, until `count` members were collected. A listpack
  // comes back whole, in order, from the first step (zset::scan; Redis ignores COUNT for it).
  std::vector<const zset::node*> found;
  const std::size_t count = opts.count;
  std::size_t maxiterations =
      count > std::numeric_limits<std::size_t>::max() / 10 ? count : count * 10;
  do {
    cursor = z->scan(cursor, [&](const zset::node& n) { found.push_back(&n); });
  } while (cursor != 0 && maxiterations-- != 0 && found.size() < count);
  std::vector<resp::reply> items;
  items.reserve(found.size() * 2);
  for (const zset::node* n : found) {
    if (!opts.matches(n->name())) continue;
    items.push_back(context::bulk(n->name()));
    items.push_back(context::bulk(context::format_double(n->score)));
  }
  return scan_reply(cursor, std::move(items));
}

// ---------------------------------------------------------------------------------------------
// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZUNION, ZINTER, ZDIFF, ZINTERCARD
// (zunionInterDiffGenericCommand). Plain sets count as sorted sets whose scores are all 1.

enum class set_op { union_, inter, diff };
enum class aggregate { sum, min, max };

struct source {
  const zset* z = nullptr;
  const set_value* s = nullptr;
  double weight = 1.0;

  std::size_t size() const noexcept {
    return z != nullptr ? z->size() : s != nullptr ? s->size() : 0;
  }
  const void* subject() const noexcept {
    return z != nullptr ? static_cast<const void*>(z) : static_cast<const void*>(s);
  }
  bool find(std::string_view member, double& score) const {
    if (z != nullptr) {
      const zset::node* n = z->find(member);
      if (n == nullptr) return false;
      score = n->score;
      return true;
    }
    if (s != nullptr && s->find(member) != s->end()) {
      score = 1.0;
      return true;
    }
    return false;
  }
  /// Calls f(member, score) for every element.
  template <typename F>
  void each(F&& f) const {
    if (z != nullptr) {
      for (auto it = z->rbegin(); it != z->rend(); ++it) f(it->name(), it->score);
    } else if (s != nullptr) {
      for (const auto& m : *s) f(view(m), 1.0);
    }
  }
};

void aggregate_into(double& target, double val, aggregate agg) {
  switch (agg) {
    case aggregate::sum:
      target = target + val;
      if (std::isnan(target)) target = 0.0;  // inf + -inf
      break;
    case aggregate::min:
      target = val < target ? val : target;
      break;
    case aggregate::max:
      target = val > target ? val : target;
      break;
  }
}

resp::reply zset_op_generic(context& c, bool has_dst, std::size_t numkeys_idx, set_op op,
                            bool cardinality_only, std::string_view name) {
  std::int64_t setnum = 0;
  if (!context::parse_int(c.arg(numkeys_idx), setnum)) return context::error(err::not_integer);
  if (setnum < 1) {
    return context::error("ERR at least 1 input key is needed for '" + std::string(name) +
                          "' command");
  }
  if (static_cast<std::uint64_t>(setnum) > c.argc() - (numkeys_idx + 1)) return syntax_error();

  std::vector<source> src(static_cast<std::size_t>(setnum));
  std::size_t j = numkeys_idx + 1;
  for (auto& s : src) {
    if (entry* e = c.find(c.arg(j++))) {
      if (auto* zv = std::get_if<zset>(&e->value)) {
        s.z = zv;
      } else if (auto* sv = std::get_if<set_value>(&e->value)) {
        s.s = sv;
      } else {
        return wrong_type();
      }
    }
  }

  aggregate agg = aggregate::sum;
  bool withscores = false;
  std::int64_t limit = 0;
  while (j < c.argc()) {
    const std::size_t remaining = c.argc() - j;
    const auto opt = c.arg(j);
    if (op != set_op::diff && !cardinality_only && remaining >= src.size() + 1 &&
        iequals(opt, "weights")) {
      ++j;
      for (auto& s : src) {
        if (!context::parse_double(c.arg(j++), s.weight)) return context::error(err_weight);
      }
    } else if (op != set_op::diff && !cardinality_only && remaining >= 2 &&
               iequals(opt, "aggregate")) {
      const auto a = c.arg(j + 1);
      if (iequals(a, "sum")) {
        agg = aggregate::sum;
      } else if (iequals(a, "min")) {
        agg = aggregate::min;
      } else if (iequals(a, "max")) {
        agg = aggregate::max;
      } else {
        return syntax_error();
      }
      j += 2;
    } else if (!has_dst && !cardinality_only && iequals(opt, "withscores")) {
      ++j;
      withscores = true;
    } else if (cardinality_only && remaining >= 2 && iequals(opt, "limit")) {
      if (!parse_positive(c.arg(j + 1), limit)) return context::error(err_limit_negative);
      j += 2;
    } else {
      return syntax_error();
    }
  }

  if (op != set_op::diff) {
    // Smallest first (Redis's qsort, which glibc implements as a stable merge sort).
    std::stable_sort(src.begin(), src.end(),
                     [](const source& a, const source& b) { return a.size() < b.size(); });
  }

  zset result;
  result.convert_to_skiplist();  // Redis builds the result as a skiplist
  std::int64_t cardinality = 0;
  auto add = [&](std::string_view member, double score) { result.insert(member, score); };

  if (op == set_op::inter) {
    if (src[0].size() > 0) {
      bool stop = false;
      src[0].each([&](std::string_view member, double s0) {
        if (stop) return;
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        std::size_t k = 1;
        for (; k < src.size(); ++k) {
          double value = 0;
          if (src[k].subject() == src[0].subject()) {
            value = s0 * src[k].weight;
          } else if (src[k].find(member, value)) {
            value *= src[k].weight;
          } else {
            break;
          }
          aggregate_into(score, value, agg);
        }
        if (k != src.size()) return;
        if (cardinality_only) {
          ++cardinality;
          if (limit != 0 && cardinality >= limit) stop = true;
        } else {
          add(member, score);
        }
      });
    }
  } else if (op == set_op::union_) {
    std::unordered_map<std::string_view, double> acc;
    std::vector<std::string_view> order;  // first-seen order, for a deterministic build
    for (const auto& s : src) {
      s.each([&](std::string_view member, double v) {
        double score = s.weight * v;
        if (std::isnan(score)) score = 0;
        auto [it, inserted] = acc.try_emplace(member, score);
        if (inserted) {
          order.push_back(member);
        } else {
          aggregate_into(it->second, score, agg);
        }
      });
    }
    for (auto member : order) add(member, acc[member]);
  } else {
    // Everything of the first input that no other input has, with its own score. The same
    // key given again empties the result.
    bool same = false;
    for (std::size_t k = 1; k < src.size(); ++k) {
      if (src[k].subject() != nullptr && src[k].subject() == src[0].subject()) same = true;
    }
    if (!same) {
      src[0].each([&](std::string_view member, double s0) {
        double ignored = 0;
        for (std::size_t k = 1; k < src.size(); ++k) {
          if (src[k].find(member, ignored)) return;
        }
        add(member, s0);
      });
    }
  }

  if (cardinality_only) return context::integer(cardinality);
  if (has_dst) {
    const auto dst = c.arg(1);
    if (result.empty()) {
      c.remove(dst);
      return context::integer(0);
    }
    const auto n = static_cast<std::int64_t>(result.size());
    result.convert_to_listpack_if_fits();
    entry e;
    e.value = std::move(result);
    c.put(dst, std::move(e));
    return context::integer(n);
  }
  std::vector<resp::reply> out;
  out.reserve(result.size() * (withscores && !c.resp3 ? 2 : 1));
  for (const auto& n : result) push_member(c, out, n.name(), n.score, withscores);
  return context::array(std::move(out));
}

resp::reply zunionstore(context& c) {
  return zset_op_generic(c, true, 2, set_op::union_, false, "zunionstore");
}
resp::reply zinterstore(context& c) {
  return zset_op_generic(c, true, 2, set_op::inter, false, "zinterstore");
}
resp::reply zdiffstore(context& c) {
  return zset_op_generic(c, true, 2, set_op::diff, false, "zdiffstore");
}
resp::reply zunion(context& c) {
  return zset_op_generic(c, false, 1, set_op::union_, false, "zunion");
}
resp::reply zinter(context& c) {
  return zset_op_generic(c, false, 1, set_op::inter, false, "zinter");
}
resp::reply zdiff(context& c) { return zset_op_generic(c, false, 1, set_op::diff, false, "zdiff"); }
resp::reply zintercard(context& c) {
  return zset_op_generic(c, false, 1, set_op::inter, true, "zintercard");
}

constexpr unsigned wr = cmd_write;
constexpr unsigned wr_oom = cmd_write | cmd_denyoom;
constexpr unsigned ro = cmd_readonly;

constexpr std::array commands{
    command_spec{"zadd", -4, wr_oom, zadd},
    command_spec{"zincrby", 4, wr_oom, zincrby},
    command_spec{"zrem", -3, wr, zrem},
    command_spec{"zremrangebyscore", 4, wr, zremrangebyscore},
    command_spec{"zremrangebyrank", 4, wr, zremrangebyrank},
    command_spec{"zremrangebylex", 4, wr, zremrangebylex},
    command_spec{"zunionstore", -4, wr_oom, zunionstore},
    command_spec{"zinterstore", -4, wr_oom, zinterstore},
    command_spec{"zdiffstore", -4, wr_oom, zdiffstore},
    command_spec{"zunion", -3, ro, zunion},
    command_spec{"zinter", -3, ro, zinter},
    command_spec{"zintercard", -3, ro, zintercard},
    command_spec{"zdiff", -3, ro, zdiff},
    command_spec{"zrange", -4, ro, zrange},
    command_spec{"zrangestore", -5, wr_oom, zrangestore},
    command_spec{"zrangebyscore", -4, ro, zrangebyscore},
    command_spec{"zrevrangebyscore", -4, ro, zrevrangebyscore},
    command_spec{"zrangebylex", -4, ro, zrangebylex},
    command_spec{"zrevrangebylex", -4, ro, zrevrangebylex},
    command_spec{"zcount", 4, ro, zcount},
    command_spec{"zlexcount", 4, ro, zlexcount},
    command_spec{"zrevrange", -4, ro, zrevrange},
    command_spec{"zcard", 2, ro, zcard},
    command_spec{"zscore", 3, ro, zscore},
    command_spec{"zmscore", -3, ro, zmscore},
    command_spec{"zrank", 3, ro, zrank},
    command_spec{"zrevrank", 3, ro, zrevrank},
    command_spec{"zscan", -3, ro, zscan},
    command_spec{"zpopmin", -2, wr, zpopmin},
    command_spec{"zpopmax", -2, wr, zpopmax},
    command_spec{"zmpop", -4, wr, zmpop},
    command_spec{"zrandmember", -2, ro, zrandmember},
};

}  // namespace

std::span<const command_spec> zset_commands() { return commands; }

}  // namespace redkit::engine
