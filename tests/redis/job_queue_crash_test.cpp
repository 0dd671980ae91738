// Crash safety of the job queue on Redis, with workers in processes of their own
// (tests/tools/test_worker.cpp) killed with SIGKILL: a job whose worker dies mid-run is
// re-delivered after its lease and completes, and a run of jobs with workers killed at random
// ends with every job completed (counted by the handlers through the store), none lost.
#include "support/redis_server.hpp"

#include <redkit/job_queue.hpp>

#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/wait.h>
#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace redkit::test {
namespace {

using namespace std::chrono_literals;

/// A worker process (see test_worker.cpp); SIGKILLed by kill() or the destructor.
class worker_process {
 public:
  worker_process(const std::string& url, const std::string& queue, const std::string& done,
                 int concurrency, int lease_ms) {
    const std::string c = std::to_string(concurrency), l = std::to_string(lease_ms);
    std::vector<std::string> args{REDKIT_TEST_WORKER, url, queue, done, c, l};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + args[0]);
    }
  }
  ~worker_process() { kill(); }
  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

/// Waits up to `limit` for `done()`.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST(JobQueueCrash, AJobWhoseWorkerIsKilledMidRunIsRedeliveredAndCompletes) {
  redis_server server;
  auto s = store::open(server.url());
  queue::queue q(s, "crash-one");
  const std::string done = "test:{crash-one}:done";
  queue::job_options o;
  o.id = "long";
  q.enqueue("work", "60000,5", o);  // attempt 1 would run a minute; later ones 5 ms

  worker_process a(server.url(), "crash-one", done, 1, 300);
  ASSERT_TRUE(eventually([&] { return q.status("long")->state == queue::job_state::active; }, 5s));
  a.kill();  // mid-run: the first attempt never finishes
  const auto killed = std::chrono::steady_clock::now();
  worker_process b(server.url(), "crash-one", done, 1, 300);
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }, 5s));
  // Not before the dead worker's lease ended.
  EXPECT_GE(std::chrono::steady_clock::now() - killed, 250ms);
  EXPECT_EQ(s->exec(command{"HGET", done, "long"}).string, "1");  // only the second run ended
  const auto st = q.stats();
  EXPECT_EQ(st.pending + st.active + st.delayed + st.dead, 0u);
  EXPECT_EQ(st.failed, 0u);  // a lost lease is not a failed run
}

TEST(JobQueueCrash, WorkersKilledAtRandomLoseNoJob) {
  redis_server server;
  auto s = store::open(server.url());
  queue::queue q(s, "crash-many");
  const std::string done = "test:{crash-many}:done";
  constexpr int jobs = 2000;
  std::vector<queue::job_spec> specs(jobs);
  for (int i = 0; i < jobs; ++i) {
    specs[i].type = "work";
    specs[i].payload = "10,2";  // ~2 s of work for 12 slots: kills land throughout
    specs[i].options.id = "job" + std::to_string(i);
    specs[i].options.max_attempts = 100;  // deaths come from kills only, never from running out
  }
  q.enqueue_bulk(std::move(specs));

  std::vector<std::unique_ptr<worker_process>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<worker_process>(server.url(), "crash-many", done, 4, 200));
  }
  std::mt19937 rng(7);
  int kills = 0;
  for (int round = 0; round < 15 && q.stats().completed < jobs; ++round) {
    std::this_thread::sleep_for(100ms);
    auto& victim = workers[rng() % workers.size()];
    victim->kill();
    ++kills;
    victim = std::make_unique<worker_process>(server.url(), "crash-many", done, 4, 200);
  }
  ASSERT_TRUE(eventually([&] { return q.stats().completed == jobs; }, 30s))
      << "completed " << q.stats().completed << " of " << jobs << " after " << kills << " kills";
  const auto st = q.stats();
  EXPECT_EQ(st.pending + st.active + st.delayed + st.dead, 0u);
  // Every job ran to its end at least once (at least once: a kill after the handler's record
  // and before the settlement runs it again).
  const auto counts = s->exec(command{"HGETALL", done});
  ASSERT_EQ(counts.elements.size(), 2u * jobs);
  std::size_t reruns = 0;
  for (std::size_t i = 1; i < counts.elements.size(); i += 2) {
    reruns += static_cast<std::size_t>(std::stoll(counts.elements[i].string) - 1);
  }
  EXPECT_LT(reruns, static_cast<std::size_t>(jobs / 10)) << "reruns " << reruns;
  EXPECT_GE(kills, 5);
}

}  // namespace
}  // namespace redkit::test
