// Lua 5.1 scripting for the engine (EVAL, EVALSHA, SCRIPT ...), with Redis 7.0's semantics: one
// Lua state reused by every script, scripts compiled once per SHA-1, KEYS/ARGV globals, the
// `redis` API (call, pcall, error_reply, status_reply, sha1hex, log, setresp, ...), Redis's
// reply conversions both ways, its error texts, its read-only globals and its math.random.
// Thread-safety: used under the engine lock only.
#pragma once

#include <redkit/resp.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

struct lua_State;

namespace redkit::engine {

class context;

class scripting {
 public:
  /// Script flags, as Redis's SCRIPT_FLAG_*: `compat` for scripts without a `#!lua` shebang,
  /// the others from its `flags=` list.
  enum flag : unsigned {
    compat = 1U << 0,
    no_writes = 1U << 1,
    allow_oom = 1U << 2,
    allow_stale = 1U << 3,
    no_cluster = 1U << 4,
    allow_cross_slot_keys = 1U << 5,
  };

  /// A compiled script: its function (a Lua registry reference) and its flags.
  struct script {
    int ref;
    unsigned flags;
  };

  scripting();
  ~scripting();
  scripting(const scripting&) = delete;
  scripting& operator=(const scripting&) = delete;

  /// Lower-case hex SHA-1 of `data` (as redis.sha1hex and the script cache compute it).
  static std::string sha1hex(std::string_view data);

  /// Parses a `#!lua flags=...` first line. Without a shebang: flags = compat, length 0. On a
  /// bad shebang returns false with Redis's error text (without "ERR ") in `error`.
  static bool parse_shebang(std::string_view body, unsigned& flags, std::size_t& length,
                            std::string& error);

  /// Compiles and caches `body` (or finds it cached); `sha` receives its SHA-1. Returns nullptr
  /// with Redis's error reply in `error` when the shebang or the Lua code is invalid.
  const script* load(std::string_view body, std::string& sha, resp::reply& error);

  /// The cached script whose SHA-1 is `sha` (lower-case hex), or nullptr.
  const script* find(std::string_view sha) const;

  /// Runs a cached script with KEYS and ARGV under the caller's context (whose `resp3` selects
  /// the reply shapes) and returns its reply, or Redis's error reply for a failed run.
  /// `read_only` is EVAL_RO / EVALSHA_RO.
  resp::reply run(context& c, std::string_view sha, const script& s,
                  std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  bool read_only);

  /// SCRIPT FLUSH: drops every script and starts a fresh Lua state (Redis resets its Lua VM
  /// too). The math.random generator keeps its state, as on Redis.
  void flush();

  /// Number of cached scripts.
  std::size_t size() const noexcept { return scripts_.size(); }

 private:
  friend struct lua_api;

  /// What redis.call needs while a script runs.
  struct run_state {
    context* ctx = nullptr;
    bool read_only = false;     // EVAL_RO or flags=no-writes
    bool allow_oom = false;     // flags=allow-oom
    bool oom_at_start = false;  // over maxmemory when the script started
    bool wrote = false;         // a write command ran (Redis's SCRIPT_WRITE_DIRTY)
    int resp = 2;               // redis.setresp
    bool in_call = false;       // recursion guard for redis.call
  };

  void open();
  void close() noexcept;
  std::int32_t next_random();

  lua_State* lua_ = nullptr;
  struct sha_hash {  // lookups by string_view, without a copy
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      // A SHA1's hex digits are uniform already: their first 8 bytes are the hash.
      if (s.size() < sizeof(std::uint64_t)) return std::hash<std::string_view>{}(s);
      std::uint64_t h = 0;
      std::memcpy(&h, s.data(), sizeof h);
      return static_cast<std::size_t>(h);
    }
  };
  std::unordered_map<std::string, script, sha_hash, std::equal_to<>> scripts_;
  run_state run_;
  std::uint64_t rand48_ = 0x1234ABCD330EULL;  // Redis's redisLrand48 state (never reseeded)
  std::uint64_t runs_ = 0;
  // Lua registry references, made by open().
  int globals_ref_ = 0;  // the real globals table
  int handler_ref_ = 0;  // the error handler
};

}  // namespace redkit::engine
