// /v1/cache: the cache layer over HTTP, and the JSON body helpers of the /v1 handlers.
#include <redkit/cache.hpp>
#include <redkit/http_api.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

#include "http/json_text.hpp"
#include "http/request_fields.hpp"

#include <fmt/core.h>

#include <limits>
#include <map>
#include <mutex>

namespace redkit::http {

boost::json::object json_object_body(const request& req) {
  const std::string_view type = req[bhttp::field::content_type];
  const auto media = type.substr(0, type.find(';'));
  if (media != "application/json") {
    throw problem_error(bhttp::status::unsupported_media_type, "the body must be application/json");
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(req.body(), ec);
  if (ec) throw problem_error(bhttp::status::bad_request, "malformed JSON: " + ec.message());
  if (!v.is_object()) throw problem_error(bhttp::status::bad_request, "the body must be an object");
  return std::move(v.as_object());
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw problem_error(bhttp::status::bad_request, "malformed percent escape in the path");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

namespace {

namespace rc = redkit::cache;
using detail::json_string;
constexpr std::size_t max_cache_names = 64;

/// The caches by name, made on first use.
class cache_registry {
 public:
  explicit cache_registry(std::shared_ptr<store> s) : store_(std::move(s)) {}

  std::shared_ptr<rc::cache> get(const std::string& name) {
    std::lock_guard lock(mu_);
    if (auto it = caches_.find(name); it != caches_.end()) return it->second;
    if (caches_.size() >= max_cache_names) {
      throw problem_error(bhttp::status::bad_request,
                          fmt::format("at most {} cache names", max_cache_names));
    }
    rc::options o;
    o.name = name;  // validated by the cache (invalid_argument → 400)
    auto c = std::make_shared<rc::cache>(store_, o);
    caches_.emplace(name, c);
    return c;
  }

  std::string prometheus() const {
    std::vector<std::pair<std::string, rc::metrics>> all;
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, c] : caches_) all.emplace_back(name, c->metrics());
    }
    std::string out;
    const auto family = [&](const char* metric, const char* type, const char* help, auto value) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", metric, help, metric, type);
      for (const auto& [name, m] : all) {
        out += fmt::format("{}{{cache={}}} {}\n", metric, json_string(name), value(m));
      }
    };
    family("redkit_cache_l1_hits_total", "counter", "Hits served by the in-process level.",
           [](const rc::metrics& m) { return m.l1_hits; });
    family("redkit_cache_l2_hits_total", "counter", "Hits served by the store.",
           [](const rc::metrics& m) { return m.l2_hits; });
    family("redkit_cache_misses_total", "counter", "Lookups that found nothing usable.",
           [](const rc::metrics& m) { return m.misses; });
    family("redkit_cache_stale_served_total", "counter", "Stale values served.",
           [](const rc::metrics& m) { return m.stale_served; });
    family("redkit_cache_store_errors_total", "counter", "Store calls that failed or were late.",
           [](const rc::metrics& m) { return m.store_errors; });
    family("redkit_cache_hit_ratio", "gauge", "Hits over lookups since start.",
           [](const rc::metrics& m) { return m.hit_ratio(); });
    family("redkit_cache_l1_entries", "gauge", "Entries in the in-process level.",
           [](const rc::metrics& m) { return m.l1_entries; });
    family("redkit_cache_breaker_open", "gauge", "1 while the store's circuit breaker is open.",
           [](const rc::metrics& m) { return m.breaker_open ? 1 : 0; });
    return out;
  }

 private:
  std::shared_ptr<store> store_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<rc::cache>> caches_;
};

/// "{name}/keys/{key}" or "{name}/tags/{tag}": name, kind, decoded key or tag.
struct cache_path {
  std::string name;
  std::string kind;
  std::string item;
};

cache_path parse_cache_path(std::string_view rest) {
  const auto slash = rest.find('/');
  const auto second = slash == std::string_view::npos ? slash : rest.find('/', slash + 1);
  if (second == std::string_view::npos || second + 1 >= rest.size()) {
    throw problem_error(bhttp::status::not_found,
                        "expected /v1/cache/{name}/keys/{key} or /v1/cache/{name}/tags/{tag}");
  }
  cache_path p{percent_decode(rest.substr(0, slash)),
               std::string(rest.substr(slash + 1, second - slash - 1)),
               percent_decode(rest.substr(second + 1))};
  if (p.kind != "keys" && p.kind != "tags") {
    throw problem_error(bhttp::status::not_found, "expected keys/ or tags/ after the cache name");
  }
  return p;
}

/// The milliseconds field `field` (at least `min`, at most 366 days: deadlines are computed
/// from it), if present.
std::optional<std::chrono::milliseconds> optional_ms(const boost::json::object& o,
                                                     std::string_view field, std::int64_t min) {
  constexpr std::int64_t max_ms = 366LL * 24 * 3600 * 1000;
  const auto n = detail::optional_int(o, field, min, max_ms);
  if (!n) return std::nullopt;
  return std::chrono::milliseconds(*n);
}

rc::entry_options entry_options_of(const boost::json::object& o) {
  detail::only_fields(
      o, {"value", "encoding", "ttl_ms", "tags", "stale_while_revalidate_ms", "stale_if_error_ms"});
  rc::entry_options eo;
  eo.ttl = optional_ms(o, "ttl_ms", 1);
  eo.stale_while_revalidate = optional_ms(o, "stale_while_revalidate_ms", 0);
  eo.stale_if_error = optional_ms(o, "stale_if_error_ms", 0);
  if (auto tags = detail::optional_strings(o, "tags")) eo.tags = std::move(*tags);
  return eo;
}

/// The bytes a PUT body's `value` holds: the text itself, or (encoding "base64") its decoding.
std::string value_bytes(const boost::json::object& body) {
  auto text = detail::required_string(body, "value");
  const auto encoding = detail::optional_string(body, "encoding").value_or("utf-8");
  if (encoding == "utf-8") return text;
  if (encoding != "base64") detail::bad_request(R"(encoding must be "utf-8" or "base64")");
  auto bytes = detail::base64_decode(text);
  if (!bytes) detail::bad_request("value is not base64");
  return std::move(*bytes);
}

/// {"key","value","encoding"}: the value as text when it is UTF-8, else in base64 (JSON cannot
/// carry other bytes).
std::string value_json(std::string_view key, std::string_view value) {
  const bool text = detail::valid_utf8(value);  // (and base64 is ASCII: no second scan)
  return fmt::format(R"({{"key":{},"value":{},"encoding":"{}"}})", json_string(key),
                     text ? detail::json_string_of_utf8(value)
                          : detail::json_string_of_utf8(detail::base64_encode(value)),
                     text ? "utf-8" : "base64");
}

response tags_allow_delete_only(const request& req) {
  auto res = problem(bhttp::status::method_not_allowed, "a tag can only be invalidated (DELETE)",
                     req.version());
  res.set(bhttp::field::allow, "DELETE");
  return res;
}

}  // namespace

std::function<std::string()> add_cache_api(router& r, std::shared_ptr<store> s,
                                           const api_keys& keys) {
  auto caches = std::make_shared<cache_registry>(std::move(s));
  const std::string prefix = "/v1/cache/";
  r.add_prefix(
      bhttp::verb::get, prefix,
      keys.guard([caches](const request& req, request_context& ctx) -> asio::awaitable<response> {
        const auto p = parse_cache_path(ctx.path_rest);
        if (p.kind != "keys") co_return tags_allow_delete_only(req);
        auto c = caches->get(p.name);
        const auto v = co_await c->async_get(p.item);
        if (!v) {
          co_return problem(bhttp::status::not_found, "not cached: " + p.item, req.version());
        }
        co_return json_response(bhttp::status::ok, value_json(p.item, *v), req.version());
      }));
  r.add_prefix(
      bhttp::verb::put, prefix,
      keys.guard([caches](const request& req, request_context& ctx) -> asio::awaitable<response> {
        const auto p = parse_cache_path(ctx.path_rest);
        if (p.kind != "keys") co_return tags_allow_delete_only(req);
        const auto body = json_object_body(req);
        const auto eo = entry_options_of(body);
        const auto v = value_bytes(body);
        auto c = caches->get(p.name);
        co_await c->async_set(p.item, v, eo);
        response res{bhttp::status::no_content, req.version()};
        co_return res;
      }));
  r.add_prefix(
      bhttp::verb::delete_, prefix,
      keys.guard([caches](const request& req, request_context& ctx) -> asio::awaitable<response> {
        const auto p = parse_cache_path(ctx.path_rest);
        auto c = caches->get(p.name);
        std::string body;
        if (p.kind == "keys") {
          const bool deleted = co_await c->async_invalidate(p.item);
          body = fmt::format(R"({{"deleted":{}}})", deleted);
        } else {
          const auto n = co_await c->async_invalidate_tag(p.item);
          body = fmt::format(R"({{"deleted":{}}})", n);
        }
        co_return json_response(bhttp::status::ok, std::move(body), req.version());
      }));
  return [caches] { return caches->prometheus(); };
}

}  // namespace redkit::http
