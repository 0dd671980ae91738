// Framework-free HTTP helpers of the rate limiter: client address, identity, header fields and
// the 429 problem body.
#include <redkit/error.hpp>
#include <redkit/rate_limit_http.hpp>

#include "http_text.hpp"
#include "script_reply.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace redkit::rate_limit {
namespace {

namespace ip = asio::ip;

[[noreturn]] void invalid(const std::string& what) {
  throw error(make_error_code(errc::invalid_argument), what);
}

using detail::is_blank;
using detail::trim;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_port(std::string_view s) {
  unsigned value = 0;
  if (!all_digits(s) || s.size() > 5) return false;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value <= 65535;
}

std::optional<ip::address> make(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

ip::address unmap(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// Whether the first `prefix` bits of `a` and `b` agree.
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) noexcept {
  std::size_t whole = prefix / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

ip::address_v6 mask_v6(const ip::address_v6& a, unsigned prefix) {
  auto bytes = a.to_bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    unsigned keep = prefix > i * 8 ? std::min(8u, prefix - static_cast<unsigned>(i * 8)) : 0u;
    bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return ip::address_v6(bytes);
}

// Structured-field Integers hold at most 15 digits (RFC 9651 §3.3.1).
constexpr std::uint64_t sf_integer_max = 999'999'999'999'999;

// Whole seconds, rounded up; 0 for a non-positive duration.
std::uint64_t ceil_seconds(std::chrono::milliseconds d) {
  if (d.count() <= 0) return 0;
  return static_cast<std::uint64_t>(std::chrono::ceil<std::chrono::seconds>(d).count());
}

std::uint64_t retry_seconds(const decision& d) {
  return std::max<std::uint64_t>(1, ceil_seconds(d.retry_after));
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

std::optional<ip::address> parse_address(std::string_view text) {
  auto s = trim(text);
  if (s.empty()) return std::nullopt;
  std::string_view host = s;
  bool bracketed = false;
  if (s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    auto rest = s.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !valid_port(rest.substr(1)))) return std::nullopt;
    bracketed = true;
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    // One colon: IPv4 with a port (an IPv6 address has at least two).
    auto colon = s.find(':');
    if (!valid_port(s.substr(colon + 1))) return std::nullopt;
    host = s.substr(0, colon);
  }
  if (host.find(':') != std::string_view::npos) {
    // The zone id names an interface of the host that wrote it: useless to us, and asio would
    // look it up.
    auto zone = host.find('%');
    if (zone != std::string_view::npos) {
      if (zone + 1 == host.size()) return std::nullopt;
      host = host.substr(0, zone);
    }
  }
  auto a = make(host);
  if (!a || (bracketed && a->is_v4())) return std::nullopt;
  return unmap(*a);
}

proxy_trust::proxy_trust(std::initializer_list<std::string_view> networks) {
  for (auto n : networks) add(n);
}

proxy_trust::proxy_trust(std::span<const std::string> networks) {
  for (const auto& n : networks) add(n);
}

void proxy_trust::add(std::string_view network) {
  auto s = trim(network);
  auto slash = s.find('/');
  auto addr_text = s.substr(0, slash);
  if (addr_text.find_first_of("%[] \t") != std::string_view::npos)
    invalid("proxy_trust: bad network");
  auto a = make(addr_text);
  if (!a) invalid("proxy_trust: bad network address");
  unsigned max = a->is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto p = s.substr(slash + 1);
    if (!all_digits(p) || p.size() > 3) invalid("proxy_trust: bad prefix length");
    std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (prefix > max) invalid("proxy_trust: prefix length out of range");
  }
  if (a->is_v4()) {
    v4_.push_back(ip::network_v4(a->to_v4(), prefix).canonical());
  } else if (a->to_v6().is_v4_mapped() && prefix >= 96) {
    v4_.push_back(
        ip::network_v4(ip::make_address_v4(ip::v4_mapped, a->to_v6()), prefix - 96).canonical());
  } else {
    v6_.push_back(ip::network_v6(a->to_v6(), prefix).canonical());
  }
}

bool proxy_trust::trusts(const ip::address& address) const noexcept {
  auto a = unmap(address);
  if (a.is_v4()) {
    auto bytes = a.to_v4().to_bytes();
    return std::any_of(v4_.begin(), v4_.end(), [&](const ip::network_v4& n) {
      return same_prefix(bytes, n.network().to_bytes(), n.prefix_length());
    });
  }
  auto bytes = a.to_v6().to_bytes();
  return std::any_of(v6_.begin(), v6_.end(), [&](const ip::network_v6& n) {
    return same_prefix(bytes, n.network().to_bytes(), n.prefix_length());
  });
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const proxy_trust& trust) {
  auto peer_address = parse_address(peer);
  if (!peer_address) invalid("client_address: the peer is not an IP address");
  auto nearest = *peer_address;
  if (!trust.trusts(nearest)) return nearest.to_string();
  auto rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    auto entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (entry.empty()) continue;
    auto a = parse_address(entry);
    if (!a) break;
    nearest = *a;
    if (!trust.trusts(nearest)) break;
  }
  return nearest.to_string();
}

std::string identity_for_user(std::string_view user_id) {
  constexpr std::string_view prefix = "user:";
  if (user_id.empty()) invalid("identity_for_user: empty user id");
  if (prefix.size() + user_id.size() > 512) invalid("identity_for_user: user id too long");
  std::string out(prefix);
  out += user_id;
  return out;
}

std::string identity_for_address(std::string_view address, const identity_options& options) {
  if (options.ipv6_prefix < 1 || options.ipv6_prefix > 128)
    invalid("identity_for_address: ipv6_prefix out of range");
  auto a = parse_address(address);
  if (!a) invalid("identity_for_address: not an IP address");
  if (a->is_v4()) return "ip:" + a->to_string();
  return "ip:" + mask_v6(a->to_v6(), options.ipv6_prefix).to_string() + "/" +
         std::to_string(options.ipv6_prefix);
}

namespace {

void append_sf_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c >= 0x20 && c <= 0x7e) {
      out += c;
    } else {
      out += '?';
    }
  }
  out += '"';
}

// A structured-field Integer: `n`, capped at the 15 digits an Integer holds.
void append_sf_integer(std::string& out, std::uint64_t n) {
  detail::append_decimal(out, std::min(n, sf_integer_max));
}

}  // namespace

std::string sf_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_sf_string(out, text);
  return out;
}

void for_each_rate_limit_header(const decision& d, std::span<const policy> policies,
                                std::chrono::system_clock::time_point now,
                                const header_options& options, const header_sink& put) {
  // Values are built in one buffer per thread: no allocation once it has grown.
  thread_local std::string value;
  if (!d.policy.empty()) {
    if (options.legacy) {
      const auto reset =
          std::chrono::ceil<std::chrono::seconds>((now + d.reset_after).time_since_epoch());
      value.clear();
      detail::append_decimal(value, d.limit);
      put("X-RateLimit-Limit", value);
      value.clear();
      detail::append_decimal(value, d.remaining);
      put("X-RateLimit-Remaining", value);
      value.clear();
      detail::append_decimal(value, std::max<std::int64_t>(0, reset.count()));
      put("X-RateLimit-Reset", value);
    }
    if (options.draft) {
      // draft-ietf-httpapi-ratelimit-headers-11 (23 May 2026), §3 and §4: both fields are
      // structured-field Lists of String items with Integer parameters.
      value.clear();
      auto add_item = [&](std::string_view name, std::uint64_t limit) {
        if (!value.empty()) value += ", ";
        append_sf_string(value, name);
        value += ";q=";
        append_sf_integer(value, limit);
        auto p = std::find_if(policies.begin(), policies.end(),
                              [&](const policy& candidate) { return candidate.name == name; });
        if (p != policies.end()) {
          value += ";w=";
          append_sf_integer(value, std::max<std::uint64_t>(1, ceil_seconds(p->window)));
        }
      };
      bool deciding_listed = false;
      for (const auto& r : d.policies) {
        if (r.shadow) continue;
        add_item(r.policy, r.limit);
        deciding_listed = deciding_listed || r.policy == d.policy;
      }
      if (!deciding_listed) add_item(d.policy, d.limit);
      put("RateLimit-Policy", value);
      value.clear();
      append_sf_string(value, d.policy);
      value += ";r=";
      append_sf_integer(value, d.remaining);
      value += ";t=";
      append_sf_integer(value, ceil_seconds(d.reset_after));
      put("RateLimit", value);
    }
  }
  if (!d.allowed) {
    value.clear();
    detail::append_decimal(value, retry_seconds(d));
    put("Retry-After", value);
  }
}

header_fields rate_limit_headers(const decision& d, std::span<const policy> policies,
                                 std::chrono::system_clock::time_point now,
                                 const header_options& options) {
  header_fields out;
  for_each_rate_limit_header(d, policies, now, options,
                             [&](std::string_view name, std::string_view value) {
                               out.emplace_back(std::string(name), std::string(value));
                             });
  return out;
}

std::string problem_json(const decision& d, std::string_view detail) {
  auto seconds = retry_seconds(d);
  std::string default_detail;
  if (detail.empty()) {
    default_detail = "Too many requests";
    if (!d.policy.empty()) default_detail += " for policy " + d.policy;
    default_detail +=
        "; retry after " + std::to_string(seconds) + (seconds == 1 ? " second." : " seconds.");
    detail = default_detail;
  }
  std::string out = R"({"type":"about:blank","title":"Too Many Requests","status":429,"detail":)";
  append_json_string(out, detail);
  out += R"(,"error":"Too Many Requests","retryAfter":)";
  out += std::to_string(seconds);
  out += R"(,"policy":)";
  append_json_string(out, d.policy);
  out += '}';
  return out;
}

}  // namespace redkit::rate_limit
