// `redkit ping`: one PING, its reply and its round-trip time.
#include "commands.hpp"

#include <redkit/store.hpp>

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <string>

namespace redkit::cli {

runner add_ping(CLI::App& app) {
  auto url = std::make_shared<std::string>("redis://127.0.0.1:6379");
  auto timeout_ms = std::make_shared<int>(2000);
  app.add_option("--store", *url, "Store URL (redis://, rediss://, unix://)")
      ->envname("REDKIT_STORE")
      ->capture_default_str();
  app.add_option("--timeout-ms", *timeout_ms, "Connect and request deadline in ms")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [url, timeout_ms] {
    store_options opts;
    opts.connect_timeout = std::chrono::milliseconds(*timeout_ms);
    opts.request_timeout = std::chrono::milliseconds(*timeout_ms);
    auto s = store::open(*url, opts);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = s->exec(command{"PING"});
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    fmt::print("{} from {} in {} us\n", resp::to_display(r), s->describe(), us);
    return 0;
  };
}

}  // namespace redkit::cli
