// redis_server: starts and stops one real `redis-server` process for tests.
//
// Each server gets its own temporary directory (config, log, unix socket) and free loopback ports
// (it only ever listens on 127.0.0.1). It is started with fork+exec of REDKIT_TEST_REDIS_SERVER
// (resolved through PATH) and stopped by PID. TLS certificates (a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate) are generated once per process with
// REDKIT_TEST_OPENSSL and shared by every TLS server of that process.
//
// Servers do not outlive the test process: the destructor always stops the server; a process
// that ends through exit(), std::terminate or a fatal signal (SIGSEGV, SIGABRT, SIGTERM, SIGINT,
// ...) SIGKILLs the servers it started; and a server started from the main thread also gets
// PR_SET_PDEATHSIG, so it dies even if the test process is SIGKILLed.
//
// Thread-safety: the address and file accessors (port(), url(), ca_file(), ...) never change after
// construction and may be called from any thread. The control functions (start, stop, kill,
// pause, resume, running) lock an internal mutex, so they may be called from any thread, but a
// call blocks while another one (e.g. a start() waiting for readiness) is in progress.
// Distinct servers are independent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace redkit::test {

struct redis_server_options {
  std::string password{};  // requirepass for the default user (empty: none)
  struct acl_user {
    std::string name{};
    std::string password{};                // empty: nopass
    std::string rules = "on ~* &* +@all";  // ACL rules, written verbatim after the password
  };
  std::vector<acl_user> acl_users{};  // extra ACL users (via `user` lines in the config file)
  bool tls = false;                   // also serve TLS on a second free port with a generated cert
  bool unix_socket = false;           // also listen on a unix socket in the temp dir
  // Appended config directives, written verbatim as `<name> <value>` lines.
  std::vector<std::pair<std::string, std::string>> extra_config{};
};

class redis_server {
 public:
  // Starts the server and waits until it answers PING (at most 10 s); throws std::runtime_error
  // with a clear message (including the end of the server's log) otherwise.
  explicit redis_server(redis_server_options options = {});

  // Stops the server (SIGTERM, then SIGKILL after about 2 s) and removes the temp dir.
  ~redis_server();

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  // Stops the server gracefully (SIGTERM, SIGKILL after 5 s) and waits for it to exit; no-op if
  // it is not running.
  void stop();

  // Kills the server with SIGKILL and waits for it to exit (simulates a crash); no-op if it is
  // not running.
  void kill();

  // Starts the server again on the same ports, socket and certificates and waits until it is
  // ready; throws std::logic_error if it is running, std::runtime_error if it fails to start.
  void start();

  // Stops the process with SIGSTOP (simulates a hung server); throws std::logic_error if it is
  // not running.
  void pause();

  // Continues a paused process with SIGCONT; no-op if it is not paused.
  void resume();

  // Tells whether the process is alive (paused counts as alive); reaps it if it has exited.
  bool running() const;

  // The PID of the running process, or -1.
  pid_t pid() const;

  // The plain TCP port on 127.0.0.1.
  std::uint16_t port() const;

  // The TLS port on 127.0.0.1 (0 without TLS).
  std::uint16_t tls_port() const;

  // The unix socket path (empty without a unix socket).
  std::string unix_path() const;

  // "redis://127.0.0.1:<port>".
  std::string url() const;

  // "rediss://127.0.0.1:<tls_port>" (empty without TLS).
  std::string tls_url() const;

  // "unix://<unix_path>" (empty without a unix socket).
  std::string unix_url() const;

  // The PEM file of the CA that signed the server and client certificates (empty without TLS).
  std::string ca_file() const;

  // The PEM client certificate signed by the CA (empty without TLS).
  std::string client_cert_file() const;

  // The PEM private key of the client certificate (empty without TLS).
  std::string client_key_file() const;

  // The server's temporary directory (config, log, socket).
  const std::string& dir() const;

  // The options the server was started with.
  const redis_server_options& options() const;

  // The last `lines` lines of the server's log file, for diagnostics.
  std::string log_tail(std::size_t lines = 20) const;

 private:
  enum class start_result { ready, port_in_use };
  start_result launch();
  void write_config() const;
  void terminate_process(int first_signal, int timeout_ms);
  bool reap(bool block) const;
  void remove_dir() noexcept;

  redis_server_options options_;
  std::string dir_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::string unix_path_;
  std::string ca_file_, client_cert_file_, client_key_file_, server_cert_file_, server_key_file_;

  mutable std::mutex mutex_;
  mutable pid_t pid_ = -1;
  mutable bool paused_ = false;
  mutable std::string last_status_;  // how the last process ended
  std::string last_start_output_;    // output of the last start-up that lost a port race
};

}  // namespace redkit::test
