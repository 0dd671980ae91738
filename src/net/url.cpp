// Parsing of store URLs (redis://, rediss://, unix://, memory://).
#include <redkit/store.hpp>

#include <charconv>
#include <string>

namespace redkit {
namespace {

[[noreturn]] void bad_url(const std::string& why) {
  throw error(make_error_code(errc::invalid_url), "invalid store URL: " + why);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, const char* what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) bad_url(std::string("bad %-escape in ") + what);
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) bad_url(std::string("bad %-escape in ") + what);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

int parse_db(std::string_view s) {
  int db = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), db);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || db < 0) {
    bad_url("database must be a non-negative integer, got '" + std::string(s) + "'");
  }
  return db;
}

// Reads "?db=N" style query parameters; only db is known.
void parse_query(std::string_view query, store_url& u) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    const auto eq = item.find('=');
    const auto key = item.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (key == "db") {
      u.db = parse_db(value);
    } else {
      bad_url("unknown parameter '" + std::string(key) + "'");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

store_url parse_store_url(std::string_view url) {
  store_url u;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) bad_url("missing scheme (expected e.g. redis://host:port)");
  u.scheme = std::string(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);

  if (u.scheme == "memory") {
    if (!rest.empty()) bad_url("memory:// takes no host or path");
    return u;
  }
  if (u.scheme == "unix") {
    const auto q = rest.find('?');
    u.path = percent_decode(rest.substr(0, q), "path");
    if (u.path.empty() || u.path.front() != '/') bad_url("unix:// needs an absolute path");
    if (q != std::string_view::npos) parse_query(rest.substr(q + 1), u);
    return u;
  }
  if (u.scheme != "redis" && u.scheme != "rediss") {
    bad_url("unknown scheme '" + u.scheme + "' (expected redis, rediss, unix or memory)");
  }
  u.tls = u.scheme == "rediss";

  const auto q = rest.find('?');
  std::string_view query;
  if (q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    u.db = parse_db(rest.substr(slash + 1));
  }

  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    u.user = percent_decode(userinfo.substr(0, colon), "user name");
    if (colon != std::string_view::npos) {
      u.password = percent_decode(userinfo.substr(colon + 1), "password");
    } else {
      // redis://secret@host: a lone userinfo is the password of the default user.
      u.password = std::move(u.user);
      u.user.clear();
    }
  }

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url("unterminated IPv6 literal");
    u.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_url("unexpected text after IPv6 literal");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) bad_url("missing host");
  if (!port.empty() || authority.ends_with(':')) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || p == 0 ||
        p > 65535) {
      bad_url("port must be 1-65535, got '" + std::string(port) + "'");
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  if (!query.empty()) parse_query(query, u);
  return u;
}

std::string store_url::redacted() const {
  if (scheme == "memory") return "memory://";
  if (scheme == "unix") return "unix://" + path + (db ? "?db=" + std::to_string(db) : "");
  std::string s = scheme + "://";
  if (!user.empty() || !password.empty()) {
    s += user;
    if (!password.empty()) s += ":***";
    s += '@';
  }
  s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  s += ':' + std::to_string(port);
  if (db) s += '/' + std::to_string(db);
  return s;
}

}  // namespace redkit
