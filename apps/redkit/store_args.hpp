// The options every operator command (leaderboard, queue) takes besides its own: the store,
// the key prefix, the deadline and JSON output.
#pragma once

#include <redkit/store.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace redkit::cli {

struct store_args {
  std::string url = "redis://127.0.0.1:6379";
  int timeout_ms = 2000;
  std::string prefix = "rk";
  bool json = false;
};

/// Registers --store (or $REDKIT_STORE), --prefix, --timeout-ms and --json.
inline void add_store_args(CLI::App& app, store_args& a) {
  app.add_option("--store", a.url, "Store URL (redis://, rediss://, unix://)")
      ->envname("REDKIT_STORE")
      ->capture_default_str();
  app.add_option("--prefix", a.prefix, "Key prefix")->capture_default_str();
  app.add_option("--timeout-ms", a.timeout_ms, "Connect and request deadline in ms")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", a.json, "Print JSON");
}

/// The store `a` names, with `a.timeout_ms` as its connect and request deadlines.
inline std::shared_ptr<store> open_store(const store_args& a) {
  store_options so;
  so.connect_timeout = std::chrono::milliseconds(a.timeout_ms);
  so.request_timeout = std::chrono::milliseconds(a.timeout_ms);
  return store::open(a.url, so);
}

}  // namespace redkit::cli
