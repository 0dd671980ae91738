// The parameterised fixture that runs one test body on every backend a store can have.
// Pattern tests derive from `backend_test`, use `store_` (or `open_store()`), and instantiate
// with REDKIT_ALL_BACKENDS(SuiteName). The engine issue adds `memory`; Cluster comes later.
// Thread-safety: one fixture per test, as GoogleTest runs them.
#pragma once

#include "support/redis_server.hpp"

#include <redkit/store.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace redkit::test {

enum class backend {
  engine,  ///< the embedded engine (memory://), with a settable clock
  redis,   ///< a real redis-server started for the test
};

std::string to_string(backend b);
/// Every backend the build supports.
std::vector<backend> all_backends();

class backend_test : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// Opens another store handle on the same backend (another "process" worth of client).
  std::shared_ptr<store> open_store(store_options options = {});
  /// Moves time forward by `d`: the engine's clock jumps, Redis's passes (the test sleeps).
  void advance(std::chrono::milliseconds d);
  /// The Redis server behind the store; nullptr on backends without one.
  redis_server* server() { return server_ ? &*server_ : nullptr; }

  std::optional<redis_server> server_;
  std::shared_ptr<store> store_;
};

}  // namespace redkit::test

/// Runs every TEST_P of `suite` once per backend, named e.g. `Backends/suite.name/redis`.
#define REDKIT_ALL_BACKENDS(suite)                                                               \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::ValuesIn(::redkit::test::all_backends()), \
                           [](const auto& info) { return ::redkit::test::to_string(info.param); })
