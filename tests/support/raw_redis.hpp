// raw_redis: a tiny blocking RESP client for tests, independent of redkit's own client.
//
// It connects to 127.0.0.1:<port> or to a unix socket, sends commands as RESP2 arrays of bulk
// strings and parses replies (RESP2, plus the RESP3 types a test may meet after HELLO 3). Every
// read is bounded by a receive timeout (SO_RCVTIMEO); any I/O failure, timeout or protocol error
// throws std::runtime_error and leaves the connection unusable (later calls throw too), because
// the reply stream can no longer be trusted.
//
// Thread-safety: none. One raw_redis must be used by one thread at a time; distinct instances
// are independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace redkit::test {

class raw_redis {
 public:
  // One parsed reply.
  struct reply {
    enum class kind { simple, error, integer, bulk, nil, array };
    kind type = kind::nil;
    std::string text;             // simple/error (without the leading '-')/integer/bulk payload
    std::vector<reply> elements;  // array elements (maps are flattened to key, value, ...)

    // Renders the reply the way command() returns it.
    [[nodiscard]] std::string render() const;
  };

  static constexpr std::chrono::milliseconds default_timeout{2000};

  // Connects to 127.0.0.1:port; throws std::runtime_error if the connection fails.
  explicit raw_redis(std::uint16_t port, std::chrono::milliseconds timeout = default_timeout);

  // Connects to the unix socket at path; throws std::runtime_error if the connection fails.
  static raw_redis unix_socket(const std::string& path,
                               std::chrono::milliseconds timeout = default_timeout);

  raw_redis(raw_redis&& other) noexcept;
  raw_redis& operator=(raw_redis&& other) noexcept;
  raw_redis(const raw_redis&) = delete;
  raw_redis& operator=(const raw_redis&) = delete;

  // Closes the connection.
  ~raw_redis();

  // Sets the receive (and send) timeout used by every later read.
  void set_timeout(std::chrono::milliseconds timeout);

  // Sends one command and returns its reply rendered simply: "+OK" -> "OK", an integer -> its
  // decimal text, a bulk string -> its bytes, nil -> "(nil)", an error -> "-ERR ..." (with the
  // '-'), an array -> its rendered elements joined by '\n'.
  std::string command(const std::vector<std::string>& args);

  // Sends one command whose reply must be an array and returns its rendered elements (a nil
  // array gives an empty vector); throws std::runtime_error if the reply is not an array.
  std::vector<std::string> command_array(const std::vector<std::string>& args);

  // Sends one command and returns its parsed reply.
  reply command_reply(const std::vector<std::string>& args);

  // Sends one command without reading its reply (for pipelines and pub/sub).
  void send(const std::vector<std::string>& args);

  // Reads the next reply (for pipelines and pub/sub messages).
  reply read();

 private:
  raw_redis(int fd, std::chrono::milliseconds timeout);
  void check_usable() const;
  [[noreturn]] void fail(const std::string& what);
  std::string read_line();
  std::string read_exact(std::size_t n);
  void fill();
  reply parse();

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool broken_ = false;
};

}  // namespace redkit::test
