// Small text helpers shared by the framework-free HTTP parts of the patterns (header values).
#pragma once

#include <string_view>

namespace redkit::detail {

/// Optional whitespace of RFC 9110: space or horizontal tab.
inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing blanks.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace redkit::detail
