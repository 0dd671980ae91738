// Session authentication on a store (see session_store.hpp): tokens and hashes (libsodium),
// the scripts under scripts/session/, and their replies turned into values.
#include <redkit/session_store.hpp>

#include <fmt/core.h>
#include <sodium.h>
#include <boost/json.hpp>

#include "blocking.hpp"
#include "script_reply.hpp"

#include <array>
#include <atomic>
#include <charconv>

namespace redkit::session {

namespace json = boost::json;
using detail::base64url;
using detail::from_unix_ms;

namespace {

error invalid(std::string_view what) {
  return detail::pattern_error(errc::invalid_argument, "session", what);
}

error unexpected(std::string_view what) {
  return detail::pattern_error(errc::unexpected_reply, "session", what);
}

// --- tokens and hashes -------------------------------------------------------------------------

constexpr std::size_t tag_bytes = 16;     // user tag: BLAKE2b-128 of the user id
constexpr std::size_t id_bytes = 16;      // session id: random
constexpr std::size_t secret_bytes = 32;  // the token's secret: random (256 bits)

constexpr std::size_t b64_length(std::size_t bytes) { return (bytes * 4 + 2) / 3; }

/// BLAKE2b of `data`, `bytes` long, in base64url.
std::string digest(std::string_view data, std::size_t bytes) {
  std::array<unsigned char, 32> out{};
  crypto_generichash(out.data(), bytes, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return base64url(out.data(), bytes);
}

bool is_base64url(std::string_view s) {
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

struct token_parts {
  std::string_view tag, id, secret;
};

/// `<tag>.<id>.<secret>`, each part of its exact length; nothing for anything else.
std::optional<token_parts> parse_token(std::string_view token) {
  constexpr auto tag_len = b64_length(tag_bytes), id_len = b64_length(id_bytes),
                 secret_len = b64_length(secret_bytes);
  if (token.size() != tag_len + 1 + id_len + 1 + secret_len) return std::nullopt;
  if (token[tag_len] != '.' || token[tag_len + 1 + id_len] != '.') return std::nullopt;
  token_parts p{token.substr(0, tag_len), token.substr(tag_len + 1, id_len),
                token.substr(tag_len + 1 + id_len + 1)};
  if (!is_base64url(p.tag) || !is_base64url(p.id) || !is_base64url(p.secret)) return std::nullopt;
  return p;
}

std::string fingerprint(const request_info& info) {
  std::string data = info.user_agent;
  data += '\n';
  data += info.accept_language;
  return digest(data, 16);
}

// --- meta: what the scripts store opaquely -----------------------------------------------------

void check_user(const user& u) {
  if (u.id.empty() || u.id.size() > 512) throw invalid("user id must be 1 to 512 bytes");
}

std::string user_json(const user& u) {
  json::array roles;
  for (const auto& r : u.roles) roles.emplace_back(r);
  return json::serialize(json::object{
      {"id", u.id}, {"email", u.email}, {"roles", std::move(roles)}, {"premium", u.premium}});
}

/// The scripts' opaque meta: the user's JSON, a newline (JSON text has none of its own), then
/// the login's JSON (device, user agent, ip), so rotate.lua can swap the user alone.
std::string make_meta(const user& u, std::string_view device, const request_info& info) {
  return user_json(u) + '\n' +
         json::serialize(
             json::object{{"device", device}, {"ua", info.user_agent}, {"ip", info.ip}});
}

std::string text_of(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) throw unexpected("malformed session record");
  return std::string(v->get_string());
}

json::object object_of(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) throw unexpected("malformed session record");
  return std::move(v.get_object());
}

/// A session from the meta text; id and times are filled in by the caller.
session parse_meta(std::string_view text) {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) throw unexpected("malformed session record");
  const auto u = object_of(text.substr(0, nl));
  const auto login = object_of(text.substr(nl + 1));
  session s;
  s.user.id = text_of(u, "id");
  s.user.email = text_of(u, "email");
  if (const auto* roles = u.if_contains("roles"); roles && roles->is_array()) {
    for (const auto& r : roles->get_array()) {
      if (r.is_string()) s.user.roles.emplace_back(r.get_string());
    }
  }
  if (const auto* p = u.if_contains("premium"); p && p->is_bool()) s.user.premium = p->get_bool();
  s.device = text_of(login, "device");
  s.user_agent = text_of(login, "ua");
  s.ip = text_of(login, "ip");
  return s;
}

// --- records: "<token hash> <device hash> <fingerprint> <created> <last access> <meta>" -----

struct record {
  std::string_view token_hash, device_hash, fingerprint;
  std::int64_t created = 0, last_access = 0;
  std::string_view meta;
};

std::optional<record> parse_record(std::string_view v) {
  std::string_view part[5];
  for (auto& p : part) {
    const auto blank = v.find(' ');
    if (blank == std::string_view::npos) return std::nullopt;
    p = v.substr(0, blank);
    v.remove_prefix(blank + 1);
  }
  record r{part[0], part[1], part[2], 0, 0, v};
  for (auto [text, out] : {std::pair{part[3], &r.created}, std::pair{part[4], &r.last_access}}) {
    const auto end = text.data() + text.size();
    if (std::from_chars(text.data(), end, *out).ptr != end) return std::nullopt;
  }
  return r;
}

/// Token hashes compared in constant time.
bool same_hash(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// --- replies -----------------------------------------------------------------------------------

const std::vector<resp::reply>& array_of(const resp::reply& r) {
  return detail::reply_array(r, "session");
}
std::int64_t integer_of(const resp::reply& r) { return detail::reply_integer(r, "session"); }
const std::string& string_of(const resp::reply& r) { return detail::reply_string(r, "session"); }

/// TIME's reply in ms.
std::int64_t time_ms(const resp::reply& r) {
  const auto& e = array_of(r);
  std::int64_t sec = 0, usec = 0;
  if (e.size() != 2 || !e[0].is_string() || !e[1].is_string() ||
      std::from_chars(e[0].string.data(), e[0].string.data() + e[0].string.size(), sec).ec !=
          std::errc() ||
      std::from_chars(e[1].string.data(), e[1].string.data() + e[1].string.size(), usec).ec !=
          std::errc()) {
    throw unexpected("unexpected reply to TIME");
  }
  return sec * 1000 + usec / 1000;
}

}  // namespace

std::string_view to_string(fingerprint_policy p) noexcept {
  switch (p) {
    case fingerprint_policy::strict:
      return "strict";
    case fingerprint_policy::report:
      return "report";
    case fingerprint_policy::off:
      return "off";
  }
  return "strict";
}

std::optional<fingerprint_policy> parse_fingerprint_policy(std::string_view name) noexcept {
  for (auto p : {fingerprint_policy::strict, fingerprint_policy::report, fingerprint_policy::off}) {
    if (name == to_string(p)) return p;
  }
  return std::nullopt;
}

// -----------------------------------------------------------------------------------------------

struct store::impl {
  impl(std::shared_ptr<redkit::store> s, options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        login_(script::embedded("session/login")),
        validate_(script::embedded("session/validate")),
        remove_(script::embedded("session/remove")),
        remove_all_(script::embedded("session/remove_all")),
        list_(script::embedded("session/list")),
        rotate_(script::embedded("session/rotate")),
        set_user_(script::embedded("session/set_user")) {
    if (!store_) throw invalid("no store");
    if (opts_.max_sessions == 0) throw invalid("max_sessions must be at least 1");
    if (opts_.idle_timeout.count() <= 0) throw invalid("idle_timeout must be positive");
    if (opts_.absolute_timeout.count() <= 0) throw invalid("absolute_timeout must be positive");
    if (opts_.touch_interval.count() < 0 || opts_.touch_interval >= opts_.idle_timeout) {
      throw invalid("touch_interval must be at least 0 and shorter than idle_timeout");
    }
    if (opts_.timeout.count() <= 0) throw invalid("timeout must be positive");
    if (!opts_.log) {
      opts_.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
    }
  }

  std::string key_of_tag(std::string_view tag) const {
    return fmt::format("{}:sess:{{{}}}:sessions", opts_.prefix, tag);
  }
  std::string key(std::string_view user_id) const { return key_of_tag(digest(user_id, tag_bytes)); }

  std::string idle() const { return detail::decimal(opts_.idle_timeout.count()); }
  std::string absolute() const { return detail::decimal(opts_.absolute_timeout.count()); }

  asio::awaitable<resp::reply> eval(const script& s, std::string key,
                                    std::vector<std::string> args) {
    std::vector<std::string> keys;  // (not a braced list: g++ 12 miscompiles it in co_await)
    keys.push_back(std::move(key));
    try {
      co_return co_await store_->async_eval(s, std::move(keys), std::move(args),
                                            request_options{opts_.timeout});
    } catch (...) {
      ++m_.store_errors;
      throw;
    }
  }

  /// Runs `cmds` in one round trip; an error reply raises.
  asio::awaitable<std::vector<resp::reply>> pipeline(std::vector<command> cmds) {
    try {
      auto replies =
          co_await store_->async_pipeline(std::move(cmds), request_options{opts_.timeout});
      for (const auto& r : replies) {
        if (r.is_error()) throw server_error(r.string, "session read");
      }
      co_return replies;
    } catch (...) {
      ++m_.store_errors;
      throw;
    }
  }

  asio::awaitable<issued> login(const user& u, std::string_view device_in,
                                const request_info& info) {
    check_user(u);
    if (device_in.size() > 256) throw invalid("device id must be at most 256 bytes");
    issued out;
    out.device = device_in.empty() ? "dev-" + detail::random_base64url(16) : std::string(device_in);
    const auto tag = digest(u.id, tag_bytes);
    const auto meta = make_meta(u, out.device, info);
    const auto device_hash = digest(out.device, 16);
    const auto fp = fingerprint(info);
    for (int attempt = 0;; ++attempt) {
      out.session_id = detail::random_base64url(id_bytes);
      const auto secret = detail::random_base64url(secret_bytes);
      std::vector<std::string> args{
          out.session_id, digest(secret, 32),
          device_hash,    fp,
          meta,           detail::decimal(static_cast<std::int64_t>(opts_.max_sessions)),
          idle(),         absolute()};
      const auto r = co_await eval(login_, key_of_tag(tag), std::move(args));
      const auto& e = array_of(r);
      if (e.size() == 1 && integer_of(e[0]) == -1 && attempt < 3) continue;  // id taken
      if (e.size() < 3) throw unexpected("unexpected reply from session/login");
      out.token = fmt::format("{}.{}.{}", tag, out.session_id, secret);
      out.expires_at = from_unix_ms(integer_of(e[1]));
      out.replaced = string_of(e[2]);
      for (std::size_t i = 3; i < e.size(); ++i) out.evicted.push_back(string_of(e[i]));
      break;
    }
    ++m_.logins;
    if (!out.replaced.empty()) ++m_.replaced;
    m_.evicted += out.evicted.size();
    co_return out;
  }

  /// Validation is a read (HGET of the session and TIME, one round trip) unless it must write:
  /// an access to record (once per touch_interval) or a strict fingerprint mismatch. Then
  /// validate.lua decides again, atomically.
  // g++ 12 takes Asio's aligned frame allocation and its matching release for a mismatch here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
  asio::awaitable<std::optional<session>> validate(std::string_view token,
                                                   const request_info& info) {
    ++m_.validations;
    const auto t = parse_token(token);
    if (!t) co_return std::nullopt;
    auto key = key_of_tag(t->tag);
    auto token_hash = digest(t->secret, 32);
    auto fp = fingerprint(info);
    std::vector<command> read;
    read.emplace_back("HGET", key, t->id);
    read.emplace_back("TIME");
    const auto replies = co_await pipeline(std::move(read));
    if (replies[0].is_null()) co_return std::nullopt;
    const auto rec = parse_record(string_of(replies[0]));
    if (!rec || !same_hash(rec->token_hash, token_hash)) co_return std::nullopt;
    const auto now = time_ms(replies[1]);
    const auto deadline = std::min(rec->last_access + opts_.idle_timeout.count(),
                                   rec->created + opts_.absolute_timeout.count());
    if (now >= deadline) {
      ++m_.expired;  // dropped by the next script that meets it
      co_return std::nullopt;
    }
    const bool mismatch = opts_.fingerprint != fingerprint_policy::off && rec->fingerprint != fp;
    if ((mismatch && opts_.fingerprint == fingerprint_policy::strict) ||
        now - rec->last_access >= opts_.touch_interval.count()) {
      co_return co_await validate_and_write(std::move(key), t->id, std::move(token_hash),
                                            std::move(fp));
    }
    auto s = parse_meta(rec->meta);
    s.id = t->id;
    s.created = from_unix_ms(rec->created);
    s.last_access = from_unix_ms(rec->last_access);
    s.expires_at = from_unix_ms(deadline);
    co_return found(std::move(s), mismatch);
  }
#pragma GCC diagnostic pop

  asio::awaitable<std::optional<session>> validate_and_write(std::string key, std::string_view id,
                                                             std::string token_hash,
                                                             std::string fp) {
    const auto policy = opts_.fingerprint == fingerprint_policy::off      ? "0"
                        : opts_.fingerprint == fingerprint_policy::report ? "1"
                                                                          : "2";
    std::vector<std::string> args{std::string(id),
                                  std::move(token_hash),
                                  std::move(fp),
                                  policy,
                                  idle(),
                                  absolute(),
                                  detail::decimal(opts_.touch_interval.count())};
    const auto r = co_await eval(validate_, std::move(key), std::move(args));
    const auto& e = array_of(r);
    if (e.empty()) throw unexpected("unexpected reply from session/validate");
    switch (integer_of(e[0])) {
      case 1:
        break;
      case -1:
        ++m_.expired;
        co_return std::nullopt;
      case -2:
        ++m_.fingerprint_mismatches;
        co_return std::nullopt;
      default:
        co_return std::nullopt;
    }
    if (e.size() != 7) throw unexpected("unexpected reply from session/validate");
    auto s = parse_meta(string_of(e[6]));
    s.id = id;
    s.created = from_unix_ms(integer_of(e[3]));
    s.last_access = from_unix_ms(integer_of(e[4]));
    s.expires_at = from_unix_ms(integer_of(e[5]));
    if (integer_of(e[2]) == 1) ++m_.touches;
    co_return found(std::move(s), integer_of(e[1]) == 1);
  }

  /// Counts a validation that found `s`, and reports a fingerprint mismatch (report policy).
  std::optional<session> found(session s, bool mismatch) {
    s.fingerprint_mismatch = mismatch;
    if (mismatch) {
      ++m_.fingerprint_mismatches;
      opts_.log(
          fmt::format("session: fingerprint mismatch on session {} (kept: policy report)", s.id));
    }
    ++m_.valid;
    return s;
  }

  asio::awaitable<bool> remove(std::string key, std::string_view id, std::string token_hash) {
    std::vector<std::string> args{std::string(id), std::move(token_hash), idle(), absolute()};
    const auto r = co_await eval(remove_, std::move(key), std::move(args));
    const bool ended = integer_of(r) == 1;
    if (ended) ++m_.logouts;
    co_return ended;
  }

  asio::awaitable<bool> logout(std::string_view token) {
    const auto t = parse_token(token);
    if (!t) co_return false;
    co_return co_await remove(key_of_tag(t->tag), t->id, digest(t->secret, 32));
  }

  asio::awaitable<bool> revoke(std::string_view user_id, std::string_view session_id) {
    if (user_id.empty() || user_id.size() > 512) throw invalid("user id must be 1 to 512 bytes");
    if (session_id.size() != b64_length(id_bytes) || !is_base64url(session_id)) co_return false;
    co_return co_await remove(key(user_id), session_id, "");
  }

  asio::awaitable<std::size_t> logout_all(std::string_view user_id) {
    if (user_id.empty() || user_id.size() > 512) throw invalid("user id must be 1 to 512 bytes");
    std::vector<std::string> args{idle(), absolute()};
    const auto n = integer_of(co_await eval(remove_all_, key(user_id), std::move(args)));
    m_.logouts += static_cast<std::uint64_t>(n);
    co_return static_cast<std::size_t>(n);
  }

  asio::awaitable<std::size_t> set_user(const user& u) {
    check_user(u);
    std::vector<std::string> args{user_json(u), idle(), absolute()};
    co_return static_cast<std::size_t>(
        integer_of(co_await eval(set_user_, key(u.id), std::move(args))));
  }

  asio::awaitable<session_census> census() {
    session_census out;
    std::string pattern;  // the prefix with glob characters escaped, then the keys' shape
    for (const char c : opts_.prefix) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += ":sess:{*}:sessions";
    std::string cursor = "0";
    do {
      std::vector<command> scan;
      scan.push_back(command{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "hash"});
      const auto page = co_await pipeline(std::move(scan));
      const auto& e = array_of(page.at(0));
      if (e.size() != 2) throw unexpected("unexpected reply from SCAN");
      cursor = string_of(e[0]);
      std::vector<command> lengths;
      for (const auto& key : array_of(e[1])) lengths.push_back(command{"HLEN", string_of(key)});
      if (lengths.empty()) continue;
      const auto counts = co_await pipeline(std::move(lengths));
      for (const auto& n : counts) {
        const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer_of(n)));
        if (v == 0) continue;  // expired since the SCAN
        ++out.users;
        out.sessions += v;
        out.most_per_user = std::max(out.most_per_user, v);
      }
    } while (cursor != "0");
    co_return out;
  }

  asio::awaitable<std::vector<session>> list(std::string_view user_id) {
    if (user_id.empty() || user_id.size() > 512) throw invalid("user id must be 1 to 512 bytes");
    std::vector<std::string> args{idle(), absolute()};
    const auto r = co_await eval(list_, key(user_id), std::move(args));
    const auto& e = array_of(r);
    if (e.size() % 5 != 0) throw unexpected("unexpected reply from session/list");
    std::vector<session> out;
    out.reserve(e.size() / 5);
    for (std::size_t i = 0; i < e.size(); i += 5) {
      auto s = parse_meta(string_of(e[i + 4]));
      s.id = string_of(e[i]);
      s.created = from_unix_ms(integer_of(e[i + 1]));
      s.last_access = from_unix_ms(integer_of(e[i + 2]));
      s.expires_at = from_unix_ms(integer_of(e[i + 3]));
      out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const session& a, const session& b) {
      return a.last_access != b.last_access ? a.last_access > b.last_access : a.id < b.id;
    });
    co_return out;
  }

  asio::awaitable<std::optional<issued>> rotate(std::string_view token, std::optional<user> u) {
    const auto t = parse_token(token);
    if (u) {
      check_user(*u);
      // (A malformed token names no session: nothing, as for any session that is not live.)
      if (t && digest(u->id, tag_bytes) != t->tag) {
        throw invalid("rotate: the new user details must keep the session's user id");
      }
    }
    if (!t) co_return std::nullopt;
    const auto new_user = u ? user_json(*u) : std::string();
    const auto secret = detail::random_base64url(secret_bytes);
    std::vector<std::string> args{
        std::string(t->id), digest(t->secret, 32), digest(secret, 32), new_user, idle(),
        absolute()};
    const auto r = co_await eval(rotate_, key_of_tag(t->tag), std::move(args));
    const auto& e = array_of(r);
    if (e.empty()) throw unexpected("unexpected reply from session/rotate");
    if (integer_of(e[0]) != 1) co_return std::nullopt;
    if (e.size() != 4) throw unexpected("unexpected reply from session/rotate");
    issued out;
    out.token = fmt::format("{}.{}.{}", t->tag, t->id, secret);
    out.session_id = t->id;
    out.device = parse_meta(string_of(e[3])).device;
    out.expires_at = from_unix_ms(integer_of(e[2]));
    ++m_.rotations;
    co_return out;
  }

  struct counters {
    std::atomic<std::uint64_t> logins{0}, replaced{0}, evicted{0}, validations{0}, valid{0},
        expired{0}, fingerprint_mismatches{0}, touches{0}, logouts{0}, rotations{0},
        store_errors{0};
  };

  struct metrics snapshot() const {
    struct metrics out;
    out.logins = m_.logins;
    out.replaced = m_.replaced;
    out.evicted = m_.evicted;
    out.validations = m_.validations;
    out.valid = m_.valid;
    out.expired = m_.expired;
    out.fingerprint_mismatches = m_.fingerprint_mismatches;
    out.touches = m_.touches;
    out.logouts = m_.logouts;
    out.rotations = m_.rotations;
    out.store_errors = m_.store_errors;
    return out;
  }

  const std::shared_ptr<redkit::store> store_;
  options opts_;
  const script& login_;
  const script& validate_;
  const script& remove_;
  const script& remove_all_;
  const script& list_;
  const script& rotate_;
  const script& set_user_;
  counters m_;
};

// -----------------------------------------------------------------------------------------------

store::store(std::shared_ptr<redkit::store> s, options o)
    : impl_(std::make_shared<impl>(std::move(s), std::move(o))) {}

store::~store() = default;

asio::awaitable<issued> store::async_login(const user& u, std::string_view device,
                                           const request_info& info) {
  return impl_->login(u, device, info);
}

asio::awaitable<std::optional<session>> store::async_validate(std::string_view token,
                                                              const request_info& info) {
  return impl_->validate(token, info);
}

asio::awaitable<bool> store::async_logout(std::string_view token) { return impl_->logout(token); }

asio::awaitable<session_census> store::async_census() { return impl_->census(); }

asio::awaitable<std::size_t> store::async_set_user(const user& u) { return impl_->set_user(u); }

asio::awaitable<std::size_t> store::async_logout_all(std::string_view user_id) {
  return impl_->logout_all(user_id);
}

asio::awaitable<std::vector<session>> store::async_list(std::string_view user_id) {
  return impl_->list(user_id);
}

asio::awaitable<bool> store::async_revoke(std::string_view user_id, std::string_view session_id) {
  return impl_->revoke(user_id, session_id);
}

asio::awaitable<std::optional<issued>> store::async_rotate(std::string_view token,
                                                           std::optional<user> u) {
  return impl_->rotate(token, std::move(u));
}

namespace {
template <typename T, typename Make>
T blocking(redkit::store& s, std::string_view call, Make make) {
  return detail::run_blocking<T>(s, "session", call, make);
}
}  // namespace

issued store::login(const user& u, std::string_view device, const request_info& info) {
  return blocking<issued>(*impl_->store_, "login", [&] { return impl_->login(u, device, info); });
}

std::optional<session> store::validate(std::string_view token, const request_info& info) {
  return blocking<std::optional<session>>(*impl_->store_, "validate",
                                          [&] { return impl_->validate(token, info); });
}

bool store::logout(std::string_view token) {
  return blocking<bool>(*impl_->store_, "logout", [&] { return impl_->logout(token); });
}

std::size_t store::logout_all(std::string_view user_id) {
  return blocking<std::size_t>(*impl_->store_, "logout_all",
                               [&] { return impl_->logout_all(user_id); });
}

std::size_t store::set_user(const user& u) {
  return blocking<std::size_t>(*impl_->store_, "set_user", [&] { return impl_->set_user(u); });
}

session_census store::census() {
  return blocking<session_census>(*impl_->store_, "census", [&] { return impl_->census(); });
}

std::vector<session> store::list(std::string_view user_id) {
  return blocking<std::vector<session>>(*impl_->store_, "list",
                                        [&] { return impl_->list(user_id); });
}

bool store::revoke(std::string_view user_id, std::string_view session_id) {
  return blocking<bool>(*impl_->store_, "revoke",
                        [&] { return impl_->revoke(user_id, session_id); });
}

std::optional<issued> store::rotate(std::string_view token, std::optional<user> u) {
  return blocking<std::optional<issued>>(*impl_->store_, "rotate",
                                         [&] { return impl_->rotate(token, std::move(u)); });
}

std::string store::key(std::string_view user_id) const { return impl_->key(user_id); }

struct metrics store::metrics() const {
  return impl_->snapshot();
}

const options& store::config() const noexcept { return impl_->opts_; }

}  // namespace redkit::session
