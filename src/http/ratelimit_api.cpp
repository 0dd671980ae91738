// /v1/ratelimit: rate-limit checks and resets over HTTP, on the server's limiter (in the manner
// of Envoy's ratelimit service: a denial is a 200 answer with "allowed": false).
#include <redkit/error.hpp>
#include <redkit/http_ratelimit_api.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/value.hpp>

#include "http/json_text.hpp"
#include "http/request_fields.hpp"

#include <fmt/core.h>

#include <mutex>
#include <set>

namespace redkit::http {
namespace {

namespace rl = redkit::rate_limit;
namespace json = boost::json;
using detail::bad_request;
using detail::json_string;
using detail::only_fields;
using detail::optional_int;
using detail::required_string;

constexpr std::size_t max_policies_per_request = 16;
constexpr std::size_t max_api_policy_names = 1024;
constexpr std::int64_t max_units = 1'000'000'000'000;  // the limiter's bound on limit, burst, cost

/// The most units one request may take under `p` (its limit; for gcra its burst when set).
std::uint64_t capacity(const rl::policy& p) {
  return p.algo == rl::algorithm::gcra && p.burst != 0 ? p.burst : p.limit;
}

rl::policy policy_of(const json::object& o, const std::string& where) {
  only_fields(o, {"name", "algorithm", "limit", "window", "burst", "cost", "shadow"}, where);
  rl::policy p;
  p.name = required_string(o, "name", where);
  if (const auto a = detail::optional_string(o, "algorithm", where)) {
    const auto algo = rl::parse_algorithm(*a);
    if (!algo) {
      bad_request(where +
                  "algorithm must be one of sliding_log, sliding_window, gcra, fixed_window");
    }
    p.algo = *algo;
  }
  p.limit = static_cast<std::uint64_t>(detail::required_int(o, "limit", 1, max_units, where));
  const auto window = required_string(o, "window", where);
  std::string failure;
  try {
    p.window = rl::parse_duration(window);
  } catch (const error& e) {
    failure = e.what();
  }
  if (!failure.empty()) bad_request(where + "window: " + failure);
  p.burst = static_cast<std::uint64_t>(optional_int(o, "burst", 0, max_units, where).value_or(0));
  p.cost = static_cast<std::uint64_t>(optional_int(o, "cost", 1, max_units, where).value_or(1));
  p.shadow = detail::optional_bool(o, "shadow", where).value_or(false);
  try {
    rl::validate(p);
  } catch (const error& e) {
    failure = e.what();
  }
  if (!failure.empty()) bad_request(where.substr(0, where.size() - 1) + ": " + failure);
  return p;
}

/// An identity: 1-512 bytes, no control characters, no braces (they would cut the key's hash
/// tag short).
std::string identity_of(const json::object& body) {
  auto id = required_string(body, "identity", {}, 1, 512);
  for (const char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '{' || c == '}') {
      bad_request("identity must not hold control characters, '{' or '}'");
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
      bad_request(
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
  if (given && tier) bad_request("give either policies or tier, not both");
  if (tier) {
    const auto name = required_string(body, "tier");
    const auto* t = st.tiers.find(name);
    if (!t) {
      std::string known;
      for (const auto& [n, unused] : st.tiers.all()) known += (known.empty() ? "" : ", ") + n;
      bad_request(
          fmt::format("tier {} is not configured (configured: {})", json_string(name), known));
    }
    return t->policies;
  }
  if (!given) bad_request("policies or tier is required");
  const auto list = detail::required_objects(body, "policies", 1, max_policies_per_request);
  std::vector<rl::policy> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto p = policy_of(*list[i], fmt::format("policies[{}].", i));
    for (const auto& other : out) {
      if (other.name == p.name) {
        bad_request(fmt::format("policies[{}].name {} is used twice", i, json_string(p.name)));
      }
    }
    out.push_back(std::move(p));
  }
  st.names.admit(out);
  return out;
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
          only_fields(body, {"identity", "policies", "tier", "cost"});
          const auto identity = identity_of(body);
          const auto policies = policies_of(*st, body);
          const auto cost =
              static_cast<std::uint64_t>(optional_int(body, "cost", 1, max_units).value_or(0));
          for (const auto& p : policies) {
            if (cost > capacity(p)) {
              bad_request(fmt::format("cost {} exceeds the capacity {} of policy {}", cost,
                                      capacity(p), json_string(p.name)));
            }
          }
          const auto d = co_await st->limiter->async_check(identity, policies, cost);
          auto res = json_response(bhttp::status::ok, decision_json(d), req.version());
          rl::for_each_rate_limit_header(
              d, policies, std::chrono::system_clock::now(), st->headers,
              [&res](std::string_view name, std::string_view value) { res.set(name, value); });
          co_return res;
        }));
  r.add(bhttp::verb::post, "/v1/ratelimit/reset",
        keys.guard([st](const request& req, request_context&) -> asio::awaitable<response> {
          const auto body = json_object_body(req);
          only_fields(body, {"identity", "policies", "tier"});
          const auto identity = identity_of(body);
          const auto policies = policies_of(*st, body);
          co_await st->limiter->async_reset(identity, policies);
          response res{bhttp::status::no_content, req.version()};
          co_return res;
        }));
}

}  // namespace redkit::http
