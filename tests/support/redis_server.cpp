// redis_server: starts and stops real redis-server processes for tests (see redis_server.hpp).
#include "support/redis_server.hpp"

#include "support/raw_redis.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#ifndef REDKIT_TEST_REDIS_SERVER
#define REDKIT_TEST_REDIS_SERVER "redis-server"
#endif
#ifndef REDKIT_TEST_OPENSSL
#define REDKIT_TEST_OPENSSL "openssl"
#endif

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto kReadyTimeout = 10s;
constexpr auto kReadyPoll = 20ms;
constexpr int kBindAttempts = 5;

// ---------------------------------------------------------------------------------------------
// Emergency cleanup: PIDs of live servers, SIGKILLed when the process ends abnormally. Lock-free
// so that it can be used from signal handlers.

// Each slot holds (owner pid << 32 | server pid), so that a forked copy of the test process
// (e.g. a death test child) never kills the servers of its parent.
constexpr std::size_t kMaxPids = 256;
std::atomic<std::uint64_t> g_pids[kMaxPids];

std::uint64_t pid_entry(pid_t pid) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(::getpid())) << 32) |
         static_cast<std::uint32_t>(pid);
}

void register_pid(pid_t pid) {
  const std::uint64_t entry = pid_entry(pid);
  for (auto& slot : g_pids) {
    std::uint64_t expected = 0;
    if (slot.compare_exchange_strong(expected, entry)) return;
  }
  // Registry full: the destructor and PR_SET_PDEATHSIG still apply.
}

void unregister_pid(pid_t pid) {
  const std::uint64_t entry = pid_entry(pid);
  for (auto& slot : g_pids) {
    std::uint64_t expected = entry;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void kill_registered() noexcept {
  const auto self = static_cast<std::uint32_t>(::getpid());
  for (auto& slot : g_pids) {
    const std::uint64_t entry = slot.load();
    const auto pid = static_cast<pid_t>(entry & 0xffffffffU);
    if (entry != 0 && (entry >> 32) == self && pid > 0) ::kill(pid, SIGKILL);
  }
}

std::terminate_handler g_previous_terminate = nullptr;

void on_terminate() {
  kill_registered();
  if (g_previous_terminate != nullptr) g_previous_terminate();
  std::abort();
}

void on_fatal_signal(int sig) {
  // SA_RESETHAND restored the default action; the re-raised signal is delivered on return.
  kill_registered();
  ::raise(sig);
}

void install_emergency_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit([] { kill_registered(); });
    g_previous_terminate = std::set_terminate(on_terminate);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL ||
          (old.sa_flags & SA_SIGINFO) != 0) {
        continue;  // someone else (a sanitizer, the test) handles it: leave it alone
      }
      struct sigaction sa {};
      sa.sa_handler = on_fatal_signal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Files and processes.

std::string errno_text(int err) { return std::generic_category().message(err); }

std::string find_in_path(const std::string& name) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return executable(name) ? name : std::string();
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr) return {};
  std::stringstream dirs(path);
  std::string d;
  while (std::getline(dirs, d, ':')) {
    std::string candidate = (d.empty() ? std::string(".") : d) + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return {};
}

std::string make_temp_dir(const std::string& prefix) {
  std::string base = "/tmp";
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') base = t;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  // Leave room for "/redis.sock" in a sockaddr_un (108 bytes).
  if (base.size() + prefix.size() + 6 + std::strlen("/redis.sock") + 2 >= 108) base = "/tmp";
  std::string templ = base + "/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + templ + ") failed: " + errno_text(errno));
  }
  return {buf.data()};
}

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::string read_file_from(const std::string& path, std::uintmax_t offset = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string last_lines(const std::string& text, std::size_t lines) {
  if (lines == 0) return {};
  std::size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  std::size_t start = end;
  std::size_t count = 0;
  while (start > 0) {
    std::size_t nl = text.rfind('\n', start - 1);
    if (nl == std::string::npos) {
      start = 0;
      break;
    }
    if (++count == lines) {
      start = nl + 1;
      break;
    }
    start = nl;
  }
  return text.substr(start, end - start);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// fork+exec of `path` with argv `args`, stdin from /dev/null, stdout and stderr appended to
// output_path. Only async-signal-safe calls happen in the child.
pid_t spawn_process(const std::string& path, const std::vector<std::string>& args,
                    const std::string& output_path, bool die_with_parent) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* program = path.c_str();

  int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) throw std::runtime_error("cannot open " + output_path + ": " + errno_text(errno));
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    int err = errno;
    ::close(out);
    throw std::runtime_error("cannot open /dev/null: " + errno_text(err));
  }
  const pid_t parent = ::getpid();
  // PR_SET_PDEATHSIG fires when the forking *thread* exits, so only use it from the main thread.
  const bool pdeath = die_with_parent && static_cast<pid_t>(::syscall(SYS_gettid)) == parent;
  long max_fd = ::sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  sigset_t empty_mask;
  sigemptyset(&empty_mask);

  pid_t pid = ::fork();
  if (pid == 0) {
    if (pdeath && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)) _exit(127);
    for (int sig = 1; sig < 32; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    ::sigprocmask(SIG_SETMASK, &empty_mask, nullptr);  // NOLINT(concurrency-mt-unsafe): 1 thread
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) _exit(127);
    bool closed = false;
#ifdef SYS_close_range
    closed = ::syscall(SYS_close_range, 3U, ~0U, 0U) == 0;
#endif
    if (!closed) {
      for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
    }
    ::execv(program, argv.data());
    static const char msg[] = "redkit test harness: execv failed\n";
    [[maybe_unused]] auto ignored = ::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  int fork_errno = errno;
  ::close(out);
  ::close(in);
  if (pid < 0) throw std::runtime_error("fork failed: " + errno_text(fork_errno));
  return pid;
}

int wait_blocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

// Runs a short-lived tool to completion; throws with its output if it fails.
void run_tool(const std::string& path, const std::vector<std::string>& args,
              const std::string& output_path) {
  auto offset = file_size_or_zero(output_path);
  pid_t pid = spawn_process(path, args, output_path, true);
  int status = wait_blocking(pid);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const std::string& a : args) cmd += (cmd.empty() ? "" : " ") + a;
    throw std::runtime_error("`" + cmd + "` failed (" + describe_status(status) + "):\n" +
                             last_lines(read_file_from(output_path, offset), 20));
  }
}

std::string require_program(const std::string& name, const std::string& package) {
  std::string path = find_in_path(name);
  if (path.empty()) {
    throw std::runtime_error(name + " not found: install it with `apt-get install " + package +
                             "` (scripts/test does this)");
  }
  return path;
}

// The major version of redis-server, cached per process (0 if unknown).
int redis_major_version(const std::string& program, const std::string& scratch_dir) {
  static std::mutex m;
  static std::optional<int> cached;
  std::lock_guard lock(m);
  if (cached) return *cached;
  std::string out_path = scratch_dir + "/version.txt";
  int major = 0;
  try {
    run_tool(program, {program, "--version"}, out_path);
    std::string text = read_file_from(out_path);
    auto pos = text.find("v=");
    if (pos != std::string::npos) major = std::atoi(text.c_str() + pos + 2);
  } catch (const std::exception&) {
    major = 0;
  }
  std::remove(out_path.c_str());
  cached = major;
  return major;
}

// ---------------------------------------------------------------------------------------------
// Ports.

std::vector<std::uint16_t> pick_free_ports(std::size_t n) {
  static std::mutex m;
  static std::set<std::uint16_t> handed_out;  // never hand out the same port twice per process
  std::lock_guard lock(m);
  std::vector<int> fds;
  std::vector<std::uint16_t> ports;
  for (int tries = 0; ports.size() < n && tries < 200; ++tries) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    fds.push_back(fd);  // kept open until all are picked, so the kernel gives distinct ports
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      continue;
    }
    std::uint16_t port = ntohs(addr.sin_port);
    if (port != 0 && handed_out.insert(port).second) ports.push_back(port);
  }
  for (int fd : fds) ::close(fd);
  if (ports.size() < n) throw std::runtime_error("cannot find free ports on 127.0.0.1");
  return ports;
}

// ---------------------------------------------------------------------------------------------
// TLS material, generated once per process.

struct tls_material {
  std::string dir, ca_cert, ca_key, server_cert, server_key, client_cert, client_key;
};

std::string g_tls_dir;  // removed at exit

const tls_material& shared_tls_material() {
  static std::mutex m;
  static std::optional<tls_material> cached;
  std::lock_guard lock(m);
  if (cached) return *cached;

  const std::string openssl = require_program(REDKIT_TEST_OPENSSL, "openssl");
  tls_material t;
  t.dir = make_temp_dir("redkit-tls-");
  try {
    t.ca_cert = t.dir + "/ca.crt";
    t.ca_key = t.dir + "/ca.key";
    t.server_cert = t.dir + "/server.crt";
    t.server_key = t.dir + "/server.key";
    t.client_cert = t.dir + "/client.crt";
    t.client_key = t.dir + "/client.key";
    const std::string cnf = t.dir + "/openssl.cnf";
    const std::string log = t.dir + "/openssl.log";
    write_file(cnf,
               "[req]\n"
               "distinguished_name = dn\n"
               "prompt = no\n"
               "[dn]\n"
               "CN = redkit test\n"
               "[ca_ext]\n"
               "basicConstraints = critical, CA:TRUE\n"
               "keyUsage = critical, keyCertSign, cRLSign\n"
               "subjectKeyIdentifier = hash\n"
               "[server_ext]\n"
               "basicConstraints = critical, CA:FALSE\n"
               "keyUsage = critical, digitalSignature\n"
               "extendedKeyUsage = serverAuth, clientAuth\n"
               "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
               "subjectKeyIdentifier = hash\n"
               "authorityKeyIdentifier = keyid\n"
               "[client_ext]\n"
               "basicConstraints = critical, CA:FALSE\n"
               "keyUsage = critical, digitalSignature\n"
               "extendedKeyUsage = clientAuth\n"
               "subjectKeyIdentifier = hash\n"
               "authorityKeyIdentifier = keyid\n");
    auto genkey = [&](const std::string& out) {
      run_tool(openssl,
               {openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", out},
               log);
    };
    auto sign = [&](const std::string& name, const std::string& key, const std::string& cert,
                    const std::string& subject, const std::string& ext, const std::string& serial) {
      const std::string csr = t.dir + "/" + name + ".csr";
      run_tool(openssl,
               {openssl, "req", "-config", cnf, "-new", "-key", key, "-subj", subject, "-out", csr},
               log);
      run_tool(openssl, {openssl,    "x509",   "-req",        "-in",  csr,     "-CA",  t.ca_cert,
                         "-CAkey",   t.ca_key, "-set_serial", serial, "-days", "3650", "-sha256",
                         "-extfile", cnf,      "-extensions", ext,    "-out",  cert},
               log);
    };
    genkey(t.ca_key);
    run_tool(openssl,
             {openssl, "req", "-config", cnf, "-new", "-x509", "-key", t.ca_key, "-sha256", "-days",
              "3650", "-subj", "/CN=redkit test CA", "-extensions", "ca_ext", "-out", t.ca_cert},
             log);
    genkey(t.server_key);
    sign("server", t.server_key, t.server_cert, "/CN=localhost", "server_ext", "2");
    genkey(t.client_key);
    sign("client", t.client_key, t.client_cert, "/CN=redkit test client", "client_ext", "3");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(t.dir, ec);
    throw;
  }
  g_tls_dir = t.dir;
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_tls_dir, ec);
  });
  cached = std::move(t);
  return *cached;
}

// ---------------------------------------------------------------------------------------------
// Config.

// A double-quoted argument for redis.conf (parsed by sdssplitargs).
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

long parse_process_id(const std::string& info) {
  auto pos = info.find("process_id:");
  if (pos == std::string::npos) return -1;
  return std::atol(info.c_str() + pos + std::strlen("process_id:"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

redis_server::redis_server(redis_server_options options) : options_(std::move(options)) {
  require_program(REDKIT_TEST_REDIS_SERVER, "redis-server");
  install_emergency_handlers();
  dir_ = make_temp_dir("redkit-redis-");
  try {
    if (options_.tls) {
      const tls_material& t = shared_tls_material();
      ca_file_ = t.ca_cert;
      client_cert_file_ = t.client_cert;
      client_key_file_ = t.client_key;
      server_cert_file_ = t.server_cert;
      server_key_file_ = t.server_key;
    }
    if (options_.unix_socket) unix_path_ = dir_ + "/redis.sock";
    for (int attempt = 1;; ++attempt) {
      auto ports = pick_free_ports(options_.tls ? 2 : 1);
      port_ = ports[0];
      tls_port_ = options_.tls ? ports[1] : 0;
      write_config();
      std::lock_guard lock(mutex_);
      if (launch() == start_result::ready) return;
      if (attempt == kBindAttempts) {
        throw std::runtime_error("redis-server could not bind free ports on 127.0.0.1 in " +
                                 std::to_string(kBindAttempts) +
                                 " attempts (ports taken by other processes); its output:\n" +
                                 last_start_output_);
      }
    }
  } catch (...) {
    remove_dir();
    throw;
  }
}

redis_server::~redis_server() {
  try {
    std::lock_guard lock(mutex_);
    terminate_process(SIGTERM, 2000);
  } catch (...) {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
  remove_dir();
}

void redis_server::stop() {
  std::lock_guard lock(mutex_);
  terminate_process(SIGTERM, 5000);
}

void redis_server::kill() {
  std::lock_guard lock(mutex_);
  terminate_process(SIGKILL, 5000);
}

void redis_server::start() {
  std::lock_guard lock(mutex_);
  if (!reap(false)) throw std::logic_error("redis_server::start: the server is already running");
  if (launch() == start_result::port_in_use) {
    throw std::runtime_error("redis-server could not restart on port " + std::to_string(port_) +
                             (tls_port_ != 0 ? "/" + std::to_string(tls_port_) : std::string()) +
                             ": address already in use by another process; its output:\n" +
                             last_start_output_);
  }
}

void redis_server::pause() {
  std::lock_guard lock(mutex_);
  if (reap(false)) throw std::logic_error("redis_server::pause: the server is not running");
  ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void redis_server::resume() {
  std::lock_guard lock(mutex_);
  if (reap(false) || !paused_) return;
  ::kill(pid_, SIGCONT);
  paused_ = false;
}

bool redis_server::running() const {
  std::lock_guard lock(mutex_);
  return !reap(false);
}

pid_t redis_server::pid() const {
  std::lock_guard lock(mutex_);
  reap(false);
  return pid_;
}

std::uint16_t redis_server::port() const { return port_; }
std::uint16_t redis_server::tls_port() const { return tls_port_; }
std::string redis_server::unix_path() const { return unix_path_; }

std::string redis_server::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

std::string redis_server::tls_url() const {
  return tls_port_ == 0 ? std::string() : "rediss://127.0.0.1:" + std::to_string(tls_port_);
}

std::string redis_server::unix_url() const {
  return unix_path_.empty() ? std::string() : "unix://" + unix_path_;
}

std::string redis_server::ca_file() const { return ca_file_; }
std::string redis_server::client_cert_file() const { return client_cert_file_; }
std::string redis_server::client_key_file() const { return client_key_file_; }
const std::string& redis_server::dir() const { return dir_; }
const redis_server_options& redis_server::options() const { return options_; }

std::string redis_server::log_tail(std::size_t lines) const {
  return last_lines(read_file_from(dir_ + "/redis.log"), lines);
}

// Writes <dir>/redis.conf for the current ports.
void redis_server::write_config() const {
  std::string c;
  auto line = [&](const std::string& name, const std::string& value) {
    c += name + " " + value + "\n";
  };
  line("port", std::to_string(port_));
  line("bind", "127.0.0.1");
  line("protected-mode", "yes");
  line("daemonize", "no");
  line("supervised", "no");
  line("dir", quote(dir_));
  line("logfile", quote(dir_ + "/redis.log"));
  line("loglevel", "notice");
  line("save", "\"\"");
  line("appendonly", "no");
  if (redis_major_version(find_in_path(REDKIT_TEST_REDIS_SERVER), dir_) >= 7) {
    line("enable-debug-command", "yes");
  }
  if (!options_.password.empty()) line("requirepass", quote(options_.password));
  for (const auto& u : options_.acl_users) {
    line("user", quote(u.name) + " " + u.rules + " " +
                     (u.password.empty() ? std::string("nopass") : quote(">" + u.password)));
  }
  if (!unix_path_.empty()) {
    line("unixsocket", quote(unix_path_));
    line("unixsocketperm", "700");
  }
  if (tls_port_ != 0) {
    line("tls-port", std::to_string(tls_port_));
    line("tls-cert-file", quote(server_cert_file_));
    line("tls-key-file", quote(server_key_file_));
    line("tls-ca-cert-file", quote(ca_file_));
    line("tls-auth-clients", "optional");
  }
  for (const auto& [name, value] : options_.extra_config) line(name, value);
  write_file(dir_ + "/redis.conf", c);
}

// Spawns redis-server and waits until it answers PING. Requires mutex_ held and no process.
redis_server::start_result redis_server::launch() {
  const std::string program = require_program(REDKIT_TEST_REDIS_SERVER, "redis-server");
  const std::string log_path = dir_ + "/redis.log";
  const std::string out_path = dir_ + "/redis.stdout";
  const auto log_offset = file_size_or_zero(log_path);
  const auto out_offset = file_size_or_zero(out_path);
  const std::string conf = dir_ + "/redis.conf";

  pid_ = spawn_process(program, {program, conf}, out_path, true);
  register_pid(pid_);
  paused_ = false;
  const pid_t pid = pid_;

  auto output_since_start = [&] {
    std::string text;
    std::string out = last_lines(read_file_from(out_path, out_offset), 20);
    if (!out.empty()) text += "--- its stdout/stderr ---\n" + out + "\n";
    std::string log = last_lines(read_file_from(log_path, log_offset), 20);
    if (!log.empty()) text += "--- last lines of its log ---\n" + log + "\n";
    if (text.empty()) text = "(no output)\n";
    // The temp dir is removed when the constructor fails: show the config itself.
    return text + "--- redis.conf ---\n" + read_file_from(conf);
  };

  const auto deadline = clock_type::now() + kReadyTimeout;
  std::string last_error = "no attempt";
  for (;;) {
    if (reap(false)) {
      std::string output = output_since_start();
      if (output.find("Address already in use") != std::string::npos) {
        last_start_output_ = output;
        return start_result::port_in_use;
      }
      throw std::runtime_error("redis-server (pid " + std::to_string(pid) +
                               ") exited during start-up (" + last_status_ + ").\n" + output);
    }
    try {
      raw_redis r(port_, 200ms);  // a ready server answers at once
      bool authed = true;
      if (!options_.password.empty()) {
        std::string auth = r.command({"AUTH", options_.password});
        if (auth != "OK") {
          authed = false;
          last_error = "AUTH replied " + auth;
        }
      }
      if (authed) {
        std::string pong = r.command({"PING"});
        if (pong == "PONG") {
          long answering = parse_process_id(r.command({"INFO", "server"}));
          if (answering == static_cast<long>(pid)) return start_result::ready;
          last_error = "port " + std::to_string(port_) + " is answered by another process (pid " +
                       std::to_string(answering) + ")";
        } else {
          last_error = "PING replied " + pong;  // e.g. -LOADING
        }
      }
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    if (clock_type::now() >= deadline) {
      ::kill(pid, SIGKILL);
      reap(true);
      throw std::runtime_error("redis-server (pid " + std::to_string(pid) +
                               ") did not answer PING on 127.0.0.1:" + std::to_string(port_) +
                               " within 10 s; last error: " + last_error + "\n" +
                               output_since_start());
    }
    std::this_thread::sleep_for(kReadyPoll);
  }
}

// Sends first_signal (SIGCONT too, in case it is paused), waits up to timeout_ms, then SIGKILLs.
// Requires mutex_ held.
void redis_server::terminate_process(int first_signal, int timeout_ms) {
  if (reap(false)) return;
  ::kill(pid_, first_signal);
  if (first_signal != SIGKILL) ::kill(pid_, SIGCONT);
  const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
  while (!reap(false)) {
    if (clock_type::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      reap(true);
      return;
    }
    std::this_thread::sleep_for(2ms);
  }
}

// Returns true if there is no live process; reaps an exited one (unregistering it first, so that
// the emergency handlers never signal a recycled PID). Requires mutex_ held.
bool redis_server::reap(bool block) const {
  if (pid_ <= 0) return true;
  siginfo_t info{};
  int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, flags);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0 && info.si_pid == 0) return false;  // still running
  unregister_pid(pid_);
  last_status_ = "unknown status";
  if (rc == 0) {
    int status = wait_blocking(pid_);
    if (status != -1) last_status_ = describe_status(status);
  }
  pid_ = -1;
  paused_ = false;
  return true;
}

void redis_server::remove_dir() noexcept {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace redkit::test
