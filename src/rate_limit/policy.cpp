// Rate-limit policies and tiers: names of the enums, validation, duration and rate parsing, the
// reference tiers, and loading tiers from TOML (toml++ stays confined to this file).
#include "rate_limit/algorithms.hpp"

#include <redkit/error.hpp>
#include <redkit/rate_limiter.hpp>

#include <toml++/toml.h>

#include "config/toml_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redkit::rate_limit {
namespace {

constexpr std::uint64_t max_units = 1'000'000'000'000;
constexpr std::chrono::milliseconds max_window = std::chrono::days{366};
constexpr std::size_t max_name_length = 64;

[[noreturn]] void fail(const std::string& message) {
  throw error(make_error_code(errc::invalid_argument), message);
}

// Caller text as it goes into a message: quoted, at most 64 characters, control bytes as '?'.
std::string in_quotes(std::string_view text) {
  std::string out = "'";
  for (const char c : text.substr(0, max_name_length)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > max_name_length) out += "...";
  out += '\'';
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_length) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

constexpr std::string_view name_rule = "name must be 1-64 characters of [A-Za-z0-9_.-]";

// What is wrong with a policy: the field (as spelled in TOML) and the complaint.
struct problem {
  std::string_view field;
  std::string text;
};

std::optional<problem> check(const policy& p) {
  if (!valid_name(p.name)) return problem{"name", std::string(name_rule)};
  if (static_cast<std::size_t>(p.algo) >= algorithms.size()) {
    return problem{"algorithm",
                   "algorithm must be one of sliding_log, sliding_window, gcra, fixed_window"};
  }
  if (p.limit < 1) return problem{"limit", "limit must be at least 1"};
  if (p.limit > max_units) {
    return problem{"limit", "limit must be at most " + std::to_string(max_units)};
  }
  if (p.window < std::chrono::milliseconds{1}) {
    return problem{"window", "window must be at least 1ms"};
  }
  if (p.window > max_window) return problem{"window", "window must be at most 366 days"};
  if (p.burst > max_units) {
    return problem{"burst", "burst must be at most " + std::to_string(max_units)};
  }
  if (p.cost < 1) return problem{"cost", "cost must be at least 1"};
  if (p.cost > capacity(p)) {
    const bool by_burst = p.algo == algorithm::gcra && p.burst != 0;
    return problem{"cost", "cost must be at most the capacity (" +
                               std::string(by_burst ? "burst " : "limit ") +
                               std::to_string(capacity(p)) + ")"};
  }
  return std::nullopt;
}

struct duration_unit {
  std::string_view suffix;
  std::int64_t ms;
};
constexpr std::array<duration_unit, 5> duration_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60'000},
    {"h", 3'600'000},
    {"d", 86'400'000},
}};

std::optional<std::int64_t> unit_ms(std::string_view suffix) {
  for (const auto& u : duration_units) {
    if (u.suffix == suffix) return u.ms;
  }
  return std::nullopt;
}

// Parses a duration into `out`; on failure returns the complaint, introduced by `label`.
std::optional<std::string> parse_duration_into(std::string_view label, std::string_view text,
                                               std::chrono::milliseconds& out) {
  const auto complain = [&](std::string_view what) {
    return std::string(label) + ' ' + in_quotes(text) + ": " + std::string(what);
  };
  if (text.empty()) {
    return std::string(label) + " is empty (expected e.g. 250ms, 10s, 1m, 2h, 1d)";
  }
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) {
    if (text.front() == '-') return complain("must be positive");
    return complain("must be a whole number with a unit (ms, s, m, h or d)");
  }
  const auto suffix = text.substr(digits);
  if (suffix.empty()) return complain("missing unit (ms, s, m, h or d)");
  if (suffix.front() == '.' || suffix.front() == ',') return complain("must be a whole number");
  const auto per_unit = unit_ms(suffix);
  if (!per_unit) return complain("unknown unit " + in_quotes(suffix) + " (use ms, s, m, h or d)");
  std::uint64_t count = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + digits, count);
  if (parsed.ec == std::errc::result_out_of_range ||
      count > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / *per_unit)) {
    return complain("too large");
  }
  if (count == 0) return complain("must be positive");
  out = std::chrono::milliseconds{static_cast<std::int64_t>(count) * *per_unit};
  return std::nullopt;
}

std::string policy_prefix(std::string_view name) {
  return "rate limit policy " + in_quotes(name) + ": ";
}

std::string tier_prefix(std::string_view name) {
  return "rate limit tier " + in_quotes(name) + ": ";
}

// What is wrong with a tier, or nothing.
std::optional<std::string> tier_problem(const tier& t) {
  if (!valid_name(t.name)) return std::string(name_rule);
  if (t.policies.empty()) return std::string("needs at least one policy");
  for (std::size_t i = 0; i < t.policies.size(); ++i) {
    const auto& p = t.policies[i];
    if (auto bad = check(p)) return "policy " + in_quotes(p.name) + ": " + bad->text;
    for (std::size_t j = 0; j < i; ++j) {
      if (t.policies[j].name == p.name) {
        return "policy name " + in_quotes(p.name) + " is used twice";
      }
    }
  }
  return std::nullopt;
}

// Reads tiers from a parsed document, with every complaint placed at its line.
class toml_reader {
 public:
  static constexpr std::string_view kind = "rate limit config";

  explicit toml_reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail_at(const toml::source_region& where, const std::string& what) const {
    config::fail_at(kind, source_, where, what);
  }

  std::vector<tier> read(const toml::table& doc) const {
    std::vector<tier> out;
    const toml::node* tiers_node = doc.get("tiers");
    if (tiers_node == nullptr) return out;
    const auto* tiers = tiers_node->as_table();
    if (tiers == nullptr) fail_at(tiers_node->source(), "'tiers' must be a table");
    for (const auto& [key, node] : *tiers) out.push_back(read_tier(key, node));
    return out;
  }

 private:
  tier read_tier(const toml::key& key, const toml::node& node) const {
    tier t{std::string(key.str()), {}};
    const auto label = "tier " + in_quotes(t.name);
    if (!valid_name(t.name)) fail_at(key.source(), label + ": " + std::string(name_rule));
    const auto* table = node.as_table();
    if (table == nullptr) fail_at(node.source(), label + " must be a table");
    for (const auto& [k, v] : *table) {
      if (k.str() != "policies") {
        fail_at(v.source(),
                label + ": unknown key " + in_quotes(k.str()) + " (expected 'policies')");
      }
    }
    const toml::node* policies_node = table->get("policies");
    if (policies_node == nullptr) fail_at(table->source(), label + ": missing 'policies'");
    const auto* policies = policies_node->as_array();
    if (policies == nullptr) {
      fail_at(policies_node->source(), label + ": 'policies' must be an array of tables");
    }
    if (policies->empty()) {
      fail_at(policies_node->source(), label + ": 'policies' is empty (a tier needs at least one)");
    }
    for (std::size_t i = 0; i < policies->size(); ++i) {
      const auto& element = *policies->get(i);
      const auto where = label + ", policy " + std::to_string(i + 1) + ": ";
      const auto* fields = element.as_table();
      if (fields == nullptr) fail_at(element.source(), where + "must be a table");
      auto p = config::read_policy(*fields, t.name, where,
                                   [this](const auto& at, const auto& what) { fail_at(at, what); });
      for (const auto& other : t.policies) {
        if (other.name == p.name) {
          const auto* name_node = fields->get("name");
          fail_at(name_node != nullptr ? name_node->source() : fields->source(),
                  where + "policy name " + in_quotes(p.name) + " is used twice");
        }
      }
      t.policies.push_back(std::move(p));
    }
    return t;
  }

  std::string source_;
};

// The tiers `text` defines; `source` names the file in messages (empty for text).
std::vector<tier> read_toml(std::string_view text, const std::string& source) {
  return toml_reader{source}.read(config::parse(text, toml_reader::kind, source));
}

}  // namespace

std::string_view to_string(algorithm a) noexcept {
  return static_cast<std::size_t>(a) < algorithms.size() ? info(a).name : "unknown";
}

std::optional<algorithm> parse_algorithm(std::string_view name) noexcept {
  for (const auto& a : algorithms) {
    if (a.name == name) return a.algo;
  }
  return std::nullopt;
}

std::string_view to_string(decision_source s) noexcept {
  switch (s) {
    case decision_source::store:
      return "store";
    case decision_source::shield:
      return "shield";
    case decision_source::insurance:
      return "insurance";
    case decision_source::fail_open:
      return "fail_open";
    case decision_source::fail_closed:
      return "fail_closed";
  }
  return "unknown";
}

std::string_view to_string(failure_mode m) noexcept {
  switch (m) {
    case failure_mode::open:
      return "open";
    case failure_mode::closed:
      return "closed";
    case failure_mode::insurance:
      return "insurance";
  }
  return "unknown";
}

std::optional<failure_mode> parse_failure_mode(std::string_view name) noexcept {
  for (const auto m : {failure_mode::open, failure_mode::closed, failure_mode::insurance}) {
    if (to_string(m) == name) return m;
  }
  return std::nullopt;
}

void validate(const policy& p) {
  if (auto bad = check(p)) fail(policy_prefix(p.name) + bad->text);
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  std::chrono::milliseconds out{0};
  if (auto bad = parse_duration_into("duration", text, out)) fail(*bad);
  return out;
}

policy parse_rate(std::string_view name, std::string_view rate, algorithm algo) {
  const auto prefix = policy_prefix(name);
  const auto slash = rate.find('/');
  if (slash == std::string_view::npos) {
    fail(prefix + "rate " + in_quotes(rate) + " must be LIMIT/WINDOW, e.g. 60/1m or 100/s");
  }
  const auto limit_text = rate.substr(0, slash);
  const auto window_text = rate.substr(slash + 1);
  policy p;
  p.name = std::string(name);
  p.algo = algo;
  const auto [end, ec] =
      std::from_chars(limit_text.data(), limit_text.data() + limit_text.size(), p.limit);
  if (limit_text.empty() || end != limit_text.data() + limit_text.size() ||
      (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    fail(prefix + "rate " + in_quotes(rate) + ": limit must be a whole number");
  }
  if (ec == std::errc::result_out_of_range) p.limit = max_units + 1;
  if (const auto per_unit = unit_ms(window_text)) {
    p.window = std::chrono::milliseconds{*per_unit};
  } else if (auto bad = parse_duration_into("window", window_text, p.window)) {
    fail(prefix + "rate " + in_quotes(rate) + ": " + *bad);
  }
  validate(p);
  return p;
}

tier_set::tier_set() {
  struct reference_tier {
    std::string_view name;
    std::uint64_t per_minute;
  };
  static constexpr std::array<reference_tier, 3> reference{{
      {"anonymous", 60},
      {"authenticated", 300},
      {"premium", 1000},
  }};
  for (const auto& r : reference) {
    policy p;
    p.name = std::string(r.name);
    p.limit = r.per_minute;
    p.window = std::chrono::minutes{1};
    tiers_.emplace(p.name, tier{p.name, {p}});
  }
}

tier_set tier_set::none() {
  tier_set s;
  s.tiers_.clear();
  return s;
}

void tier_set::load_toml(std::string_view text, const std::string& source) {
  for (auto& t : read_toml(text, source)) {
    auto name = t.name;
    tiers_.insert_or_assign(std::move(name), std::move(t));
  }
}

void tier_set::load_toml_file(const std::filesystem::path& file) {
  load_toml(config::read_file(file, toml_reader::kind), file.string());
}

void tier_set::apply_override(std::string_view spec) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    fail("rate limit tier override " + in_quotes(spec) +
         " must be NAME=LIMIT/WINDOW, e.g. premium=5000/1m");
  }
  const auto name = spec.substr(0, eq);
  if (!valid_name(name)) fail(tier_prefix(name) + std::string(name_rule));
  auto p = parse_rate(name, spec.substr(eq + 1));
  if (const auto* existing = find(name)) {
    auto t = *existing;
    t.policies.front().limit = p.limit;
    t.policies.front().window = p.window;
    set(std::move(t));
  } else {
    set(tier{std::string(name), {std::move(p)}});
  }
}

void tier_set::set(tier t) {
  if (auto bad = tier_problem(t)) fail(tier_prefix(t.name) + *bad);
  auto name = t.name;
  tiers_.insert_or_assign(std::move(name), std::move(t));
}

const tier* tier_set::find(std::string_view name) const {
  const auto it = tiers_.find(name);
  return it == tiers_.end() ? nullptr : &it->second;
}

const tier& tier_set::at(std::string_view name) const {
  if (const auto* t = find(name)) return *t;
  fail("rate limit tier " + in_quotes(name) + " does not exist");
}

}  // namespace redkit::rate_limit

namespace redkit::config {

rate_limit::policy read_policy(const toml::table& fields, const std::string& default_name,
                               const std::string& where, const complaint& report) {
  using namespace rate_limit;
  // `report` throws; the throw after it keeps this function safe if one does not.
  const auto fail_at = [&](const toml::source_region& at, const std::string& what) {
    report(at, what);
    fail(what);
  };
  const auto read_string = [&](const toml::node& n, std::string_view field) {
    const auto* s = n.as_string();
    if (s == nullptr) fail_at(n.source(), where + std::string(field) + " must be a string");
    return s->get();
  };
  const auto read_count = [&](const toml::node& n, std::string_view field, std::int64_t min) {
    const auto* i = n.as_integer();
    if (i == nullptr) fail_at(n.source(), where + std::string(field) + " must be an integer");
    if (i->get() < min) {
      fail_at(n.source(), where + std::string(field) +
                              (min == 0 ? " must not be negative" : " must be at least 1"));
    }
    return static_cast<std::uint64_t>(i->get());
  };
  static constexpr std::array<std::string_view, 7> known{"name",  "algorithm", "limit", "window",
                                                         "burst", "cost",      "shadow"};
  for (const auto& [k, v] : fields) {
    if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
      fail_at(v.source(), where + "unknown key " + in_quotes(k.str()) +
                              " (expected name, algorithm, limit, window, burst, cost or shadow)");
    }
  }
  policy p;
  p.name = default_name;
  if (const auto* n = fields.get("name")) p.name = read_string(*n, "name");
  if (const auto* n = fields.get("algorithm")) {
    const auto text = read_string(*n, "algorithm");
    const auto algo = parse_algorithm(text);
    if (!algo) {
      fail_at(n->source(), where + "unknown algorithm " + in_quotes(text) +
                               " (expected sliding_log, sliding_window, gcra or fixed_window)");
    }
    p.algo = *algo;
  }
  const auto* limit = fields.get("limit");
  if (limit == nullptr) fail_at(fields.source(), where + "missing 'limit'");
  p.limit = read_count(*limit, "limit", 1);
  const auto* window = fields.get("window");
  if (window == nullptr) fail_at(fields.source(), where + "missing 'window'");
  if (auto bad = parse_duration_into("window", read_string(*window, "window"), p.window)) {
    fail_at(window->source(), where + *bad);
  }
  if (const auto* n = fields.get("burst")) p.burst = read_count(*n, "burst", 0);
  if (const auto* n = fields.get("cost")) p.cost = read_count(*n, "cost", 1);
  if (const auto* n = fields.get("shadow")) {
    const auto* b = n->as_boolean();
    if (b == nullptr) fail_at(n->source(), where + "shadow must be true or false");
    p.shadow = b->get();
  }
  if (auto bad = check(p)) {
    const auto* n = fields.get(bad->field);
    fail_at(n != nullptr ? n->source() : fields.source(), where + bad->text);
  }
  return p;
}

}  // namespace redkit::config
