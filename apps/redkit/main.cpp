// redkit: the command line. Subcommands live in their own files (see commands.hpp).
#include "commands.hpp"

#include <redkit/error.hpp>

#include <fmt/core.h>

#include <exception>
#include <map>

int main(int argc, char** argv) {
  CLI::App app{
      "redkit: rate limiting, sessions, leaderboards, job queues and caching on Redis or an "
      "embedded engine"};
  app.require_subcommand(1);
  std::map<CLI::App*, redkit::cli::runner> runners;
  auto add = [&](redkit::cli::runner (*fn)(CLI::App&), const char* name, const char* help) {
    auto* sub = app.add_subcommand(name, help);
    runners.emplace(sub, fn(*sub));
  };
  add(redkit::cli::add_serve, "serve", "Serve the HTTP API on a store (memory:// by default)");
  add(redkit::cli::add_ping, "ping", "Check that a store answers, and how fast");
  add(redkit::cli::add_bench, "bench", "Run a workload against a store and print its figures");
  add(redkit::cli::add_leaderboard, "leaderboard", "Read a leaderboard (operators)");
  add(redkit::cli::add_queue, "queue", "Inspect and manage a job queue (operators)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const redkit::error& e) {
    fmt::print(stderr, "redkit: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "redkit: {}\n", e.what());
    return 1;
  }
  return 0;
}
