// /v1/leaderboards: leaderboards over HTTP, on boards made on first use or configured in the
// server's TOML file, with per-board counters for /metrics.
#include <redkit/error.hpp>
#include <redkit/http_leaderboard_api.hpp>
#include <redkit/rate_limiter.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/value.hpp>

#include "http/json_text.hpp"
#include "http/request_fields.hpp"

#include <fmt/core.h>
#include <toml++/toml.h>

#include "config/toml_config.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <iterator>
#include <mutex>
#include <optional>

namespace redkit::http {
namespace {

namespace lb = redkit::leaderboard;
namespace json = boost::json;
using detail::bad_request;
using detail::json_string;
using detail::query_params;

constexpr std::size_t max_dynamic_boards = 64;
constexpr std::size_t max_configured_per_call = 10000;
constexpr std::size_t max_name_bytes = 1024;
constexpr std::size_t max_avatar_bytes = 4096;

[[noreturn]] void invalid(const std::string& what) {
  throw error(make_error_code(errc::invalid_argument), what);
}

std::optional<lb::period> parse_period(std::string_view s) {
  for (const auto p :
       {lb::period::all_time, lb::period::daily, lb::period::weekly, lb::period::monthly}) {
    if (lb::to_string(p) == s) return p;
  }
  return std::nullopt;
}

/// What is wrong with a board name (1-200 bytes of UTF-8, no control characters or braces),
/// or nothing.
std::optional<std::string> board_name_problem(std::string_view name) {
  if (name.empty() || name.size() > 200) return "a board name must be 1 to 200 bytes";
  if (!detail::valid_utf8(name)) return "a board name must be UTF-8";
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '{' || c == '}') {
      return "a board name must not hold control characters, '{' or '}'";
    }
  }
  return std::nullopt;
}

// --- the config file -----------------------------------------------------------------------------

class config_reader {
 public:
  explicit config_reader(std::string source) : source_(std::move(source)) {}

  static constexpr std::string_view kind = "leaderboard config";

  [[noreturn]] void fail_at(const toml::source_region& where, const std::string& what) const {
    config::fail_at(kind, source_, where, what);
  }

  leaderboard_configs read(const toml::table& doc) const {
    leaderboard_configs out;
    const toml::node* node = doc.get("leaderboards");
    if (!node) return out;
    const auto* boards = node->as_table();
    if (!boards) fail_at(node->source(), "'leaderboards' must be a table of [leaderboards.NAME]");
    for (const auto& [key, value] : *boards) {
      const std::string name(key.str());
      const auto label = "leaderboards." + name;
      if (auto p = board_name_problem(name)) fail_at(key.source(), label + ": " + *p);
      const auto* t = value.as_table();
      if (!t) fail_at(value.source(), label + " must be a table");
      out.emplace(name, read_board(*t, label));
    }
    return out;
  }

 private:
  lb::options read_board(const toml::table& t, const std::string& label) const {
    lb::options o;
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      const auto where = label + "." + key;
      if (key == "order") {
        const auto s = text(v, where);
        if (s == "descending") {
          o.order = lb::order::descending;
        } else if (s == "ascending") {
          o.order = lb::order::ascending;
        } else {
          fail_at(v.source(), where + " must be \"descending\" or \"ascending\"");
        }
      } else if (key == "tie_break") {
        const auto s = text(v, where);
        if (s == "member") {
          o.tie_break = lb::tie_break::member;
        } else if (s == "earliest") {
          o.tie_break = lb::tie_break::earliest;
        } else {
          fail_at(v.source(), where + " must be \"member\" or \"earliest\"");
        }
      } else if (key == "max_size") {
        o.max_size = integer(v, where, 0, std::int64_t{1} << 40);
      } else if (key == "periods") {
        o.periods = periods(v, where);
      } else if (key == "week_start") {
        o.week_start = static_cast<unsigned>(integer(v, where, 0, 6));
      } else if (key == "retention") {
        std::string failure;
        try {
          o.retention = rate_limit::parse_duration(text(v, where));
        } catch (const error& e) {
          failure = e.what();
        }
        if (!failure.empty()) fail_at(v.source(), where + ": " + failure);
      } else if (key == "max_per_call") {
        o.max_per_call = static_cast<std::size_t>(
            integer(v, where, 1, static_cast<std::int64_t>(max_configured_per_call)));
      } else {
        fail_at(k.source(), "unknown key " + where +
                                " (expected order, tie_break, max_size, periods, week_start, "
                                "retention or max_per_call)");
      }
    }
    return o;
  }

  std::string text(const toml::node& v, const std::string& where) const {
    const auto* s = v.as_string();
    if (!s) fail_at(v.source(), where + " must be a string");
    return s->get();
  }

  std::int64_t integer(const toml::node& v, const std::string& where, std::int64_t min,
                       std::int64_t max) const {
    const auto* i = v.as_integer();
    if (!i || i->get() < min || i->get() > max) {
      fail_at(v.source(), fmt::format("{} must be an integer from {} to {}", where, min, max));
    }
    return i->get();
  }

  std::vector<lb::period> periods(const toml::node& v, const std::string& where) const {
    const auto* arr = v.as_array();
    if (!arr || arr->empty()) {
      fail_at(v.source(), where +
                              " must be a non-empty array of \"all_time\", \"daily\", "
                              "\"weekly\", \"monthly\"");
    }
    std::vector<lb::period> out;
    for (const auto& item : *arr) {
      const auto s = text(item, where);
      const auto p = parse_period(s);
      if (!p) {
        fail_at(item.source(), where + ": unknown period '" + s +
                                   "' (expected all_time, daily, weekly or monthly)");
      }
      if (std::find(out.begin(), out.end(), *p) != out.end()) {
        fail_at(item.source(), where + ": period '" + s + "' is listed twice");
      }
      out.push_back(*p);
    }
    return out;
  }

  std::string source_;
};

// --- boards ----------------------------------------------------------------------------------

/// The kinds of read, in the order of board_slot::reads.
constexpr std::array<std::string_view, 6> read_kinds{"top",    "page",  "rank",
                                                     "around", "ranks", "count"};
enum class read_kind { top, page, rank, around, ranks, count };

struct board_slot {
  explicit board_slot(std::shared_ptr<lb::board> b) : board(std::move(b)) {}
  std::shared_ptr<lb::board> board;
  std::atomic<std::uint64_t> updates{0};
  std::atomic<std::uint64_t> removes{0};
  std::array<std::atomic<std::uint64_t>, read_kinds.size()> reads{};

  void count(read_kind k) { reads[static_cast<std::size_t>(k)].fetch_add(1); }
};

/// The boards by name: the configured ones from the start, the others made on first use.
class board_registry {
 public:
  board_registry(std::shared_ptr<store> s, leaderboard_configs configured,
                 std::chrono::milliseconds timeout)
      : store_(std::move(s)), timeout_(timeout) {
    for (auto& [name, o] : configured) {
      o.timeout = timeout_;
      std::string failure;
      try {
        boards_.emplace(name, std::make_shared<board_slot>(
                                  std::make_shared<lb::board>(store_, name, std::move(o))));
      } catch (const error& e) {
        failure = e.what();
      }
      if (!failure.empty()) invalid("leaderboards." + name + ": " + failure);
    }
  }

  std::shared_ptr<board_slot> get(const std::string& name) {
    std::lock_guard lock(mu_);
    if (const auto it = boards_.find(name); it != boards_.end()) return it->second;
    if (auto p = board_name_problem(name)) bad_request(*p);
    if (dynamic_ >= max_dynamic_boards) {
      bad_request(
          fmt::format("at most {} leaderboards besides the configured ones", max_dynamic_boards));
    }
    lb::options o;
    o.timeout = timeout_;
    auto slot = std::make_shared<board_slot>(std::make_shared<lb::board>(store_, name, o));
    boards_.emplace(name, slot);
    ++dynamic_;
    return slot;
  }

  std::string prometheus() const {
    std::vector<std::pair<std::string, std::shared_ptr<board_slot>>> all;
    {
      std::lock_guard lock(mu_);
      all.assign(boards_.begin(), boards_.end());
    }
    std::string out =
        "# HELP redkit_leaderboard_updates_total Score updates through the API, by board.\n"
        "# TYPE redkit_leaderboard_updates_total counter\n";
    for (const auto& [name, b] : all) {
      out += fmt::format("redkit_leaderboard_updates_total{{board={}}} {}\n", json_string(name),
                         b->updates.load());
    }
    out +=
        "# HELP redkit_leaderboard_reads_total Reads through the API, by board and kind.\n"
        "# TYPE redkit_leaderboard_reads_total counter\n";
    for (const auto& [name, b] : all) {
      for (std::size_t i = 0; i < read_kinds.size(); ++i) {
        out += fmt::format("redkit_leaderboard_reads_total{{board={},kind=\"{}\"}} {}\n",
                           json_string(name), read_kinds[i], b->reads[i].load());
      }
    }
    out +=
        "# HELP redkit_leaderboard_removes_total Players removed through the API, by board.\n"
        "# TYPE redkit_leaderboard_removes_total counter\n";
    for (const auto& [name, b] : all) {
      out += fmt::format("redkit_leaderboard_removes_total{{board={}}} {}\n", json_string(name),
                         b->removes.load());
    }
    out += fmt::format(
        "# HELP redkit_leaderboard_boards Leaderboards the API knows (configured and made).\n"
        "# TYPE redkit_leaderboard_boards gauge\nredkit_leaderboard_boards {}\n",
        all.size());
    return out;
  }

 private:
  std::shared_ptr<store> store_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<board_slot>, std::less<>> boards_;
  std::size_t dynamic_ = 0;
};

// --- requests --------------------------------------------------------------------------------

enum class resource { scores, top, page, count, ranks, player, around };

struct lb_path {
  std::string board;
  resource kind = resource::top;
  std::string player;
};

[[noreturn]] void path_not_found() {
  throw problem_error(bhttp::status::not_found,
                      "expected /v1/leaderboards/{name}/ then scores, top, page, count, ranks, "
                      "players/{id} or players/{id}/around");
}

/// "{name}/scores|top|page|count|ranks", "{name}/players/{id}", "{name}/players/{id}/around".
lb_path parse_path(std::string_view rest) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto slash = rest.find('/', start);
    parts.push_back(rest.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (const auto p : parts) {
    if (p.empty()) path_not_found();
  }
  lb_path out;
  if (parts.size() == 2) {
    static constexpr std::array<std::pair<std::string_view, resource>, 5> named{{
        {"scores", resource::scores},
        {"top", resource::top},
        {"page", resource::page},
        {"count", resource::count},
        {"ranks", resource::ranks},
    }};
    const auto it = std::find_if(named.begin(), named.end(),
                                 [&](const auto& n) { return n.first == parts[1]; });
    if (it == named.end()) path_not_found();
    out.kind = it->second;
  } else if ((parts.size() == 3 || parts.size() == 4) && parts[1] == "players") {
    if (parts.size() == 4 && parts[3] != "around") path_not_found();
    out.kind = parts.size() == 3 ? resource::player : resource::around;
    out.player = percent_decode(parts[2]);
    if (!detail::valid_utf8(out.player)) bad_request("the player id in the path must be UTF-8");
  } else {
    path_not_found();
  }
  out.board = percent_decode(parts[0]);
  return out;
}

/// The methods `kind` answers.
std::string_view allowed_methods(resource kind) {
  switch (kind) {
    case resource::scores:
    case resource::ranks:
      return "POST";
    case resource::player:
      return "GET, DELETE";
    default:
      return "GET";
  }
}

/// "YYYY-MM-DD" as a day, or nothing.
std::optional<std::chrono::sys_days> parse_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t len, unsigned& out) {
    const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + len, out);
    return ec == std::errc() && end == s.data() + at + len;
  };
  unsigned y = 0, m = 0, d = 0;
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)),
                                        std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

/// The `period` and `day` parameters: the period must be one the board feeds, and a day
/// needs a daily, weekly or monthly period.
lb::view view_of(const query_params& q, const lb::options& o) {
  lb::view v;
  if (const auto* period = q.find("period")) {
    const auto p = parse_period(*period);
    if (!p) bad_request("period must be one of all_time, daily, weekly, monthly");
    if (std::find(o.periods.begin(), o.periods.end(), *p) == o.periods.end()) {
      std::string fed;
      for (const auto f : o.periods) fed += (fed.empty() ? "" : ", ") + std::string(to_string(f));
      bad_request(fmt::format("period {} is not one of this board's periods ({})", *period, fed));
    }
    v.of = p;
  }
  if (const auto* day = q.find("day")) {
    v.day = parse_day(*day);
    if (!v.day) bad_request("day must be a date YYYY-MM-DD");
    if (v.of.value_or(o.periods.front()) == lb::period::all_time) {
      bad_request("day applies to daily, weekly and monthly periods, not all_time");
    }
  }
  return v;
}

/// A score as JSON: integers (below 2^53) without a fraction, others in shortest form.
std::string number_text(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<std::int64_t>(d));
  }
  char buf[32];
  return {buf, std::to_chars(buf, buf + sizeof buf, d).ptr};
}

std::string optional_rank(const std::optional<std::uint64_t>& r) {
  return r ? std::to_string(*r) : "null";
}

std::string player_json(const lb::player& p) {
  std::string out = R"({"id":)" + json_string(p.id) + R"(,"name":)" + json_string(p.name);
  if (!p.avatar.empty()) out += R"(,"avatar":)" + json_string(p.avatar);
  out += '}';
  return out;
}

std::string entries_json(const std::vector<lb::entry>& entries) {
  std::string out = "[";
  for (const auto& e : entries) {
    if (out.size() > 1) out += ',';
    out += fmt::format(R"({{"rank":{},"player":{},"score":{}}})", e.rank, player_json(e.player),
                       number_text(e.score));
  }
  out += ']';
  return out;
}

std::string rank_json(std::string_view id, const std::optional<lb::rank_result>& r) {
  if (!r) return R"({"id":)" + json_string(id) + R"(,"rank":null})";
  return fmt::format(R"({{"id":{},"rank":{},"score":{},"total":{},"percentile":{}}})",
                     json_string(id), r->rank, number_text(r->score), r->total,
                     number_text(r->percentile));
}

/// The score update a POST .../scores body asks for.
struct score_update {
  lb::player player;
  bool keep_info = true;  ///< neither name nor avatar given
  double score = 0;
  lb::update_op op = lb::update_op::set;
};

score_update score_update_of(const json::object& body) {
  detail::only_fields(body, {"player", "score", "op"});
  score_update u;
  const auto& po = detail::required_object(body, "player");
  detail::only_fields(po, {"id", "name", "avatar"}, "player.");
  u.player.id = detail::required_string(po, "id", "player.", 1, 256);
  if (u.player.id.find('\0') != std::string::npos) bad_request("player.id must not hold NUL");
  auto name = detail::optional_string(po, "name", "player.", 0, max_name_bytes);
  auto avatar = detail::optional_string(po, "avatar", "player.", 0, max_avatar_bytes);
  u.keep_info = !name && !avatar;
  u.player.name = std::move(name).value_or("");
  u.player.avatar = std::move(avatar).value_or("");
  const auto* sv = body.if_contains("score");
  if (!sv) bad_request("score is required");
  if (const auto* i = sv->if_int64()) {
    u.score = static_cast<double>(*i);
  } else if (const auto* n = sv->if_uint64()) {
    u.score = static_cast<double>(*n);
  } else if (const auto* d = sv->if_double()) {
    u.score = *d;
  } else {
    bad_request("score must be a number");
  }
  if (const auto op = detail::optional_string(body, "op")) {
    static constexpr std::array<std::pair<std::string_view, lb::update_op>, 4> ops{{
        {"set", lb::update_op::set},
        {"best", lb::update_op::best},
        {"incr", lb::update_op::incr},
        {"decr", lb::update_op::decr},
    }};
    const auto it =
        std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return o.first == *op; });
    if (it == ops.end()) bad_request("op must be one of set, best, incr, decr");
    u.op = it->second;
  }
  return u;
}

std::vector<std::string> player_ids_of(const json::object& body, std::size_t max) {
  detail::only_fields(body, {"players"});
  auto ids = detail::required_strings(body, "players", {}, 1, max, 1, 256);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].find('\0') != std::string::npos) {
      bad_request(fmt::format("players[{}] must not hold NUL", i));
    }
  }
  return ids;
}

asio::awaitable<response> handle(std::shared_ptr<board_registry> boards, const request& req,
                                 const request_context& ctx) {
  const auto path = parse_path(ctx.path_rest);
  const auto allow = allowed_methods(path.kind);
  if (allow.find(std::string_view(req.method_string())) == std::string_view::npos) {
    auto res = problem(bhttp::status::method_not_allowed,
                       fmt::format("this resource accepts {}", allow), req.version());
    res.set(bhttp::field::allow, allow);
    co_return res;
  }
  auto slot = boards->get(path.board);
  auto& b = *slot->board;
  const auto& o = b.config();
  const auto max_per_call = static_cast<std::int64_t>(o.max_per_call);
  const std::string_view target = req.target();
  const bool del = req.method() == bhttp::verb::delete_;
  std::string body;
  switch (path.kind) {
    case resource::scores: {
      query_params(target, {});
      const auto u = score_update_of(json_object_body(req));
      std::vector<lb::update_result> results;
      if (u.keep_info) {
        results = co_await b.async_update_score(u.player.id, u.score, u.op);
      } else {
        results = co_await b.async_update(u.player, u.score, u.op);
      }
      slot->updates.fetch_add(1);
      body = R"({"results":[)";
      for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        body += fmt::format(R"({}{{"period":"{}","score":{},"rank":{},"previous_rank":{}}})",
                            i ? "," : "", to_string(r.period), number_text(r.score),
                            optional_rank(r.rank), optional_rank(r.previous_rank));
      }
      body += "]}";
      break;
    }
    case resource::top: {
      const query_params q(target, {"n", "period", "day"});
      const auto n = static_cast<std::size_t>(
          q.integer("n", 1, max_per_call, std::min<std::int64_t>(10, max_per_call)));
      const auto v = view_of(q, o);
      const auto entries = co_await b.async_top(n, v);
      slot->count(read_kind::top);
      body = R"({"entries":)" + entries_json(entries) + "}";
      break;
    }
    case resource::page: {
      const query_params q(target, {"page", "size", "period", "day"});
      const auto page = static_cast<std::uint64_t>(q.integer("page", 1, std::int64_t{1} << 30, 1));
      const auto size = static_cast<std::size_t>(
          q.integer("size", 1, max_per_call, std::min<std::int64_t>(20, max_per_call)));
      const auto v = view_of(q, o);
      const auto p = co_await b.async_page(page, size, v);
      slot->count(read_kind::page);
      body = fmt::format(R"({{"page":{},"size":{},"total":{},"entries":{}}})", page, size, p.total,
                         entries_json(p.entries));
      break;
    }
    case resource::count: {
      const query_params q(target, {"period", "day"});
      const auto v = view_of(q, o);
      const auto n = co_await b.async_count(v);
      slot->count(read_kind::count);
      body = fmt::format(R"({{"count":{}}})", n);
      break;
    }
    case resource::ranks: {
      const query_params q(target, {"period", "day"});
      const auto v = view_of(q, o);
      const auto ids = player_ids_of(json_object_body(req), o.max_per_call);
      const auto ranks = co_await b.async_ranks(ids, v);
      slot->count(read_kind::ranks);
      body = R"({"results":[)";
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) body += ',';
        body += rank_json(ids[i], ranks.at(i));
      }
      body += "]}";
      break;
    }
    case resource::player: {
      if (del) {
        query_params(target, {});
        const bool removed = co_await b.async_remove(path.player);
        slot->removes.fetch_add(1);
        body = fmt::format(R"({{"removed":{}}})", removed);
        break;
      }
      const query_params q(target, {"period", "day"});
      const auto v = view_of(q, o);
      const auto r = co_await b.async_rank(path.player, v);
      slot->count(read_kind::rank);
      if (!r) {
        co_return problem(bhttp::status::not_found,
                          "player " + json_string(path.player) + " is not on the board",
                          req.version());
      }
      body = rank_json(path.player, r);
      break;
    }
    case resource::around: {
      const query_params q(target, {"range", "fill", "period", "day"});
      const auto range = static_cast<std::size_t>(
          q.integer("range", 0, max_per_call / 2, std::min<std::int64_t>(5, max_per_call / 2)));
      const bool fill = q.boolean("fill", false);
      const auto v = view_of(q, o);
      const auto entries = co_await b.async_around(path.player, range, fill, v);
      slot->count(read_kind::around);
      if (entries.empty()) {
        co_return problem(bhttp::status::not_found,
                          "player " + json_string(path.player) + " is not on the board",
                          req.version());
      }
      body = R"({"entries":)" + entries_json(entries) + "}";
      break;
    }
  }
  co_return json_response(bhttp::status::ok, std::move(body), req.version());
}

}  // namespace

leaderboard_configs load_leaderboards_toml(std::string_view text, const std::string& source) {
  return config_reader{source}.read(config::parse(text, config_reader::kind, source));
}

leaderboard_configs load_leaderboards_toml_file(const std::filesystem::path& file) {
  return load_leaderboards_toml(config::read_file(file, config_reader::kind), file.string());
}

std::function<std::string()> add_leaderboard_api(router& r, std::shared_ptr<store> s,
                                                 const api_keys& keys,
                                                 leaderboard_configs configured,
                                                 std::chrono::milliseconds timeout) {
  auto boards = std::make_shared<board_registry>(std::move(s), std::move(configured), timeout);
  const handler h = [boards](const request& req,
                             request_context& ctx) -> asio::awaitable<response> {
    return handle(boards, req, ctx);
  };
  for (const auto verb : {bhttp::verb::get, bhttp::verb::post, bhttp::verb::delete_}) {
    r.add_prefix(verb, "/v1/leaderboards/", keys.guard(h));
  }
  return [boards] { return boards->prometheus(); };
}

}  // namespace redkit::http
