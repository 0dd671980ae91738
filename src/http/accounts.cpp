// See accounts.hpp.
#include "http/accounts.hpp"

#include <redkit/script.hpp>

#include <boost/json.hpp>

#include <fmt/core.h>

#include "script_reply.hpp"

#include <charconv>

namespace redkit::http::detail {

namespace json = boost::json;

namespace {

constexpr std::string_view blanks = " \t\r\n";
constexpr std::string_view forbidden = "\"(),:;<>[\\]{}";

bool labels_ok(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

error unexpected() {
  return redkit::detail::pattern_error(errc::unexpected_reply, "accounts",
                                       "malformed account record");
}

/// The roles field as stored: a JSON array of strings.
std::string roles_text(const std::vector<std::string>& roles) {
  json::array a;
  for (const auto& r : roles) a.emplace_back(r);
  return json::serialize(a);
}

/// An account from the fields id, email, password, roles, premium, created (HMGET's order);
/// nothing when the first is absent.
std::optional<account> account_of(const resp::reply& r) {
  const auto& e = redkit::detail::reply_array(r, "accounts");
  if (e.size() != 6) throw unexpected();
  if (e[0].is_null()) return std::nullopt;
  for (const auto& f : e) {
    if (!f.is_string()) throw unexpected();
  }
  account a;
  a.id = e[0].string;
  a.email = e[1].string;
  a.password_hash = e[2].string;
  json::error_code ec;
  const auto roles = json::parse(e[3].string, ec);
  if (ec || !roles.is_array()) throw unexpected();
  for (const auto& role : roles.get_array()) {
    if (role.is_string()) a.roles.emplace_back(role.get_string());
  }
  a.premium = e[4].string == "1";
  std::int64_t created = 0;
  const auto& c = e[5].string;
  if (std::from_chars(c.data(), c.data() + c.size(), created).ec != std::errc()) throw unexpected();
  a.created = redkit::detail::from_unix_ms(created);
  return a;
}

}  // namespace

std::optional<std::string> normalise_email(std::string_view email) {
  const auto first = email.find_first_not_of(blanks);
  if (first == std::string_view::npos) return std::nullopt;
  email = email.substr(first, email.find_last_not_of(blanks) - first + 1);
  if (email.size() > max_email_bytes) return std::nullopt;
  std::string out;
  out.reserve(email.size());
  for (const char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || forbidden.find(c) != std::string_view::npos) return std::nullopt;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const auto at = out.find('@');
  if (at == std::string::npos || at == 0 || at > 64 || out.find('@', at + 1) != std::string::npos) {
    return std::nullopt;
  }
  if (!labels_ok(std::string_view(out).substr(at + 1))) return std::nullopt;
  return out;
}

accounts::accounts(std::shared_ptr<store> s, std::string prefix, std::chrono::milliseconds timeout)
    : store_(std::move(s)), prefix_(std::move(prefix)), timeout_(timeout) {
  if (!store_) throw redkit::detail::pattern_error(errc::invalid_argument, "accounts", "no store");
}

std::string accounts::key(std::string_view email) const {
  return fmt::format("{}:user:{{{}}}:account", prefix_, email);
}

asio::awaitable<std::optional<session::clock::time_point>> accounts::async_create(
    const account& a) {
  std::vector<std::string> keys;
  keys.push_back(key(a.email));
  std::vector<std::string> args{a.id, a.email, a.password_hash, roles_text(a.roles),
                                a.premium ? "1" : "0"};
  const auto r = co_await store_->async_eval(script::embedded("auth/register"), std::move(keys),
                                             std::move(args), request_options{timeout_});
  const auto& e = redkit::detail::reply_array(r, "accounts");
  if (e.empty()) throw unexpected();
  if (redkit::detail::reply_integer(e[0], "accounts") != 1) co_return std::nullopt;
  if (e.size() != 2) throw unexpected();
  co_return redkit::detail::from_unix_ms(redkit::detail::reply_integer(e[1], "accounts"));
}

asio::awaitable<std::optional<account>> accounts::async_find(std::string email) {
  command cmd{"HMGET", key(email), "id", "email", "password", "roles", "premium", "created"};
  co_return account_of(co_await store_->async_exec(std::move(cmd), request_options{timeout_}));
}

asio::awaitable<std::optional<account>> accounts::async_update(
    std::string email, std::optional<std::vector<std::string>> roles, std::optional<bool> premium) {
  std::vector<std::string> keys;
  keys.push_back(key(email));
  std::vector<std::string> args{roles ? roles_text(*roles) : std::string(),
                                premium ? std::string(*premium ? "1" : "0") : std::string()};
  const auto r = co_await store_->async_eval(script::embedded("auth/update"), std::move(keys),
                                             std::move(args), request_options{timeout_});
  if (r.is_null()) co_return std::nullopt;
  co_return account_of(r);
}

}  // namespace redkit::http::detail
