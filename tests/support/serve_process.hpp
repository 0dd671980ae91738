// Test support for `redkit serve`: the real binary as a child process on a free port, and a
// blocking HTTP client with a receive timeout. Only for tests built with REDKIT_TEST_CLI.
#pragma once

#include "support/redis_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace redkit::test {

namespace serve_support {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using response = bhttp::response<bhttp::string_body>;

/// `redkit serve --port 0 ARGS...`; reads the port from its first line. SIGKILLed by the
/// destructor if still running.
class serve_process {
 public:
  explicit serve_process(std::vector<std::string> extra, std::vector<std::string> env_extra = {},
                         bool access_log = false) {
    std::vector<std::string> args{REDKIT_TEST_CLI, "serve", "--port", "0"};
    if (!access_log) args.push_back("--no-access-log");
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    for (auto& e : env_extra) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) throw std::runtime_error("cannot start redkit serve");
    out_ = fdopen(fds[0], "r");
    char line[512];
    if (!fgets(line, sizeof line, out_)) throw std::runtime_error("redkit serve printed nothing");
    const std::string l(line);
    const auto colon = l.rfind(':', l.find(" (store"));
    port_ = static_cast<std::uint16_t>(std::stoi(l.substr(colon + 1)));
  }
  ~serve_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_) fclose(out_);
  }
  std::uint16_t port() const { return port_; }
  /// The next line it prints (without the newline); "" at the end of its output.
  std::string next_line() {
    char line[4096];
    if (!fgets(line, sizeof line, out_)) return {};
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    return l;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  /// Waits up to `limit` for the process to end; its exit code, or -1.
  int wait_exit(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::uint16_t port_ = 0;
};

/// One client connection with a receive timeout, so a test never hangs.
class client {
 public:
  explicit client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  response read() {
    response res;
    bhttp::read(socket_, buffer_, res);
    return res;
  }
  response request(std::string_view method, std::string_view target,
                   std::string_view extra_headers = {}, std::string_view body = {}) {
    std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" +
                      std::string(extra_headers);
    if (!body.empty() || method == "POST") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    send(req);
    return read();
  }
  /// Every byte until the server closes the connection (or the socket timeout).
  std::string read_until_closed() {
    std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk{};
    boost::system::error_code ec;
    while (!ec) {
      const auto n = socket_.read_some(asio::buffer(chunk), ec);
      out.append(chunk.data(), n);
    }
    return out;
  }
  /// True when the server has closed the connection (reads EOF) within the socket timeout.
  bool closed_by_server() {
    char c;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

inline boost::json::value body_json(const response& r) { return boost::json::parse(r.body()); }

inline void expect_problem(const response& r, unsigned status) {
  EXPECT_EQ(r.result_int(), status) << r.body();
  EXPECT_EQ(r[bhttp::field::content_type], "application/problem+json");
  const auto j = body_json(r);
  EXPECT_EQ(j.at("status").as_int64(), status);
  EXPECT_FALSE(j.at("detail").as_string().empty());
  EXPECT_FALSE(j.at("title").as_string().empty());
}

/// The header line of a JSON body.
inline const std::string json_type = "Content-Type: application/json\r\n";

/// A POST of the JSON `body`.
inline response post(client& c, std::string_view path, std::string_view body) {
  return c.request("POST", path, json_type, body);
}

/// A `redkit serve` test on each store: the parameter is false for the engine, true for a
/// redis-server the test starts (on first use).
class serve_test : public ::testing::TestWithParam<bool> {
 protected:
  /// This test's store URL.
  std::string url() {
    if (!GetParam()) return "memory://";
    if (!redis_) redis_ = std::make_unique<redis_server>();
    return redis_->url();
  }
  /// `--store URL`, then `extra`.
  std::vector<std::string> store_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--store", url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::unique_ptr<redis_server> redis_;
};

/// The name of a serve_test instantiation's parameter.
inline std::string store_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "redis" : "engine";
}

}  // namespace serve_support

using serve_support::body_json;
using serve_support::client;
using serve_support::expect_problem;
using serve_support::json_type;
using serve_support::post;
using serve_support::serve_process;
using serve_support::serve_test;
using serve_support::store_name;

}  // namespace redkit::test
