// The HTTP side of rate limiting, free of any HTTP framework (plain strings in, plain strings
// out): the client's address behind trusted proxies (X-Forwarded-For), the identity a request
// is limited under, the rate-limit response header fields (the reference's X-RateLimit-* and
// the IETF draft's RateLimit-Policy / RateLimit), and the RFC 9457 body of a 429 response.
// Thread-safety: everything here is a pure function or a value; a proxy_trust may be read from
// any number of threads at once once it is built (adding networks needs exclusive access).
#pragma once

#include <redkit/rate_limiter.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redkit::rate_limit {

/// Parses one address as it appears in a peer endpoint or an X-Forwarded-For entry: IPv4 or
/// IPv6, optionally with a port ("1.2.3.4:5678", "[2001:db8::1]:443"), brackets ("[::1]"), a
/// zone id ("fe80::1%eth0", dropped) and surrounding blanks. IPv4-mapped IPv6 addresses
/// ("::ffff:1.2.3.4") come back as IPv4. Returns nothing for anything else (host names,
/// "unknown", garbage).
std::optional<asio::ip::address> parse_address(std::string_view text);

/// The networks whose addresses are our own reverse proxies: only they may tell us, through
/// X-Forwarded-For, whom they forwarded for. Empty by default (trust no one).
class proxy_trust {
 public:
  /// Trusts nothing.
  proxy_trust() = default;
  /// Trusts each of `networks` (see add()). Throws redkit::error(errc::invalid_argument).
  proxy_trust(std::initializer_list<std::string_view> networks);
  /// Same, from a configuration list.
  explicit proxy_trust(std::span<const std::string> networks);

  /// Trusts one network in CIDR notation, "10.0.0.0/8" or "2001:db8::/32"; a bare address
  /// ("127.0.0.1", "::1") is a /32 or /128 network. Host bits below the prefix are ignored
  /// ("10.1.2.3/8" is 10.0.0.0/8); IPv4-mapped networks ("::ffff:10.0.0.0/104") become IPv4.
  /// Throws redkit::error(errc::invalid_argument) for anything else (bad address, prefix out
  /// of range, port, zone id, blanks inside).
  void add(std::string_view network);

  /// Whether `address` lies in one of the trusted networks (an IPv4-mapped IPv6 address is
  /// compared as IPv4).
  bool trusts(const asio::ip::address& address) const noexcept;
  /// Whether nothing is trusted.
  bool empty() const noexcept { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<asio::ip::network_v4> v4_;
  std::vector<asio::ip::network_v6> v6_;
};

/// The address of the client behind a request that came from `peer` (the TCP peer, in any form
/// parse_address() accepts) carrying `forwarded_for` (the X-Forwarded-For value, "" if absent;
/// repeated headers joined with ", "). An untrusted peer is the client itself: its
/// X-Forwarded-For is ignored, since any client can forge it. Behind a trusted peer the entries
/// are walked from the right (the nearest hop first), skipping trusted addresses; the first
/// untrusted one is the client, and if all are trusted the leftmost is. Empty entries are
/// skipped. An entry that cannot be parsed stops the walk: the client is then the nearest
/// address we could parse (the trusted hop that wrote the bad entry), so a garbled chain
/// groups its clients under that proxy instead of letting anyone pick an address.
/// Returns the address in canonical text form ("203.0.113.7", "2001:db8::1"; IPv4-mapped
/// addresses as IPv4, no port, brackets or zone id).
/// Throws redkit::error(errc::invalid_argument) when `peer` is not an address.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const proxy_trust& trust);

struct identity_options {
  /// IPv6 clients are limited per network of this prefix length, 1 to 128, since one client
  /// usually holds a whole /64 and could otherwise rotate addresses within it. Default 64.
  unsigned ipv6_prefix = 64;
};

/// The identity of an authenticated user: "user:<user_id>".
/// Throws redkit::error(errc::invalid_argument) if `user_id` is empty or the identity would
/// be longer than the limiter's 512 bytes.
std::string identity_for_user(std::string_view user_id);

/// The identity of an anonymous client at `address` (any form parse_address() accepts):
/// "ip:203.0.113.7" for IPv4 (and IPv4-mapped IPv6), "ip:2001:db8:1:2::/64" for IPv6 (the
/// network of `options.ipv6_prefix` bits that holds the address, in asio's canonical form).
/// Throws redkit::error(errc::invalid_argument) for an unparsable address or a prefix outside
/// 1..128.
std::string identity_for_address(std::string_view address, const identity_options& options = {});

struct header_options {
  /// The reference's X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (UNIX
  /// time in seconds). Default on.
  bool legacy = true;
  /// The IETF draft's RateLimit-Policy and RateLimit fields. Default on.
  bool draft = true;
};

/// Response header fields, name then value, in the order they should be sent.
using header_fields = std::vector<std::pair<std::string, std::string>>;

/// The rate-limit header fields for a response to a request that got decision `d`, at `now`.
/// `policies` are the policies the request was checked against (they give each policy's
/// window, matched by name; a policy not found is listed without a window).
/// Legacy fields describe the deciding policy: X-RateLimit-Limit, X-RateLimit-Remaining and
/// X-RateLimit-Reset (ceil of now + reset_after, in UNIX seconds).
/// Draft fields (draft-ietf-httpapi-ratelimit-headers-11): RateLimit-Policy lists every
/// enforced policy of `d.policies` plus the deciding one, `"name";q=<limit>;w=<window s>`
/// (shadow policies are left out: clients must not throttle to a limit that is not enforced);
/// RateLimit gives the deciding policy, `"name";r=<remaining>;t=<reset s>`. Seconds round up.
/// A decision without a deciding policy (fail open or closed) gets neither legacy nor draft
/// fields. Retry-After (delta-seconds, rounded up, at least 1) is added whenever `d` denies,
/// whatever the options. Raises nothing.
header_fields rate_limit_headers(const decision& d, std::span<const policy> policies,
                                 std::chrono::system_clock::time_point now,
                                 const header_options& options = {});

/// Receives one header field; the views are valid until it returns.
using header_sink = std::function<void(std::string_view name, std::string_view value)>;

/// rate_limit_headers' fields, in the same order, each given to `put` instead of collected:
/// what a server on the hot path calls (no allocation of its own once warm).
void for_each_rate_limit_header(const decision& d, std::span<const policy> policies,
                                std::chrono::system_clock::time_point now,
                                const header_options& options, const header_sink& put);

/// Serializes `text` as a structured-field String (RFC 8941 / RFC 9651 §4.1.6): quoted, with
/// `"` and `\` escaped. Characters a String cannot hold (controls, non-ASCII) become '?', so
/// the result is always a valid field value.
std::string sf_string(std::string_view text);

/// The media type of problem_json()'s text.
inline constexpr std::string_view problem_content_type = "application/problem+json";

/// The RFC 9457 problem details of a 429 response for decision `d`:
/// {"type":"about:blank","title":"Too Many Requests","status":429,"detail":...,
///  "error":"Too Many Requests","retryAfter":<seconds>,"policy":<d.policy>}
/// `error` and `retryAfter` are the reference's body fields; retryAfter is d.retry_after
/// rounded up to whole seconds, at least 1 (as Retry-After). `detail` defaults to a sentence
/// naming the policy and the wait; a given one must be UTF-8. Raises nothing.
std::string problem_json(const decision& d, std::string_view detail = {});

}  // namespace redkit::rate_limit
