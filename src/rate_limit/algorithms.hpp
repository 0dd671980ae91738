// What the code needs to know of each rate-limit algorithm: its name, its code in
// check.lua's ARGV, and the suffix of its keys. One table, so the four stay in step.
// Thread-safety: constant data.
#pragma once

#include <redkit/rate_limiter.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace redkit::rate_limit {

struct algorithm_info {
  algorithm algo;
  std::string_view name;        ///< to_string / parse_algorithm
  char script_code;             ///< check.lua's ARGV code
  std::string_view key_suffix;  ///< last part of the policy's key
};

inline constexpr std::array<algorithm_info, 4> algorithms{{
    {algorithm::sliding_log, "sliding_log", '1', "log"},
    {algorithm::sliding_window, "sliding_window", '2', "sw"},
    {algorithm::gcra, "gcra", '3', "gcra"},
    {algorithm::fixed_window, "fixed_window", '4', "fw"},
}};

static_assert(algorithms[static_cast<std::size_t>(algorithm::fixed_window)].algo ==
              algorithm::fixed_window);

/// The table's row for `a` (the enum's values index the table).
constexpr const algorithm_info& info(algorithm a) noexcept {
  return algorithms[static_cast<std::size_t>(a)];
}

/// Units a policy can hold at once: its limit, or for gcra its burst when set.
constexpr std::uint64_t capacity(const policy& p) noexcept {
  return p.algo == algorithm::gcra && p.burst != 0 ? p.burst : p.limit;
}

}  // namespace redkit::rate_limit
