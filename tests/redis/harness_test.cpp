// Tests of the real-Redis test harness itself: redis_server (start, stop, kill, restart, pause,
// password, ACL users, unix socket, TLS, clean-up of servers when the test process dies) and
// raw_redis. They talk to the servers only through raw_redis and the openssl command line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"

namespace redkit::test {
namespace {

using namespace std::chrono_literals;

// Succeeds if text contains part.
::testing::AssertionResult has_substr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Succeeds if text starts with prefix.
::testing::AssertionResult starts_with(const std::string& text, const std::string& prefix) {
  if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not start with \"" << prefix << "\"";
}

// The message of the std::runtime_error that f throws ("" if it throws nothing).
template <typename F>
std::string runtime_error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// True once pid no longer names a live process (gone, or a zombie nobody reaped yet).
bool process_gone(pid_t pid, std::chrono::milliseconds within = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (::kill(pid, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (stat >> pid_field >> comm >> state && state == "Z") return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// Runs a shell command and returns its stdout and stderr.
std::string run_shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string s_client(std::uint16_t port, const std::string& ca, const std::string& extra = "") {
  return run_shell(std::string(REDKIT_TEST_OPENSSL) +
                   " s_client -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " + ca +
                   " -verify_ip 127.0.0.1 -verify_return_error " + extra + " < /dev/null");
}

TEST(RedisServerHarness, StartsServesStopsAndRestartsOnTheSamePort) {
  redis_server server;
  const std::uint16_t port = server.port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(server.url(), "redis://127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(std::filesystem::is_directory(server.dir()));
  {
    raw_redis r(port);
    EXPECT_EQ(r.command({"PING"}), "PONG");
    EXPECT_EQ(r.command({"SET", "k", "v1"}), "OK");
    EXPECT_EQ(r.command({"GET", "k"}), "v1");
    EXPECT_EQ(r.command({"INCR", "n"}), "1");
    EXPECT_EQ(r.command({"GET", "missing"}), "(nil)");
    EXPECT_TRUE(starts_with(r.command({"NOSUCHCOMMAND"}), "-ERR"));
    EXPECT_EQ(r.command({"RPUSH", "l", "a", "b", "c"}), "3");
    EXPECT_EQ(r.command_array({"LRANGE", "l", "0", "-1"}),
              (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(r.command({"LRANGE", "l", "0", "-1"}), "a\nb\nc");
    EXPECT_EQ(r.command({"DEBUG", "SLEEP", "0"}), "OK");  // enable-debug-command yes

    server.stop();
    EXPECT_FALSE(server.running());
    EXPECT_EQ(server.pid(), -1);
    EXPECT_THROW(r.command({"PING"}), std::runtime_error);  // the server closed it
  }
  EXPECT_TRUE(has_substr(runtime_error_of([&] { raw_redis r(port); }), "Connection refused"));
  server.stop();  // no-op when stopped

  server.start();
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.port(), port);
  raw_redis r(port);
  EXPECT_EQ(r.command({"PING"}), "PONG");
  EXPECT_EQ(r.command({"GET", "k"}), "(nil)");  // no persistence
  EXPECT_THROW(server.start(), std::logic_error);
}

TEST(RedisServerHarness, KillIsACrashAndStartRecovers) {
  redis_server server;
  const std::uint16_t port = server.port();
  const pid_t pid = server.pid();
  ASSERT_GT(pid, 0);
  server.kill();
  EXPECT_FALSE(server.running());
  EXPECT_TRUE(process_gone(pid, 0ms));
  EXPECT_TRUE(has_substr(runtime_error_of([&] { raw_redis r(port); }), "Connection refused"));

  server.start();
  EXPECT_NE(server.pid(), pid);
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(raw_redis(port).command({"PING"}), "PONG");
}

TEST(RedisServerHarness, RestartOnATakenPortFailsClearly) {
  redis_server server;
  const std::uint16_t port = server.port();
  server.stop();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  const std::string message = runtime_error_of([&] { server.start(); });
  ::close(fd);
  EXPECT_TRUE(has_substr(message, "already in use"));
  EXPECT_FALSE(server.running());
  server.start();
  EXPECT_EQ(raw_redis(port).command({"PING"}), "PONG");
}

TEST(RedisServerHarness, NoticesAServerThatExitsByItself) {
  redis_server server;
  raw_redis r(server.port());
  EXPECT_THROW(r.command({"SHUTDOWN", "NOSAVE"}), std::runtime_error);  // closes without reply
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (server.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE(server.running());
  server.start();
  EXPECT_EQ(raw_redis(server.port()).command({"PING"}), "PONG");
}

TEST(RedisServerHarness, PasswordIsRequired) {
  redis_server server({.password = "s3cret \"quoted\""});
  raw_redis r(server.port());
  EXPECT_TRUE(starts_with(r.command({"GET", "k"}), "-NOAUTH"));
  EXPECT_TRUE(starts_with(r.command({"AUTH", "wrong"}), "-WRONGPASS"));
  EXPECT_EQ(r.command({"AUTH", "s3cret \"quoted\""}), "OK");
  EXPECT_EQ(r.command({"SET", "k", "v"}), "OK");
  EXPECT_EQ(r.command({"GET", "k"}), "v");

  server.stop();
  server.start();  // readiness check authenticates too
  EXPECT_TRUE(starts_with(raw_redis(server.port()).command({"PING"}), "-NOAUTH"));
}

TEST(RedisServerHarness, AclUsersAuthenticateWithTheirRules) {
  redis_server server(
      {.acl_users = {{.name = "alice", .password = "alice-pw"},
                     {.name = "reader", .password = "read-pw", .rules = "on ~* +get"}}});
  raw_redis r(server.port());
  EXPECT_TRUE(starts_with(r.command({"AUTH", "alice", "wrong"}), "-WRONGPASS"));
  EXPECT_EQ(r.command({"AUTH", "alice", "alice-pw"}), "OK");
  EXPECT_EQ(r.command({"ACL", "WHOAMI"}), "alice");
  EXPECT_EQ(r.command({"SET", "k", "v"}), "OK");

  EXPECT_EQ(r.command({"AUTH", "reader", "read-pw"}), "OK");
  EXPECT_EQ(r.command({"GET", "k"}), "v");
  EXPECT_TRUE(starts_with(r.command({"SET", "k", "w"}), "-NOPERM"));
}

TEST(RedisServerHarness, ServesAUnixSocket) {
  redis_server server({.unix_socket = true});
  ASSERT_FALSE(server.unix_path().empty());
  EXPECT_EQ(server.unix_url(), "unix://" + server.unix_path());
  struct stat st {};
  ASSERT_EQ(::stat(server.unix_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  raw_redis u = raw_redis::unix_socket(server.unix_path());
  EXPECT_EQ(u.command({"PING"}), "PONG");
  EXPECT_EQ(u.command({"SET", "via", "unix"}), "OK");
  EXPECT_EQ(raw_redis(server.port()).command({"GET", "via"}), "unix");  // same server

  server.stop();
  EXPECT_THROW(raw_redis::unix_socket(server.unix_path()), std::runtime_error);
  server.start();
  EXPECT_EQ(raw_redis::unix_socket(server.unix_path()).command({"PING"}), "PONG");
}

TEST(RedisServerHarness, ServesTlsWithAVerifiableCertificate) {
  redis_server server({.tls = true});
  ASSERT_NE(server.tls_port(), 0);
  EXPECT_NE(server.tls_port(), server.port());
  EXPECT_EQ(server.tls_url(), "rediss://127.0.0.1:" + std::to_string(server.tls_port()));
  for (const std::string& f :
       {server.ca_file(), server.client_cert_file(), server.client_key_file()}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(f)) << f;
  }
  EXPECT_TRUE(
      has_substr(s_client(server.tls_port(), server.ca_file()), "Verify return code: 0 (ok)"));
  EXPECT_TRUE(has_substr(
      s_client(server.tls_port(), server.ca_file(),
               "-cert " + server.client_cert_file() + " -key " + server.client_key_file()),
      "Verify return code: 0 (ok)"));
  // Control: the same check against a file that is not the CA fails.
  EXPECT_FALSE(has_substr(s_client(server.tls_port(), server.client_cert_file()),
                          "Verify return code: 0 (ok)"));
  EXPECT_EQ(raw_redis(server.port()).command({"PING"}), "PONG");  // plain port still served

  // A second TLS server reuses the certificates of the first.
  redis_server other({.tls = true});
  EXPECT_EQ(other.ca_file(), server.ca_file());
  EXPECT_TRUE(
      has_substr(s_client(other.tls_port(), other.ca_file()), "Verify return code: 0 (ok)"));
}

TEST(RedisServerHarness, PausedServerTimesOutAndResumes) {
  redis_server server;
  raw_redis before(server.port(), 200ms);
  EXPECT_EQ(before.command({"PING"}), "PONG");

  server.pause();
  EXPECT_TRUE(server.running());
  raw_redis during(server.port(), 200ms);  // the kernel still accepts the connection
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(has_substr(runtime_error_of([&] { during.command({"PING"}); }), "timed out"));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_THROW(during.command({"PING"}), std::runtime_error);  // unusable after a timeout

  server.resume();
  before.set_timeout(2s);
  EXPECT_EQ(before.command({"PING"}), "PONG");
  EXPECT_EQ(raw_redis(server.port()).command({"PING"}), "PONG");

  server.pause();
  server.stop();  // stopping a paused server works too
  EXPECT_FALSE(server.running());
}

TEST(RedisServerHarness, TwoServersAreIndependent) {
  redis_server a({.tls = true, .unix_socket = true});
  redis_server b({.tls = true, .unix_socket = true});
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.tls_port(), b.tls_port());
  EXPECT_NE(a.port(), b.tls_port());
  EXPECT_NE(a.tls_port(), b.port());
  EXPECT_NE(a.dir(), b.dir());
  EXPECT_NE(a.unix_path(), b.unix_path());
  EXPECT_EQ(raw_redis(a.port()).command({"SET", "k", "a"}), "OK");
  EXPECT_EQ(raw_redis(b.port()).command({"GET", "k"}), "(nil)");
  EXPECT_EQ(raw_redis(a.port()).command({"GET", "k"}), "a");
}

TEST(RedisServerHarness, DestructorStopsTheServerAndRemovesItsDir) {
  pid_t pid;
  std::string dir;
  {
    redis_server server;
    pid = server.pid();
    dir = server.dir();
    server.pause();  // even a hung server
  }
  EXPECT_TRUE(process_gone(pid, 0ms));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(RedisServerHarness, StartupFailureReportsTheServerOutput) {
  std::string message = runtime_error_of([] {
    redis_server server({.extra_config = {{"no-such-directive", "yes"}}});
  });
  EXPECT_TRUE(has_substr(message, "exited during start-up"));
  EXPECT_TRUE(has_substr(message, "no-such-directive"));
  EXPECT_TRUE(has_substr(message, "Bad directive"));
}

// NOLINTBEGIN(concurrency-mt-unsafe): the test process has one thread here.
TEST(RedisServerHarness, MissingRedisServerFailsWithAnInstallHint) {
  const char* old = std::getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("PATH", "/nonexistent-redkit-dir", 1);
  std::string message = runtime_error_of([] { redis_server server; });
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(message,
            "redis-server not found: install it with `apt-get install redis-server` "
            "(scripts/test does this)");
}
// NOLINTEND(concurrency-mt-unsafe)

// The servers of a test process that dies must not outlive it. Each case runs in a death-test
// child that starts a server, writes its PID to a file and dies; the parent checks the PID.
class RedisServerCleanup : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "fast");
    pid_file_ = std::filesystem::temp_directory_path() /
                ("redkit-harness-pid-" + std::to_string(::getpid()));
  }
  void TearDown() override { std::filesystem::remove(pid_file_); }

  // Starts a server (on a separate thread if asked, so PR_SET_PDEATHSIG is not used) and records
  // its PID and dir; the server object is leaked on purpose, as a crash would.
  void start_and_record(bool from_other_thread) {
    redis_server* server = nullptr;
    auto make = [&] { server = new redis_server(); };
    if (from_other_thread) {
      std::thread(make).join();
    } else {
      make();
    }
    std::ofstream(pid_file_) << server->pid() << "\n" << server->dir() << "\n";
  }

  // Checks that the recorded server is gone, and removes its dir.
  void expect_recorded_server_gone() {
    pid_t pid = 0;
    std::string dir;
    std::ifstream(pid_file_) >> pid >> dir;
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(dir.find("redkit-redis-") != std::string::npos) << dir;
    EXPECT_TRUE(process_gone(pid)) << "redis-server " << pid << " survived its test process";
    if (!process_gone(pid, 0ms)) ::kill(pid, SIGKILL);
    std::filesystem::remove_all(dir);
  }

  std::filesystem::path pid_file_;
};

TEST_F(RedisServerCleanup, FatalSignalKillsTheServers) {
  EXPECT_EXIT(
      {
        start_and_record(true);
        ::raise(SIGSEGV);
      },
      ::testing::KilledBySignal(SIGSEGV), "");
  expect_recorded_server_gone();
}

TEST_F(RedisServerCleanup, TerminateKillsTheServers) {
  EXPECT_EXIT(
      {
        start_and_record(true);
        std::terminate();
      },
      ::testing::KilledBySignal(SIGABRT), "");
  expect_recorded_server_gone();
}

TEST_F(RedisServerCleanup, ExitKillsTheServers) {
  EXPECT_EXIT(
      {
        start_and_record(true);
        std::exit(3);  // NOLINT(concurrency-mt-unsafe)
      },
      ::testing::ExitedWithCode(3), "");
  expect_recorded_server_gone();
}

TEST_F(RedisServerCleanup, SigkillOfTheTestProcessKillsServersOfTheMainThread) {
  EXPECT_EXIT(
      {
        start_and_record(false);
        ::raise(SIGKILL);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  expect_recorded_server_gone();
}

TEST(RawRedis, ParsesRepliesAndPipelines) {
  redis_server server;
  raw_redis r(server.port());
  r.send({"SET", "bin", std::string("a\0b\r\nc", 6)});
  r.send({"GET", "bin"});
  r.send({"GET", "none"});
  EXPECT_EQ(r.read().render(), "OK");
  raw_redis::reply got = r.read();
  EXPECT_EQ(got.type, raw_redis::reply::kind::bulk);
  EXPECT_EQ(got.text, std::string("a\0b\r\nc", 6));
  EXPECT_EQ(r.read().type, raw_redis::reply::kind::nil);

  EXPECT_THROW(r.command_array({"GET", "bin"}), std::runtime_error);  // not an array
  EXPECT_EQ(r.command_array({"LRANGE", "none", "0", "-1"}), std::vector<std::string>{});

  // RESP3 after HELLO 3: maps are flattened, nulls render as (nil).
  std::vector<std::string> hello = r.command_array({"HELLO", "3"});
  ASSERT_GE(hello.size(), 4u);
  EXPECT_EQ(hello[0], "server");
  EXPECT_EQ(hello[1], "redis");
  EXPECT_EQ(r.command({"GET", "none"}), "(nil)");
  EXPECT_EQ(r.command_array({"HGETALL", "none"}), std::vector<std::string>{});
}

TEST(RawRedis, ReceivesPubSubMessages) {
  redis_server server;
  raw_redis sub(server.port());
  EXPECT_EQ(sub.command_array({"SUBSCRIBE", "ch"}),
            (std::vector<std::string>{"subscribe", "ch", "1"}));
  EXPECT_EQ(raw_redis(server.port()).command({"PUBLISH", "ch", "hello"}), "1");
  EXPECT_EQ(sub.read().render(), "message\nch\nhello");
}

}  // namespace
}  // namespace redkit::test
