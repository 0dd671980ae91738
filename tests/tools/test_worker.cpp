// A job-queue worker in a process of its own, for the crash tests (they SIGKILL it). It runs
// jobs of type "work" whose payload is "<ms on attempt 1>,<ms on later attempts>": the handler
// waits that long, then records the run in the store (HINCRBY <done key> <job id> 1), so the
// test counts through the store which jobs ran and how often.
//   redkit_test_worker URL QUEUE DONE_KEY CONCURRENCY LEASE_MS
// Runs until killed; SIGTERM stops it gracefully.
#include <redkit/job_queue.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {
std::atomic<bool> stop_requested{false};
extern "C" void on_term(int) { stop_requested = true; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s URL QUEUE DONE_KEY CONCURRENCY LEASE_MS\n", argv[0]);
    return 2;
  }
  namespace q = redkit::queue;
  std::signal(SIGTERM, on_term);
  auto store = redkit::store::open(argv[1]);
  q::worker_options o;
  o.concurrency = static_cast<unsigned>(std::atoi(argv[4]));
  o.prefetch = 2;
  o.lease = std::chrono::milliseconds(std::atoi(argv[5]));
  o.idle_check = std::chrono::milliseconds(50);
  o.backoff.fixed = std::chrono::milliseconds(10);
  q::worker w(store, argv[2], o);
  const std::string done = argv[3];
  w.on("work", [store, done](const q::job& j) -> boost::asio::awaitable<void> {
    const auto comma = j.payload.find(',');
    const auto ms =
        std::stoi(j.attempt == 1 ? j.payload.substr(0, comma) : j.payload.substr(comma + 1));
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
    t.expires_after(std::chrono::milliseconds(ms));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_await store->async_exec(redkit::command{"HINCRBY", done, j.id, "1"});
  });
  w.start();
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.stop(std::chrono::seconds(1));
  return 0;
}
