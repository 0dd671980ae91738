// The session and rate-limit middleware, built from the framework-free parts in
// rate_limit_http.hpp and session_http.hpp, and the route policies of the config file.
#include <redkit/error.hpp>
#include <redkit/http_middleware.hpp>

#include <boost/beast/http/field.hpp>

#include <fmt/core.h>
#include <toml++/toml.h>

#include "config/toml_config.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <string>

namespace redkit::http {
namespace {

/// The tiers the middleware picks from, in the order of the arrays below.
constexpr std::array<std::string_view, 3> tier_names{"anonymous", "authenticated", "premium"};

[[noreturn]] void invalid(const std::string& what) {
  throw error(make_error_code(errc::invalid_argument), what);
}

}  // namespace

struct middleware::state {
  std::shared_ptr<session::store> sessions;
  std::shared_ptr<rate_limit::limiter> limiter;
  middleware_options o;
  /// Per tier: its policies alone, and per route (longest prefix first) with the route's.
  std::array<std::vector<rate_limit::policy>, 3> tier_policies;
  struct route {
    std::string prefix;
    std::array<std::vector<rate_limit::policy>, 3> policies;
  };
  std::vector<route> routes;
};

middleware::middleware(std::shared_ptr<session::store> sessions,
                       std::shared_ptr<rate_limit::limiter> limiter, middleware_options options) {
  for (const auto name : tier_names) {
    if (!options.tiers.find(name)) {
      invalid("the rate-limit middleware needs a tier named " + std::string(name));
    }
  }
  session::validate(options.cookie);
  auto st = std::make_shared<state>();
  for (std::size_t i = 0; i < tier_names.size(); ++i) {
    st->tier_policies[i] = options.tiers.at(tier_names[i]).policies;
  }
  for (const auto& r : options.routes) {
    const auto label = "route " + r.prefix;
    if (r.prefix.empty() || r.prefix.front() != '/')
      invalid(label + ": prefix must start with '/'");
    for (const auto& other : st->routes) {
      if (other.prefix == r.prefix) invalid(label + ": prefix given twice");
    }
    for (const auto& [tier, unused] : r.tiers) {
      if (std::find(tier_names.begin(), tier_names.end(), tier) == tier_names.end()) {
        invalid(label + ": tier '" + tier +
                "' is not one the middleware uses (anonymous, authenticated, premium)");
      }
    }
    state::route compiled{r.prefix, {}};
    for (std::size_t i = 0; i < tier_names.size(); ++i) {
      const auto own = r.tiers.find(tier_names[i]);
      const auto& extra = own != r.tiers.end() ? own->second : r.policies;
      auto& all = compiled.policies[i];
      all = st->tier_policies[i];
      for (const auto& p : extra) {
        rate_limit::validate(p);
        for (const auto& q : all) {
          if (q.name == p.name) {
            invalid(fmt::format("{}: policy name '{}' is used twice in the checks of tier {}",
                                label, p.name, tier_names[i]));
          }
        }
        all.push_back(p);
      }
    }
    st->routes.push_back(std::move(compiled));
  }
  std::stable_sort(st->routes.begin(), st->routes.end(),
                   [](const auto& a, const auto& b) { return a.prefix.size() > b.prefix.size(); });
  st->sessions = std::move(sessions);
  st->limiter = std::move(limiter);
  st->o = std::move(options);
  state_ = std::move(st);
}

const rate_limit::tier_set& middleware::tiers() const noexcept { return state_->o.tiers; }

namespace {

asio::awaitable<response> chain(std::shared_ptr<const middleware::state> st, const handler& h,
                                bool require_auth, const request& req, request_context& ctx);

}  // namespace

handler middleware::wrap(handler h, bool require_auth) const {
  return [st = state_, h = std::move(h), require_auth](
             const request& req, request_context& ctx) -> asio::awaitable<response> {
    return chain(st, h, require_auth, req, ctx);
  };
}

namespace {

asio::awaitable<response> chain(std::shared_ptr<const middleware::state> st, const handler& h,
                                bool require_auth, const request& req, request_context& ctx) {
  const auto& o = st->o;
  const std::string_view forwarded = req["X-Forwarded-For"];
  ctx.client_ip = rate_limit::client_address(ctx.peer, forwarded, o.trusted_proxies);
  const auto info = session::make_request_info(req[bhttp::field::user_agent],
                                               req[bhttp::field::accept_language], ctx.client_ip);
  const std::string_view authorization = req[bhttp::field::authorization];
  const std::string_view cookie = req[bhttp::field::cookie];
  std::string session_failure;
  try {
    ctx.session =
        co_await session::async_load_session(*st->sessions, authorization, cookie, info, o.cookie);
  } catch (const std::exception& e) {
    session_failure = e.what();
  }
  if (!session_failure.empty()) {
    co_return problem(bhttp::status::service_unavailable,
                      "sessions cannot be checked now: " + session_failure, req.version());
  }
  if (require_auth && !ctx.session) {
    response res{bhttp::status::unauthorized, req.version()};
    res.set(bhttp::field::content_type, session::problem_content_type);
    res.set(bhttp::field::www_authenticate, session::www_authenticate_challenge());
    res.body() = session::unauthorized_problem_json("this route needs a session");
    co_return res;
  }
  const std::size_t tier = !ctx.session ? 0 : (ctx.session->user.premium ? 2 : 1);
  const std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  const auto* policies = &st->tier_policies[tier];
  for (const auto& r : st->routes) {
    if (path.starts_with(r.prefix)) {
      policies = &r.policies[tier];
      break;
    }
  }
  const std::string identity = ctx.session
                                   ? rate_limit::identity_for_user(ctx.session->user.id)
                                   : rate_limit::identity_for_address(ctx.client_ip, o.identity);
  const auto d = co_await st->limiter->async_check(identity, *policies);
  const auto decided_at = std::chrono::system_clock::now();
  response res;
  if (d.allowed) {
    res = co_await h(req, ctx);
  } else {
    res = response{bhttp::status::too_many_requests, req.version()};
    res.set(bhttp::field::content_type, rate_limit::problem_content_type);
    res.body() = rate_limit::problem_json(d);
  }
  rate_limit::for_each_rate_limit_header(
      d, *policies, decided_at, o.headers,
      [&res](std::string_view name, std::string_view value) { res.set(name, value); });
  co_return res;
}

// --- route policies from TOML ----------------------------------------------------------------

/// Reads `[[routes]]`, with every complaint placed at its line.
class routes_reader {
 public:
  explicit routes_reader(std::string source) : source_(std::move(source)) {}

  static constexpr std::string_view kind = "route config";

  [[noreturn]] void fail_at(const toml::source_region& where, const std::string& what) const {
    config::fail_at(kind, source_, where, what);
  }

  std::vector<route_policies> read(const toml::table& doc) const {
    std::vector<route_policies> out;
    const toml::node* node = doc.get("routes");
    if (!node) return out;
    const auto* arr = node->as_array();
    if (!arr) fail_at(node->source(), "'routes' must be an array of tables ([[routes]])");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto& element = *arr->get(i);
      const auto* t = element.as_table();
      const auto label = fmt::format("routes[{}]", i);
      if (!t) fail_at(element.source(), label + " must be a table");
      auto r = read_route(*t, label);
      for (const auto& other : out) {
        if (other.prefix == r.prefix) {
          fail_at(t->source(), label + ": prefix '" + r.prefix + "' is given twice");
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  route_policies read_route(const toml::table& t, const std::string& label) const {
    for (const auto& [k, v] : t) {
      if (k.str() != "prefix" && k.str() != "policies" && k.str() != "tiers") {
        fail_at(k.source(), label + ": unknown key '" + std::string(k.str()) +
                                "' (expected prefix, policies or tiers)");
      }
    }
    route_policies r;
    const auto* prefix = t.get("prefix");
    if (!prefix) fail_at(t.source(), label + ": missing 'prefix'");
    const auto* text = prefix->as_string();
    if (!text || text->get().empty() || text->get().front() != '/') {
      fail_at(prefix->source(), label + ": prefix must be a string starting with '/'");
    }
    r.prefix = text->get();
    const auto where = label + " (" + r.prefix + ")";
    const auto base = default_name(r.prefix);
    const auto* policies = t.get("policies");
    const auto* tiers = t.get("tiers");
    if (!policies && !tiers) fail_at(t.source(), where + ": needs policies or tiers");
    if (policies) r.policies = read_list(*policies, base, where + ", policies");
    if (tiers) {
      const auto* table = tiers->as_table();
      if (!table) fail_at(tiers->source(), where + ": tiers must be a table of policy lists");
      for (const auto& [k, v] : *table) {
        const std::string tier(k.str());
        if (std::find(tier_names.begin(), tier_names.end(), tier) == tier_names.end()) {
          fail_at(k.source(), where + ": unknown tier '" + tier +
                                  "' (expected anonymous, authenticated or premium)");
        }
        r.tiers.emplace(tier, read_list(v, base + "." + tier, where + ", tiers." + tier));
      }
    }
    return r;
  }

  /// "route" and the prefix, each run of characters outside [A-Za-z0-9_-] as one '.', without a
  /// trailing '.'.
  static std::string default_name(std::string_view prefix) {
    std::string out = "route";
    for (const char c : prefix) {
      const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (keep) {
        out += c;
      } else if (out.back() != '.') {
        out += '.';
      }
    }
    if (out.back() == '.') out.pop_back();
    return out;
  }

  std::vector<rate_limit::policy> read_list(const toml::node& n, const std::string& base,
                                            const std::string& where) const {
    const auto* arr = n.as_array();
    if (!arr) fail_at(n.source(), where + " must be an array of policy tables");
    std::vector<rate_limit::policy> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto& element = *arr->get(i);
      const auto at = fmt::format("{}[{}]", where, i);
      const auto* fields = element.as_table();
      if (!fields) fail_at(element.source(), at + " must be a table");
      const auto name = i == 0 ? base : fmt::format("{}-{}", base, i + 1);
      if (!fields->get("name") && name.size() > 64) {
        fail_at(fields->source(),
                at + ": its default name '" + name + "' is over 64 characters: give it a name");
      }
      auto p = config::read_policy(
          *fields, name, at + ": ",
          [this](const auto& where, const auto& what) { fail_at(where, what); });
      for (const auto& other : out) {
        if (other.name == p.name) {
          fail_at(fields->source(), at + ": policy name '" + p.name + "' is used twice");
        }
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  std::string source_;
};

}  // namespace

std::vector<route_policies> load_routes_toml(std::string_view text, const std::string& source) {
  return routes_reader{source}.read(config::parse(text, routes_reader::kind, source));
}

std::vector<route_policies> load_routes_toml_file(const std::filesystem::path& file) {
  return load_routes_toml(config::read_file(file, routes_reader::kind), file.string());
}

}  // namespace redkit::http
