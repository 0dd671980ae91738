// Running commands on an engine in tests: `run(e, {"SET", "k", "v"})` and readable replies.
#pragma once

#include "engine/engine.hpp"

#include <redkit/resp.hpp>

#include <initializer_list>
#include <string_view>
#include <vector>

namespace redkit::engine::testing {

/// Runs one command on `e` (RESP3 shapes unless `resp3` is false).
inline resp::reply run(engine& e, std::initializer_list<std::string_view> argv, bool resp3 = true) {
  std::vector<std::string_view> v(argv);
  return e.execute(v, resp3);
}

/// redis-cli-like rendering, for EXPECT_EQ against readable expectations.
inline std::string show(const resp::reply& r) { return resp::to_display(r); }

}  // namespace redkit::engine::testing
