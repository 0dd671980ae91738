// raw_redis: a tiny blocking RESP client for tests (see raw_redis.hpp).
#include "support/raw_redis.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace redkit::test {
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

void apply_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  auto ms = timeout.count() > 0 ? timeout.count() : 1;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::string raw_redis::reply::render() const {
  switch (type) {
    case kind::simple:
    case kind::integer:
    case kind::bulk:
      return text;
    case kind::error:
      return "-" + text;
    case kind::nil:
      return "(nil)";
    case kind::array: {
      std::string out;
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i != 0) out += '\n';
        out += elements[i].render();
      }
      return out;
    }
  }
  return text;
}

raw_redis::raw_redis(std::uint16_t port, std::chrono::milliseconds timeout) : timeout_(timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("raw_redis: socket(): " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("raw_redis: connect to 127.0.0.1:" + std::to_string(port) +
                             " failed: " + errno_text(err));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  apply_timeout(fd_, timeout_);
}

raw_redis::raw_redis(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {
  apply_timeout(fd_, timeout_);
}

raw_redis raw_redis::unix_socket(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    throw std::runtime_error("raw_redis: unix socket path too long: " + path);
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("raw_redis: socket(): " + errno_text(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error("raw_redis: connect to unix socket " + path +
                             " failed: " + errno_text(err));
  }
  return raw_redis(fd, timeout);  // NOLINT(modernize-return-braced-init-list): not the port ctor
}

raw_redis::raw_redis(raw_redis&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      timeout_(other.timeout_),
      buffer_(std::move(other.buffer_)),
      consumed_(std::exchange(other.consumed_, 0)),
      broken_(std::exchange(other.broken_, true)) {}

raw_redis& raw_redis::operator=(raw_redis&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    buffer_ = std::move(other.buffer_);
    consumed_ = std::exchange(other.consumed_, 0);
    broken_ = std::exchange(other.broken_, true);
  }
  return *this;
}

raw_redis::~raw_redis() {
  if (fd_ >= 0) ::close(fd_);
}

void raw_redis::set_timeout(std::chrono::milliseconds timeout) {
  timeout_ = timeout;
  if (fd_ >= 0) apply_timeout(fd_, timeout_);
}

void raw_redis::check_usable() const {
  if (fd_ < 0 || broken_) {
    throw std::runtime_error("raw_redis: connection unusable after an earlier error");
  }
}

void raw_redis::fail(const std::string& what) {
  broken_ = true;
  throw std::runtime_error("raw_redis: " + what);
}

std::string raw_redis::command(const std::vector<std::string>& args) {
  return command_reply(args).render();
}

std::vector<std::string> raw_redis::command_array(const std::vector<std::string>& args) {
  reply r = command_reply(args);
  std::vector<std::string> out;
  if (r.type == reply::kind::nil) return out;
  if (r.type != reply::kind::array) {
    throw std::runtime_error("raw_redis: expected an array reply, got: " + r.render());
  }
  out.reserve(r.elements.size());
  for (const reply& e : r.elements) out.push_back(e.render());
  return out;
}

raw_redis::reply raw_redis::command_reply(const std::vector<std::string>& args) {
  send(args);
  return read();
}

void raw_redis::send(const std::vector<std::string>& args) {
  check_usable();
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fail("timed out after " + std::to_string(timeout_.count()) + " ms sending a command");
      }
      fail("send failed: " + errno_text(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
}

void raw_redis::fill() {
  buffer_.erase(0, consumed_);
  consumed_ = 0;
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return;
    }
    if (n == 0) fail("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      fail("timed out after " + std::to_string(timeout_.count()) + " ms waiting for a reply");
    }
    fail("recv failed: " + errno_text(errno));
  }
}

std::string raw_redis::read_line() {
  for (;;) {
    std::size_t pos = buffer_.find("\r\n", consumed_);
    if (pos != std::string::npos) {
      std::string line = buffer_.substr(consumed_, pos - consumed_);
      consumed_ = pos + 2;
      return line;
    }
    fill();
  }
}

std::string raw_redis::read_exact(std::size_t n) {
  while (buffer_.size() - consumed_ < n) fill();
  std::string out = buffer_.substr(consumed_, n);
  consumed_ += n;
  return out;
}

raw_redis::reply raw_redis::read() {
  check_usable();
  return parse();
}

raw_redis::reply raw_redis::parse() {
  std::string line = read_line();
  if (line.empty()) fail("protocol error: empty reply line");
  char tag = line[0];
  std::string rest = line.substr(1);
  auto to_int = [&](const std::string& s) -> long long {
    try {
      std::size_t used = 0;
      long long v = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return v;
    } catch (const std::exception&) {
      fail("protocol error: bad length in '" + line + "'");
    }
  };
  reply r;
  switch (tag) {
    case '+':
      r.type = reply::kind::simple;
      r.text = rest;
      return r;
    case '-':
      r.type = reply::kind::error;
      r.text = rest;
      return r;
    case ':':
    case ',':  // RESP3 double
    case '(':  // RESP3 big number
      r.type = reply::kind::integer;
      r.text = rest;
      return r;
    case '#':  // RESP3 boolean
      r.type = reply::kind::integer;
      r.text = rest == "t" ? "1" : "0";
      return r;
    case '_':  // RESP3 null
      r.type = reply::kind::nil;
      return r;
    case '$':
    case '!':    // RESP3 blob error
    case '=': {  // RESP3 verbatim string ("txt:" prefix is kept)
      long long len = to_int(rest);
      if (len < 0) {
        r.type = reply::kind::nil;
        return r;
      }
      r.text = read_exact(static_cast<std::size_t>(len));
      if (read_exact(2) != "\r\n") fail("protocol error: bulk string not followed by CRLF");
      r.type = tag == '!' ? reply::kind::error : reply::kind::bulk;
      return r;
    }
    case '*':
    case '~':    // RESP3 set
    case '>':    // RESP3 push
    case '%':    // RESP3 map, flattened
    case '|': {  // RESP3 attribute: skipped, the reply follows
      long long n = to_int(rest);
      if (n < 0) {
        r.type = reply::kind::nil;
        return r;
      }
      std::size_t count = static_cast<std::size_t>(n) * ((tag == '%' || tag == '|') ? 2 : 1);
      r.type = reply::kind::array;
      r.elements.reserve(count);
      for (std::size_t i = 0; i < count; ++i) r.elements.push_back(parse());
      if (tag == '|') return parse();
      return r;
    }
    default:
      fail("protocol error: unexpected reply line '" + line + "'");
  }
}

}  // namespace redkit::test
