// The Redis client at its edges: servers without HELLO, peers that send garbage or announce
// huge replies, servers that accept a connection but never answer the handshake.
#include "support/redis_server.hpp"
#include "support/store_helpers.hpp"

#include <redkit/store.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace redkit {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test::redis_server;
using test::redis_server_options;

TEST(RedisClientEdges, ServerWithoutHelloGetsAuthAndSetnameTheOldWay) {
  redis_server_options o;
  o.password = "pw";
  o.acl_users.push_back({"app", "apppw", "on ~* &* +@all"});
  o.extra_config.emplace_back("rename-command", "HELLO \"\"");
  redis_server server(o);
  const auto port = std::to_string(server.port());

  auto s = store::open("redis://:pw@127.0.0.1:" + port + "/2");
  EXPECT_EQ(s->exec(command{"SET", "k", "v"}).string, "OK");
  EXPECT_EQ(s->exec(command{"CLIENT", "GETNAME"}).string, "redkit");
  auto all = s->exec(command{"CONFIG", "GET", "maxclients"});
  EXPECT_EQ(all.type, resp::type::array);  // RESP2: no HELLO, no map

  auto user = store::open("redis://app:apppw@127.0.0.1:" + port);
  EXPECT_EQ(user->exec(command{"ACL", "WHOAMI"}).string, "app");

  store_options opts;
  opts.request_timeout = 2s;
  auto bad = store::open("redis://:nope@127.0.0.1:" + port, opts);
  try {
    bad->exec(command{"PING"});
    FAIL() << "a wrong password was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::auth_failed) << e.what();
  }
}

// A loopback peer that answers the handshake like Redis, then replies to the first command
// with `poison`. Not a mock of Redis: no real server can be made to send broken replies.
class hostile_peer {
 public:
  explicit hostile_peer(std::string poison) : poison_(std::move(poison)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      throw std::runtime_error("hostile_peer: cannot listen on loopback");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~hostile_peer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      timeval tv{0, 300000};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      int replies = 0;
      while (!stop_) {
        const auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        // One reply per received chunk: the handshake's HELLO, then the poison.
        const std::string reply = replies++ == 0 ? "%0\r\n" : poison_;
        if (::send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
      }
      ::close(c);
    }
  }

  std::string poison_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(RedisClientEdges, GarbageReplyDropsTheConnectionWithAProtocolError) {
  hostile_peer peer("?this is not RESP\r\n");
  store_options opts;
  opts.request_timeout = 1s;
  auto s = store::open(peer.url(), opts);
  try {
    s->exec(command{"GET", "k"});
    FAIL() << "garbage was accepted as a reply";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::connection_lost) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("protocol"));
  }
}

TEST(RedisClientEdges, HugeAnnouncedReplyIsRefusedWithoutAllocatingIt) {
  // 100 GiB announced; the default limit is 512 MiB.
  hostile_peer peer("$107374182400\r\nxxxx");
  store_options opts;
  opts.request_timeout = 1s;
  auto s = store::open(peer.url(), opts);
  try {
    s->exec(command{"GET", "k"});
    FAIL() << "a 100 GiB reply was accepted";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::connection_lost) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("limits"));
  }
  // A lower configured limit applies too.
  hostile_peer small("$2048\r\n");
  opts.limits.max_bulk_length = 1024;
  auto s2 = store::open(small.url(), opts);
  EXPECT_THROW(s2->exec(command{"GET", "k"}), error);
}

TEST(RedisClientEdges, ServerThatNeverAnswersTheHandshakeHitsTheConnectTimeout) {
  redis_server server;
  server.pause();  // the kernel still accepts connections; nothing answers HELLO
  store_options opts;
  opts.connect_timeout = 150ms;
  opts.request_timeout = 600ms;
  auto s = store::open(server.url(), opts);
  const auto t0 = steady::now();
  try {
    s->exec(command{"PING"});
    ADD_FAILURE() << "a paused server answered";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::timeout);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("connect timed out"));
  }
  EXPECT_LT(steady::now() - t0, 1200ms);
  server.resume();
  EXPECT_TRUE(test::wait_for_pong(*s));
}

}  // namespace
}  // namespace redkit
