// See password_hasher.hpp.
#include "http/password_hasher.hpp"

#include <redkit/error.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace redkit::http {

std::string_view to_string(password_cost c) noexcept {
  switch (c) {
    case password_cost::min:
      return "min";
    case password_cost::interactive:
      return "interactive";
    case password_cost::moderate:
      return "moderate";
    case password_cost::sensitive:
      return "sensitive";
  }
  return "interactive";
}

std::optional<password_cost> parse_password_cost(std::string_view name) noexcept {
  for (auto c : {password_cost::min, password_cost::interactive, password_cost::moderate,
                 password_cost::sensitive}) {
    if (name == to_string(c)) return c;
  }
  return std::nullopt;
}

namespace detail {
namespace {

struct limits {
  unsigned long long ops;
  std::size_t mem;
};

limits limits_of(password_cost c) {
  switch (c) {
    case password_cost::min:
      return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    case password_cost::interactive:
      break;
    case password_cost::moderate:
      return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
    case password_cost::sensitive:
      return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
  }
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

std::string hash_now(const std::string& password, unsigned long long ops, std::size_t mem) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hash failed: out of memory");
  }
  return std::string(out.data());
}

/// Gives back a queue place when the coroutine that took it ends, however it ends.
struct release {
  std::shared_ptr<std::atomic<std::size_t>> pending;
  ~release() { pending->fetch_sub(1); }
};

}  // namespace

password_hasher::password_hasher(password_cost cost, unsigned threads, std::size_t queue)
    : limit_(threads + queue),
      pending_(std::make_shared<std::atomic<std::size_t>>(0)),
      pool_(threads == 0 ? 1 : threads) {
  if (threads == 0) {
    throw error(make_error_code(errc::invalid_argument), "password hashing needs a thread");
  }
  if (sodium_init() < 0) {
    throw error(make_error_code(errc::invalid_argument), "libsodium failed to start");
  }
  const auto l = limits_of(cost);
  opslimit_ = l.ops;
  memlimit_ = l.mem;
  std::array<unsigned char, 32> random{};
  randombytes_buf(random.data(), random.size());
  dummy_ = hash_now(std::string(reinterpret_cast<const char*>(random.data()), random.size()),
                    opslimit_, memlimit_);
}

password_hasher::~password_hasher() { pool_.join(); }

void password_hasher::stop() {
  stopped_ = true;
  pool_.join();
}

void password_hasher::check_running() const {
  if (stopped_) throw problem_error(bhttp::status::service_unavailable, "the server is stopping");
}

void password_hasher::reserve() {
  check_running();
  if (pending_->fetch_add(1) >= limit_) {
    pending_->fetch_sub(1);
    ++rejected_;
    throw problem_error(bhttp::status::service_unavailable,
                        "too many password checks in progress; retry in a moment");
  }
}

asio::awaitable<std::string> password_hasher::async_hash(std::string password) {
  reserve();
  const release guard{pending_};
  auto work = [this, password = std::move(password)]() -> asio::awaitable<std::string> {
    check_running();
    co_return hash_now(password, opslimit_, memlimit_);
  };
  co_return co_await asio::co_spawn(pool_.get_executor(), std::move(work), asio::use_awaitable);
}

asio::awaitable<bool> password_hasher::async_verify(std::string hash, std::string password) {
  reserve();
  const release guard{pending_};
  const bool known = !hash.empty();
  if (!known) hash = dummy_;
  auto work = [this, hash = std::move(hash),
               password = std::move(password)]() -> asio::awaitable<bool> {
    check_running();
    co_return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  };
  const bool match =
      co_await asio::co_spawn(pool_.get_executor(), std::move(work), asio::use_awaitable);
  co_return known&& match;
}

}  // namespace detail
}  // namespace redkit::http
