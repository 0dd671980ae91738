// The leaderboard part of the /v1 service API of `redkit serve`: boards by name, made on first
// use or configured in the server's TOML file (`[leaderboards.NAME]`), with score updates,
// top, pages, ranks, around, count and removal, per period.
#pragma once

#include <redkit/http_api.hpp>
#include <redkit/leaderboard.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace redkit::http {

/// Board options by board name.
using leaderboard_configs = std::map<std::string, leaderboard::options, std::less<>>;

/// Reads the `[leaderboards.NAME]` tables of TOML text (other tables are ignored): each may set
/// `order` ("descending" | "ascending"), `tie_break` ("member" | "earliest"), `max_size`
/// (0: unbounded), `periods` (of "all_time", "daily", "weekly", "monthly"), `week_start`
/// (0 Sunday ... 6 Saturday), `retention` (a duration such as "7d") and `max_per_call`
/// (1-10000); the others keep leaderboard::options' defaults. `source` names the text in
/// messages. Throws redkit::error(errc::invalid_argument) naming the table and key of what is
/// wrong (an unknown key, a value of the wrong kind or out of range, a bad board name).
leaderboard_configs load_leaderboards_toml(std::string_view text, const std::string& source = {});
/// Same, from a file (errc::invalid_argument also when it cannot be read or parsed).
leaderboard_configs load_leaderboards_toml_file(const std::filesystem::path& file);

/// Registers, behind `keys`, under `/v1/leaderboards/{name}/` (names percent-decoded: 1-200
/// bytes of UTF-8 without control characters or braces; a board not in `configured` is made
/// on first use with the default options, at most 64 of them):
/// - `POST scores` {"player": {"id", "name"?, "avatar"?}, "score", "op"?: set|best|incr|decr}
///   → {"results": [{"period", "score", "rank", "previous_rank"}]} (a player given without
///   name and avatar keeps its stored info);
/// - `GET top?n=&period=&day=`, `GET page?page=&size=&period=&day=` (with "total"),
///   `GET players/{id}?period=&day=` (rank, score, total, percentile; 404 when absent),
///   `GET players/{id}/around?range=&fill=&period=&day=` (404 when absent),
///   `POST ranks?period=&day=` {"players": [id...]}, `GET count?period=&day=`,
///   `DELETE players/{id}` → {"removed": bool}.
/// Entries are {"rank", "player": {"id", "name", "avatar"?}, "score"}. Bytes that are not
/// UTF-8 in stored names come out as U+FFFD. Bad input answers 400 naming the field or
/// parameter. `timeout` bounds each store call. Throws redkit::error(errc::invalid_argument)
/// when a configured board's options are invalid.
/// Returns what /metrics adds (Prometheus text): updates, reads by kind and removals per board.
std::function<std::string()> add_leaderboard_api(
    router& r, std::shared_ptr<store> s, const api_keys& keys, leaderboard_configs configured = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

}  // namespace redkit::http
