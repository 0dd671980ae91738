// Glob matching with Redis's semantics (util.c stringmatchlen), iterative with one backtrack
// point for '*', so a hostile pattern cannot recurse deeply.
#include "engine/glob.hpp"

#include <cctype>

namespace redkit::engine {
namespace {

char fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one class `[...]` starting at p (after '['); advances p past ']'. Returns whether c
// is in the class.
bool match_class(std::string_view pat, std::size_t& p, char c, bool nocase) {
  bool negate = false;
  if (p < pat.size() && pat[p] == '^') {
    negate = true;
    ++p;
  }
  bool match = false;
  while (p < pat.size() && pat[p] != ']') {
    if (pat[p] == '\\' && p + 1 < pat.size()) {
      ++p;
      if (fold(pat[p], nocase) == fold(c, nocase)) match = true;
      ++p;
    } else if (p + 2 < pat.size() && pat[p + 1] == '-') {
      char lo = fold(pat[p], nocase), hi = fold(pat[p + 2], nocase);
      if (lo > hi) std::swap(lo, hi);
      const char cc = fold(c, nocase);
      if (cc >= lo && cc <= hi) match = true;
      p += 3;
    } else {
      if (fold(pat[p], nocase) == fold(c, nocase)) match = true;
      ++p;
    }
  }
  if (p < pat.size()) ++p;  // the ']' (an unterminated class ends the pattern, as in Redis)
  return negate ? !match : match;
}

}  // namespace

bool glob_match(std::string_view pat, std::string_view s, bool nocase) noexcept {
  std::size_t p = 0, i = 0;
  std::size_t star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size()) {
      const char pc = pat[p];
      if (pc == '*') {
        while (p < pat.size() && pat[p] == '*') ++p;
        if (p == pat.size()) return true;
        star_p = p;
        star_i = i;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++i;
        continue;
      }
      if (pc == '[') {
        std::size_t q = p + 1;
        if (match_class(pat, q, s[i], nocase)) {
          p = q;
          ++i;
          continue;
        }
      } else {
        std::size_t q = p;
        if (pc == '\\' && q + 1 < pat.size()) ++q;
        if (fold(pat[q], nocase) == fold(s[i], nocase)) {
          p = q + 1;
          ++i;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;  // let the last '*' absorb one more character
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace redkit::engine
