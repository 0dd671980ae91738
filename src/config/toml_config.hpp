// What the readers of the TOML config file share (rate-limit tiers, route policies, leaderboard
// boards): messages placed at a file position, parsing, reading the file, and one rate-limit
// policy table.
// Thread-safety: pure functions.
#pragma once

#include <redkit/rate_limiter.hpp>

#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace redkit::config {

/// Throws redkit::error(errc::invalid_argument) with "KIND[ SOURCE,] line L, column C: WHAT"
/// (`kind` says what is configured, e.g. "route config"; `source` names the file, if any).
[[noreturn]] void fail_at(std::string_view kind, const std::string& source,
                          const toml::source_region& where, std::string_view what);

/// `text` parsed; a syntax error is reported through fail_at.
toml::table parse(std::string_view text, std::string_view kind, const std::string& source);

/// The bytes of `file`. Throws redkit::error(errc::invalid_argument) "KIND FILE: is a
/// directory", "does not exist" or "cannot be read".
std::string read_file(const std::filesystem::path& file, std::string_view kind);

/// How a reader reports a complaint at a position (it must throw).
using complaint = std::function<void(const toml::source_region&, const std::string&)>;

/// One policy from its table: `name` (default `default_name`), `algorithm`, `limit`, `window`,
/// and optional `burst`, `cost`, `shadow`; validated. Each complaint starts with `where` (e.g.
/// "tier 'premium', policy 1: ") and names the key.
rate_limit::policy read_policy(const toml::table& fields, const std::string& default_name,
                               const std::string& where, const complaint& fail);

}  // namespace redkit::config
