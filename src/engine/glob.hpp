// Redis's glob-style matching (KEYS, SCAN MATCH, PSUBSCRIBE): `*`, `?`, `[abc]`, `[^a]`,
// `[a-z]`, and `\` escaping the next character.
#pragma once

#include <string_view>

namespace redkit::engine {

/// True when `s` matches `pattern` as Redis's stringmatchlen decides.
bool glob_match(std::string_view pattern, std::string_view s, bool nocase = false) noexcept;

}  // namespace redkit::engine
