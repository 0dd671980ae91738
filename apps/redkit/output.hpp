// Output helpers shared by the operator commands (leaderboard, queue): JSON strings and
// aligned tables.
#pragma once

#include <fmt/core.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::cli {

/// `s` as a JSON string literal (quoted and escaped).
inline std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s.data(), s.size()));
}

/// Prints `rows` (the first is the header) as columns; `right[i]` right-aligns column i.
template <std::size_t N>
void print_table(const std::vector<std::array<std::string, N>>& rows,
                 const std::array<bool, N>& right) {
  std::array<std::size_t, N> width{};
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < N; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) line += "  ";
      if (i + 1 == N && !right[i]) {
        line += r[i];  // no trailing blanks
      } else {
        line += right[i] ? fmt::format("{:>{}}", r[i], width[i])
                         : fmt::format("{:<{}}", r[i], width[i]);
      }
    }
    fmt::print("{}\n", line);
  }
}

}  // namespace redkit::cli
