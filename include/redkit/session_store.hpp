// Session authentication: opaque bearer tokens whose sessions live on a store (Redis or the
// engine), with a per-user cap, one session per device, idle and absolute timeouts, a request
// fingerprint, and rotation. Every write is one atomic script, one round trip. Validation is a
// read (one round trip), plus a script call when it must write: an access to record (at most
// once per touch_interval per session) or a session to destroy (strict fingerprint mismatch).
//
// Tokens are `<user tag>.<session id>.<secret>` in base64url (no padding): the user tag (128-bit
// BLAKE2b of the user id) names the user's hash slot, the session id (128 random bits) is the
// session's public name (what list() shows and revoke() takes; stable across rotate()), and the
// secret is 256 bits from libsodium's CSPRNG. The store holds only BLAKE2b-256 of the secret, so
// a dump of the store yields no usable token.
//
// Storage: one hash per user, `<prefix>:sess:{<user tag>}:sessions`, one field per session. Its
// TTL always follows the user's longest-lived session, and every script drops the dead sessions
// it meets, so list() and logout_all() see exactly the live sessions.
//
// Thread-safety: a session::store may be used from any number of threads and coroutines at once.
// Like an Asio I/O object, it must outlive its calls in flight; the string_view and reference
// arguments of the async_ calls must stay valid until the call completes (co_await it in the
// expression that makes it).
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::session {

using clock = std::chrono::system_clock;

/// Who logs in (as in the reference, plus the premium flag its rate limiter reads).
struct user {
  std::string id;  ///< 1-512 bytes, unique per user
  std::string email;
  std::vector<std::string> roles;
  bool premium = false;

  friend bool operator==(const user&, const user&) = default;
};

/// What a request tells about its client. The fingerprint is a hash of user agent and accept
/// language (the reference's); the rest is stored for list().
struct request_info {
  std::string user_agent;       ///< the User-Agent header
  std::string accept_language;  ///< the Accept-Language header
  std::string ip;               ///< the client's address (for list()); may be empty
};

/// What validate() does when a session is presented with another fingerprint.
enum class fingerprint_policy {
  strict,  ///< destroy the session and answer "no session" (the reference's; default)
  report,  ///< keep the session, count the mismatch and log it
  off,     ///< do not compare
};
std::string_view to_string(fingerprint_policy p) noexcept;
std::optional<fingerprint_policy> parse_fingerprint_policy(std::string_view name) noexcept;

struct options {
  /// First part of every key: `<prefix>:sess:{<user tag>}:sessions`. Default "rk".
  std::string prefix = "rk";
  /// Live sessions per user; a login beyond it evicts the least recently accessed. Default 5.
  std::size_t max_sessions = 5;
  /// A session dies this long after its last recorded access. Default 24 h (the reference's).
  std::chrono::milliseconds idle_timeout{std::chrono::hours(24)};
  /// ... and this long after login, however active. Default 7 days.
  std::chrono::milliseconds absolute_timeout{std::chrono::hours(24 * 7)};
  /// validate() records an access at most once per this interval per session, so validation
  /// is mostly a read (the idle timeout counts from the last recorded access, so it may end up
  /// to this much early). Must be shorter than idle_timeout. Default 60 s.
  std::chrono::milliseconds touch_interval{std::chrono::seconds(60)};
  /// Default strict, as in the reference.
  fingerprint_policy fingerprint = fingerprint_policy::strict;
  /// Deadline of each store call. Default 1 s.
  std::chrono::milliseconds timeout{1000};
  /// Where fingerprint mismatches (report policy) are logged. Default: a line on stderr.
  std::function<void(std::string_view)> log;
};

/// One live session, as validate() and list() return it.
struct session {
  std::string id;  ///< the public session id (not the token)
  struct user user;
  std::string device;  ///< the device id given at login, or the one generated for it
  clock::time_point created;
  clock::time_point last_access;  ///< the last recorded access (see options::touch_interval)
  clock::time_point expires_at;   ///< when it dies unless used: the idle or the absolute end
  std::string user_agent;         ///< at login
  std::string ip;                 ///< at login
  /// validate() with fingerprint_policy::report: the request's fingerprint differed.
  bool fingerprint_mismatch = false;
};

/// What login() and rotate() return.
struct issued {
  /// The bearer token: give it to the client (cookie or Authorization header), never log it.
  std::string token;
  std::string session_id;
  std::string device;  ///< the device id, generated when the login gave none
  clock::time_point expires_at;
  /// login(): the session this device had, now replaced; empty when none.
  std::string replaced;
  /// login(): sessions evicted to stay within max_sessions, least recently accessed first.
  std::vector<std::string> evicted;
};

struct metrics {
  std::uint64_t logins = 0;
  std::uint64_t replaced = 0;  ///< sessions replaced by a new login on their device
  std::uint64_t evicted = 0;   ///< sessions evicted by the cap
  std::uint64_t validations = 0;
  std::uint64_t valid = 0;  ///< validations that found a live session
  /// Validations that found the session timed out (a user's last session goes with its key,
  /// so its expiry reads as unknown, not here).
  std::uint64_t expired = 0;
  /// Validations whose fingerprint differed (strict: the session was destroyed).
  std::uint64_t fingerprint_mismatches = 0;
  std::uint64_t touches = 0;  ///< last-access writes
  std::uint64_t logouts = 0;  ///< sessions ended by logout, logout_all or revoke
  std::uint64_t rotations = 0;
  std::uint64_t store_errors = 0;  ///< calls that failed on the store (they raise)
};

/// What store::census() counts.
struct session_census {
  /// Users with sessions stored. Exact: a user's hash goes with its last live session.
  std::uint64_t users = 0;
  /// Sessions stored: the live ones, and dead ones that no call of their user has pruned yet
  /// (an upper bound of the live sessions).
  std::uint64_t sessions = 0;
  /// The most sessions stored for one user.
  std::uint64_t most_per_user = 0;
};

/// Sessions on a store. Store failures raise redkit::error: without its store a session can
/// be neither proven nor refused, and the caller (e.g. the server: 503) decides.
class store {
 public:
  /// Throws redkit::error(errc::invalid_argument) for bad options.
  explicit store(std::shared_ptr<redkit::store> s, options o = {});
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Creates a session for `u` on `device` (empty: a fresh device id is generated, never a
  /// shared slot), replacing the device's previous session and evicting the least recently
  /// accessed ones beyond max_sessions, atomically. Throws errc::invalid_argument for an
  /// empty or over-long user id, or a device id over 256 bytes.
  asio::awaitable<issued> async_login(const user& u, std::string_view device,
                                      const request_info& info);
  /// The live session `token` names, or nothing (unknown, malformed, expired, logged out,
  /// revoked, or its fingerprint differs under the strict policy). Records the access (at
  /// most once per touch_interval), which slides the idle timeout.
  asio::awaitable<std::optional<session>> async_validate(std::string_view token,
                                                         const request_info& info);
  /// Ends the session `token` names; false if it was not live.
  asio::awaitable<bool> async_logout(std::string_view token);
  /// Ends every session of `user_id`; returns how many were live.
  asio::awaitable<std::size_t> async_logout_all(std::string_view user_id);
  /// Gives every live session of `u.id` the user details `u` (e.g. premium after an upgrade),
  /// keeping their tokens and times; returns how many. Throws errc::invalid_argument for an
  /// empty or over-long user id.
  asio::awaitable<std::size_t> async_set_user(const user& u);
  /// Counts the users and stored sessions of this prefix by SCAN (MATCH on the session keys,
  /// COUNT 1000) and HLEN of each key found, one page per round trip: O(keys in the
  /// database), each call within options::timeout. Not a snapshot: sessions made or ended
  /// while it runs may be counted or not. For metrics, not for decisions.
  asio::awaitable<session_census> async_census();
  /// The live sessions of `user_id`, most recently accessed first.
  asio::awaitable<std::vector<session>> async_list(std::string_view user_id);
  /// Ends `user_id`'s session `session_id` (from list()); false if it was not live.
  asio::awaitable<bool> async_revoke(std::string_view user_id, std::string_view session_id);
  /// Gives the session `token` names a new token (the old one stops working at once), and,
  /// when `u` is given, new user details (same user id). Nothing if the session is not live.
  /// Records an access. Throws errc::invalid_argument if `u` has another id.
  asio::awaitable<std::optional<issued>> async_rotate(std::string_view token,
                                                      std::optional<user> u = std::nullopt);

  /// Blocking twins (not from the store's own I/O thread).
  issued login(const user& u, std::string_view device, const request_info& info);
  std::optional<session> validate(std::string_view token, const request_info& info);
  bool logout(std::string_view token);
  std::size_t logout_all(std::string_view user_id);
  std::size_t set_user(const user& u);
  session_census census();
  std::vector<session> list(std::string_view user_id);
  bool revoke(std::string_view user_id, std::string_view session_id);
  std::optional<issued> rotate(std::string_view token, std::optional<user> u = std::nullopt);

  /// The key that holds `user_id`'s sessions.
  std::string key(std::string_view user_id) const;
  /// A snapshot of the counters.
  struct metrics metrics() const;
  const options& config() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::session

namespace redkit {
using session_store = session::store;
}  // namespace redkit
