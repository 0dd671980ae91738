// Small helpers for tests that drive a store: catching the error a call raises, and waiting for
// a store to answer again after an outage.
// Thread-safety: plain functions; each call uses only its arguments.
#pragma once

#include <redkit/store.hpp>

#include <chrono>
#include <optional>
#include <thread>

namespace redkit::test {

/// Runs `call` and returns the redkit::error it threw, or nothing if it returned normally.
template <typename Call>
std::optional<error> error_from(Call&& call) {
  try {
    call();
  } catch (const error& e) {
    return e;
  }
  return std::nullopt;
}

/// Sends PING until the store answers PONG or `limit` passes; true if it answered.
inline bool wait_for_pong(store& s, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (auto e = error_from([&] { s.exec(command{"PING"}); }); !e) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace redkit::test
