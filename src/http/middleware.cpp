// The session and rate-limit middleware, built from the framework-free parts in
// rate_limit_http.hpp and session_http.hpp.
#include <redkit/error.hpp>
#include <redkit/http_middleware.hpp>

#include <boost/beast/http/field.hpp>

#include <chrono>
#include <string>

namespace redkit::http {

struct middleware::state {
  std::shared_ptr<session::store> sessions;
  std::shared_ptr<rate_limit::limiter> limiter;
  middleware_options o;
};

middleware::middleware(std::shared_ptr<session::store> sessions,
                       std::shared_ptr<rate_limit::limiter> limiter, middleware_options options) {
  for (const char* name : {"anonymous", "authenticated", "premium"}) {
    if (!options.tiers.find(name)) {
      throw error(make_error_code(errc::invalid_argument),
                  std::string("the rate-limit middleware needs a tier named ") + name);
    }
  }
  session::validate(options.cookie);
  state_ = std::make_shared<const state>(
      state{std::move(sessions), std::move(limiter), std::move(options)});
}

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
  const char* tier_name =
      !ctx.session ? "anonymous" : (ctx.session->user.premium ? "premium" : "authenticated");
  const auto& policies = o.tiers.at(tier_name).policies;
  const std::string identity = ctx.session
                                   ? rate_limit::identity_for_user(ctx.session->user.id)
                                   : rate_limit::identity_for_address(ctx.client_ip, o.identity);
  const auto d = co_await st->limiter->async_check(identity, policies);
  const auto fields =
      rate_limit::rate_limit_headers(d, policies, std::chrono::system_clock::now(), o.headers);
  response res;
  if (d.allowed) {
    res = co_await h(req, ctx);
  } else {
    res = response{bhttp::status::too_many_requests, req.version()};
    res.set(bhttp::field::content_type, rate_limit::problem_content_type);
    res.body() = rate_limit::problem_json(d);
  }
  for (const auto& [name, value] : fields) res.set(name, value);
  co_return res;
}

}  // namespace
}  // namespace redkit::http
