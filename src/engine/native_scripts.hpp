// Native scripts: C++ implementations that the engine runs in place of a Lua script with the
// same SHA-1, with exactly the script's effects (keys, values, TTLs, memory, expiry, reply,
// command counts). EVAL and EVALSHA still find, load and check the script as before (NOSCRIPT,
// SCRIPT FLUSH, ... are unchanged); only its execution is replaced. A native may decline a
// call before it has any effect (std::nullopt), and the engine then runs the Lua script.
//
// Also here: what a native needs to reproduce Lua's and redis.call's conversions bit for bit.
//
// Thread-safety: registration and lookup may happen from any thread at any time; a native
// runs under the engine lock like any command.
#pragma once

#include <redkit/resp.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace redkit::engine {

class context;

/// A script's native implementation: `keys` and `args` are KEYS and ARGV. The engine clock
/// stands still while it runs, as for a Lua script. Returns the script's reply, or
/// std::nullopt (before any effect) to have the Lua script run instead.
using native_script = std::optional<resp::reply> (*)(context& c,
                                                     std::span<const std::string_view> keys,
                                                     std::span<const std::string_view> args);

/// Registers `fn` for the script whose SHA-1 is `sha` (40 lower-case hex digits); a second
/// registration of the same SHA replaces the first. Throws std::invalid_argument for a `sha`
/// of another length, std::length_error past 32 natives.
void register_native_script(std::string_view sha, native_script fn);

/// The native registered for `sha` (lower-case hex), or nullptr.
native_script find_native_script(std::string_view sha) noexcept;

/// The reply of a script that stopped because the redis.call on line `line` of its source
/// returned the error `error` (the command's error text, e.g. "WRONGTYPE Operation ...").
resp::reply native_call_error(std::string_view sha, std::string_view error, int line);

/// Lua helpers: exactly what Lua 5.1 and Redis's redis.call do to numbers.
namespace lua {

/// Room for any text the functions below write.
using number_buffer = char[64];

/// tonumber(s) of a string: Lua's luaO_str2d (strtod over the C string, hex, trailing spaces).
/// False where tonumber gives nil.
bool to_number(std::string_view s, double& out) noexcept;

/// A number passed to redis.call: "%.17g" (written into `buf`).
std::string_view redis_arg(double d, number_buffer& buf) noexcept;

/// A number concatenated with `..` or tostring(): "%.14g" (written into `buf`).
std::string_view to_string(double d, number_buffer& buf) noexcept;

/// A number in a script's reply: truncated to an integer as (long long) does on x86-64 (NaN and
/// out-of-range values give INT64_MIN).
std::int64_t to_integer(double d) noexcept;

/// Lua 5.1's a % b.
inline double mod(double a, double b) noexcept { return a - std::floor(a / b) * b; }

/// math.max / math.min of two numbers (the first wins ties and NaN comparisons, as in Lua).
inline double max(double a, double b) noexcept { return b > a ? b : a; }
inline double min(double a, double b) noexcept { return b < a ? b : a; }

}  // namespace lua

}  // namespace redkit::engine
