// Redis's error texts, word for word, so that the engine's error replies equal Redis's.
#pragma once

#include <string_view>

namespace redkit::engine::err {

inline constexpr std::string_view wrong_type =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
inline constexpr std::string_view not_float = "ERR value is not a valid float";
inline constexpr std::string_view syntax = "ERR syntax error";
inline constexpr std::string_view overflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view no_such_key = "ERR no such key";
inline constexpr std::string_view out_of_range = "ERR index out of range";
inline constexpr std::string_view oom = "OOM command not allowed when used memory > 'maxmemory'.";

}  // namespace redkit::engine::err
