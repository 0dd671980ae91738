// The redkit binary's subcommands: each registers its options on the CLI11 app and returns
// the function that runs it (exit code).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace redkit::cli {

using runner = std::function<int()>;

/// `redkit serve [--store URL] [--host H] [--port P] ...`: the HTTP service (until a signal).
runner add_serve(CLI::App& app);
/// `redkit ping [--store URL]`: connects, sends PING, prints the reply and the round trip.
runner add_ping(CLI::App& app);
/// `redkit bench WORKLOAD --store URL ...`: load generators printing one JSON line per run.
runner add_bench(CLI::App& app);
/// `redkit leaderboard top|rank|count NAME ...`: operators' reads of a leaderboard.
runner add_leaderboard(CLI::App& app);
/// `redkit queue stats|dead|retry|delete NAME ...`: operators' commands for a job queue.
runner add_queue(CLI::App& app);

}  // namespace redkit::cli
