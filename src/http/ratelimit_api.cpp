// /v1/ratelimit: rate-limit checks and resets over HTTP, on the server's limiter (in the manner
// of Envoy's ratelimit service: a denial is a 200 answer with "allowed": false).
#include <redkit/error.hpp>
#include <redkit/http_ratelimit_api.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/value.hpp>

#include "http/json_text.hpp"

#include <fmt/core.h>

#include <array>
#include <mutex>
#include <set>

namespace redkit::http {
namespace {

namespace rl = redkit::rate_limit;
namespace json = boost::json;
using detail::json_string;

constexpr std::size_t max_policies_per_request = 16;
constexpr std::size_t max_api_policy_names = 1024;

[[noreturn]] void bad(const std::string& detail) {
  throw problem_error(bhttp::status::bad_request, detail);
}

/// The most units one request may take under `p` (its limit; for gcra its burst when set).
std::uint64_t capacity(const rl::policy& p) {
  return p.algo == rl::algorithm::gcra && p.burst != 0 ? p.burst : p.limit;
}

template <typename Key>
std::string_view key_of(const Key& k) {
  return {k.data(), k.size()};
}

/// A non-negative JSON integer no smaller than `min` (the limiter checks the upper bounds).
std::uint64_t count_of(const json::value& v, const std::string& field, std::uint64_t min) {
  std::uint64_t n = 0;
  if (const auto* i = v.if_int64()) {
    if (*i < 0) bad(fmt::format("{} must be an integer >= {}", field, min));
    n = static_cast<std::uint64_t>(*i);
  } else if (const auto* u = v.if_uint64()) {
    n = *u;
  } else {
    bad(fmt::format("{} must be an integer >= {}", field, min));
  }
  if (n < min) bad(fmt::format("{} must be an integer >= {}", field, min));
  return n;
}

const std::string& string_of(const json::value& v, const std::string& field, std::string& storage) {
  const auto* s = v.if_string();
  if (!s) bad(field + " must be a string");
  storage.assign(s->data(), s->size());
  return storage;
}

rl::policy policy_of(const json::value& v, const std::string& where) {
  const auto* o = v.if_object();
  if (!o) bad(where + " must be an object");
  static constexpr std::array<std::string_view, 7> known{"name",  "algorithm", "limit", "window",
                                                         "burst", "cost",      "shadow"};
  for (const auto& [k, value] : *o) {
    if (std::find(known.begin(), known.end(), key_of(k)) == known.end()) {
      bad(
          fmt::format("unknown field {}.{} (expected name, algorithm, limit, window, burst, cost "
                      "or shadow)",
                      where, key_of(k)));
    }
  }
  rl::policy p;
  std::string text;
  const auto* name = o->if_contains("name");
  if (!name) bad(where + ".name is required");
  p.name = string_of(*name, where + ".name", text);
  if (const auto* a = o->if_contains("algorithm")) {
    const auto algo = rl::parse_algorithm(string_of(*a, where + ".algorithm", text));
    if (!algo) {
      bad(where + ".algorithm must be one of sliding_log, sliding_window, gcra, fixed_window");
    }
    p.algo = *algo;
  }
  const auto* limit = o->if_contains("limit");
  if (!limit) bad(where + ".limit is required");
  p.limit = count_of(*limit, where + ".limit", 1);
  const auto* window = o->if_contains("window");
  if (!window) bad(where + ".window is required");
  std::string failure;
  try {
    p.window = rl::parse_duration(string_of(*window, where + ".window", text));
  } catch (const error& e) {
    failure = e.what();
  }
  if (!failure.empty()) bad(where + ".window: " + failure);
  if (const auto* b = o->if_contains("burst")) p.burst = count_of(*b, where + ".burst", 0);
  if (const auto* c = o->if_contains("cost")) p.cost = count_of(*c, where + ".cost", 1);
  if (const auto* s = o->if_contains("shadow")) {
    if (!s->is_bool()) bad(where + ".shadow must be true or false");
    p.shadow = s->as_bool();
  }
  try {
    rl::validate(p);
  } catch (const error& e) {
    failure = e.what();
  }
  if (!failure.empty()) bad(where + ": " + failure);
  return p;
}

/// An identity: 1-512 bytes, no control characters, no braces (they would cut the key's hash
/// tag short).
std::string identity_of(const json::object& body) {
  const auto* v = body.if_contains("identity");
  if (!v) bad("identity is required");
  std::string id;
  string_of(*v, "identity", id);
  if (id.empty() || id.size() > 512) bad("identity must be 1 to 512 bytes");
  for (const char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '{' || c == '}') {
      bad("identity must not hold control characters, '{' or '}'");
    }
  }
  return id;
}

/// The policy names given over the API so far, bounded: each name is a metrics series.
class name_budget {
 public:
  void admit(const std::vector<rl::policy>& policies) {
    std::lock_guard lock(mu_);
    std::size_t fresh = 0;
    for (const auto& p : policies) fresh += names_.contains(p.name) ? 0 : 1;
    if (names_.size() + fresh > max_api_policy_names) {
      bad(
          fmt::format("policies: at most {} distinct policy names may be given over the API; "
                      "reuse names or configure a tier",
                      max_api_policy_names));
    }
    for (const auto& p : policies) names_.insert(p.name);
  }

 private:
  std::mutex mu_;
  std::set<std::string, std::less<>> names_;
};

struct api_state {
  std::shared_ptr<rl::limiter> limiter;
  rl::tier_set tiers;
  rl::header_options headers;
  name_budget names;
};

/// The policies a request names: its own (`policies`) or a configured tier's (`tier`).
std::vector<rl::policy> policies_of(api_state& st, const json::object& body) {
  const auto* given = body.if_contains("policies");
  const auto* tier = body.if_contains("tier");
  if (given && tier) bad("give either policies or tier, not both");
  if (tier) {
    std::string name;
    string_of(*tier, "tier", name);
    const auto* t = st.tiers.find(name);
    if (!t) {
      std::string known;
      for (const auto& [n, unused] : st.tiers.all()) known += (known.empty() ? "" : ", ") + n;
      bad(fmt::format("tier {} is not configured (configured: {})", json_string(name), known));
    }
    return t->policies;
  }
  if (!given) bad("policies or tier is required");
  const auto* arr = given->if_array();
  if (!arr || arr->empty() || arr->size() > max_policies_per_request) {
    bad(fmt::format("policies must be an array of 1 to {} policies", max_policies_per_request));
  }
  std::vector<rl::policy> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto p = policy_of((*arr)[i], fmt::format("policies[{}]", i));
    for (const auto& other : out) {
      if (other.name == p.name) {
        bad(fmt::format("policies[{}].name {} is used twice", i, json_string(p.name)));
      }
    }
    out.push_back(std::move(p));
  }
  st.names.admit(out);
  return out;
}

void check_fields(const json::object& body, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : body) {
    if (std::find(known.begin(), known.end(), key_of(k)) == known.end()) {
      std::string list;
      for (const auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      bad(fmt::format("unknown field {} (expected {})", key_of(k), list));
    }
  }
}

std::string decision_json(const rl::decision& d) {
  std::string out = fmt::format(
      R"({{"allowed":{},"limit":{},"remaining":{},"reset_after_ms":{},"retry_after_ms":{},)"
      R"("policy":{},"source":{},"policies":[)",
      d.allowed, d.limit, d.remaining, d.reset_after.count(), d.retry_after.count(),
      json_string(d.policy), json_string(rl::to_string(d.source)));
  for (std::size_t i = 0; i < d.policies.size(); ++i) {
    const auto& p = d.policies[i];
    out += fmt::format(R"({}{{"policy":{},"allowed":{},"shadow":{},"limit":{},"remaining":{},)"
                       R"("reset_after_ms":{},"retry_after_ms":{}}})",
                       i ? "," : "", json_string(p.policy), p.allowed, p.shadow, p.limit,
                       p.remaining, p.reset_after.count(), p.retry_after.count());
  }
  out += "]}";
  return out;
}

}  // namespace

void add_ratelimit_api(router& r, std::shared_ptr<rate_limit::limiter> limiter,
                       rate_limit::tier_set tiers, const api_keys& keys,
                       rate_limit::header_options headers) {
  auto st = std::make_shared<api_state>();
  st->limiter = std::move(limiter);
  st->tiers = std::move(tiers);
  st->headers = headers;
  r.add(bhttp::verb::post, "/v1/ratelimit/check",
        keys.guard([st](const request& req, request_context&) -> asio::awaitable<response> {
          const auto body = json_object_body(req);
          check_fields(body, {"identity", "policies", "tier", "cost"});
          const auto identity = identity_of(body);
          const auto policies = policies_of(*st, body);
          std::uint64_t cost = 0;
          if (const auto* c = body.if_contains("cost")) cost = count_of(*c, "cost", 1);
          for (const auto& p : policies) {
            if (cost > capacity(p)) {
              bad(fmt::format("cost {} exceeds the capacity {} of policy {}", cost, capacity(p),
                              json_string(p.name)));
            }
          }
          const auto d = co_await st->limiter->async_check(identity, policies, cost);
          auto res = json_response(bhttp::status::ok, decision_json(d), req.version());
          for (const auto& [name, value] :
               rl::rate_limit_headers(d, policies, std::chrono::system_clock::now(), st->headers)) {
            res.set(name, value);
          }
          co_return res;
        }));
  r.add(bhttp::verb::post, "/v1/ratelimit/reset",
        keys.guard([st](const request& req, request_context&) -> asio::awaitable<response> {
          const auto body = json_object_body(req);
          check_fields(body, {"identity", "policies", "tier"});
          const auto identity = identity_of(body);
          const auto policies = policies_of(*st, body);
          co_await st->limiter->async_reset(identity, policies);
          response res{bhttp::status::no_content, req.version()};
          co_return res;
        }));
}

}  // namespace redkit::http
