// The native implementation of scripts/rate_limit/check.lua for the embedded engine (see
// engine/native_scripts.hpp): same keys, values, TTLs and reply as the Lua, without Lua.
// Thread-safety: register_check_native may be called from any thread, any number of times.
#pragma once

#include <string_view>

namespace redkit::rate_limit {

/// SHA-1 of the check.lua the native translates; a changed script runs as Lua until the native
/// follows it.
inline constexpr std::string_view check_native_sha = "83881ee2f377908d25770a0e9247941780424e56";

/// Registers the native with the engine (once; later calls do nothing).
void register_check_native();

}  // namespace redkit::rate_limit
