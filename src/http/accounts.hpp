// The accounts behind /auth/register and /auth/login: one hash per normalised email on the
// store, `<prefix>:user:{<email>}:account` (fields id, email, password, roles, premium,
// created), created atomically by scripts/auth/register.lua so one email gets one account.
// Thread-safety: an accounts object may be used from any number of threads and coroutines; it
// must outlive its calls in flight.
#pragma once

#include <redkit/session_store.hpp>
#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::http::detail {

/// Longest email accepted (RFC 5321's path limit less the brackets).
inline constexpr std::size_t max_email_bytes = 254;

/// `email` trimmed of blanks and with ASCII letters lower-cased, or nothing when the result is
/// not an address we accept: at most 254 bytes, one '@' between a local part of 1-64 bytes
/// and a domain of dot-separated non-empty labels, no blanks, control bytes or any of
/// `"(),:;<>[\]{}` (bytes above 0x7F, UTF-8 text, are kept as they are).
std::optional<std::string> normalise_email(std::string_view email);

/// One account.
struct account {
  std::string id;  ///< random, what sessions and the rate limiter name the user by
  std::string email;
  std::string password_hash;  ///< libsodium's argon2id string
  std::vector<std::string> roles;
  bool premium = false;
  session::clock::time_point created;

  /// The account as a session's user.
  session::user user() const { return {id, email, roles, premium}; }
};

class accounts {
 public:
  /// Accounts under `prefix`, each store call with deadline `timeout`.
  accounts(std::shared_ptr<store> s, std::string prefix, std::chrono::milliseconds timeout);

  /// The key of the account of `email` (normalised).
  std::string key(std::string_view email) const;
  /// Creates `a` (email normalised) unless its email has an account, atomically. Returns its
  /// creation time (the store's clock), or nothing when the email is taken. Store failures
  /// raise redkit::error.
  asio::awaitable<std::optional<session::clock::time_point>> async_create(const account& a);
  /// The account of `email` (normalised), or nothing. Store failures raise redkit::error.
  asio::awaitable<std::optional<account>> async_find(std::string email);
  /// Sets the roles and the premium flag given (the others are kept) of the account of `email`
  /// (normalised), atomically; the account as it is then, or nothing when there is none.
  /// Store failures raise redkit::error.
  asio::awaitable<std::optional<account>> async_update(
      std::string email, std::optional<std::vector<std::string>> roles,
      std::optional<bool> premium);

 private:
  std::shared_ptr<store> store_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
};

}  // namespace redkit::http::detail
