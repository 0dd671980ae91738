// The embedded engine: an in-process subset of Redis. One keyspace, Redis's command semantics
// and reply texts, lazy + active expiry on a settable clock, memory accounting, and (in their
// own files) Lua scripting and pub/sub.
//
// Structure: `state` is the data; `context` is what one command sees (its arguments, the
// keyspace operations, and reply builders that follow RESP2 or RESP3 shapes); each command
// family (cmd_strings.cpp, cmd_keys.cpp, ...) provides a table of `command_spec`s; `engine`
// owns the state and the lock and runs commands.
//
// Thread-safety: `engine` may be called from any number of threads; every command (and every
// script, which runs its commands through `context::call`) executes under one lock, so all of
// them happen in one total order, as on Redis. `state` and `context` are used under that lock.
#pragma once

#include "engine/errors.hpp"
#include "engine/memory.hpp"
#include "engine/value.hpp"

#include <redkit/resp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redkit::engine {

struct options {
  /// Refuse writes that may grow memory (Redis's "denyoom" commands) once the keyspace uses
  /// more than this many bytes, with Redis's OOM error. 0 means unlimited.
  std::size_t max_memory = 0;
  /// Run the native implementation of a script when one is registered (native_scripts.hpp)
  /// instead of its Lua. Default true; tests turn it off to compare the two.
  bool native_scripts = true;
};

class scripting;  // Lua (scripting.hpp)
class pubsub;     // channels and patterns (pubsub.hpp)

/// The data of one engine. Change it only through `context` (which keeps the expiry index and
/// memory accounting right).
struct state {
  string_map<entry> keys;
  /// (expiry time, key) for every key with a TTL, soonest first: the active sweep pops from it.
  expiry_index expiries;
  /// Bytes allocated by the keyspace (see memory.hpp).
  std::int64_t used_memory = 0;
  options opts;
  bool manual_clock = false;
  std::int64_t manual_now_ms = 0;
  std::int64_t manual_now_us_rest = 0;  // microseconds within the manual millisecond
  std::mt19937_64 rng{0x5eed};
  std::unique_ptr<scripting> lua;
  std::unique_ptr<pubsub> channels;
  std::uint64_t expired_keys = 0;  // deleted by expiry (lazy or active)
  std::uint64_t commands_processed = 0;

  state();
  ~state();
  /// Milliseconds since the Unix epoch on the engine clock.
  std::int64_t now_ms() const;
  /// Microseconds since the Unix epoch on the engine clock (TIME).
  std::int64_t now_us() const;
};

/// Sets the expiry of the key `key` (whose entry is `e`) to `at_ms` (0: none), keeping the
/// expiry index right: a later deadline leaves the key's node where it is (the sweep re-files
/// it), an earlier one moves the node rather than freeing and allocating one.
void move_expiry(state& st, const mstring& key, entry& e, std::int64_t at_ms);

/// Command flags (as in Redis's command table).
enum command_flag : unsigned {
  cmd_write = 1U << 0,     ///< changes the keyspace
  cmd_denyoom = 1U << 1,   ///< may grow memory: refused past max_memory
  cmd_noscript = 1U << 2,  ///< not allowed inside scripts
  cmd_readonly = 1U << 3,  ///< reads only
  cmd_pubsub = 1U << 4,    ///< pub/sub command
};

class context;

struct command_spec {
  std::string_view name;  ///< lower case
  /// Redis's arity: N means exactly N words including the name, -N means at least N.
  int arity;
  unsigned flags;
  resp::reply (*run)(context&);
};

// One table per command family, each defined in its cmd_<family>.cpp.
std::span<const command_spec> string_commands();
std::span<const command_spec> key_commands();
std::span<const command_spec> hash_commands();
std::span<const command_spec> set_commands();
std::span<const command_spec> zset_commands();
std::span<const command_spec> list_commands();
std::span<const command_spec> pubsub_commands();
std::span<const command_spec> scripting_commands();
std::span<const command_spec> server_commands();

/// The command named `name` (any case), or nullptr.
const command_spec* find_command(std::string_view name);

/// ASCII lower case (what std::tolower does in the "C" locale, without the call).
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality, for option keywords ("NX", "withscores", ...).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// What one command sees while it runs (under the engine lock).
class context {
 public:
  context(state& st, std::span<const std::string_view> argv, bool resp3, bool in_script)
      : st(st), argv(argv), resp3(resp3), in_script(in_script) {}

  state& st;
  std::span<const std::string_view> argv;  ///< argv[0] is the command name as sent
  bool resp3;                              ///< reply shapes: RESP3 (map, set, double) or RESP2
  bool in_script;                          ///< run by a Lua script through redis.call/pcall

  std::size_t argc() const noexcept { return argv.size(); }
  std::string_view arg(std::size_t i) const noexcept { return argv[i]; }

  // --- keyspace -------------------------------------------------------------------------------

  std::int64_t now_ms() const { return st.now_ms(); }
  /// The live entry of `key`, or nullptr; an expired entry is deleted on the way (lazy expiry).
  entry* find(std::string_view key);
  /// Like find, with the key's stored name: its (key, entry) pair in the keyspace.
  string_map<entry>::value_type* find_slot(std::string_view key);
  /// Like find, but nullptr with `wrong_type` set when the key holds another type.
  template <typename T>
  T* find_as(std::string_view key, bool& wrong_type) {
    wrong_type = false;
    entry* e = find(key);
    if (e == nullptr) return nullptr;
    if (auto* v = std::get_if<T>(&e->value)) return v;
    wrong_type = true;
    return nullptr;
  }
  /// The value of `key`, created empty (without TTL) when absent; nullptr + `wrong_type` when the
  /// key holds another type.
  template <typename T>
  T* find_or_create(std::string_view key, bool& wrong_type) {
    if (T* v = find_as<T>(key, wrong_type)) return v;
    if (wrong_type) return nullptr;
    auto [it, inserted] = st.keys.try_emplace(to_m(key));
    it->second.value.template emplace<T>();
    return &std::get<T>(it->second.value);
  }
  /// Stores a string value, dropping the key's TTL unless `keep_ttl` (SET semantics).
  void set_string(std::string_view key, std::string_view value, bool keep_ttl = false);
  /// Moves a whole entry in under `key` (replacing any), with the entry's own expiry.
  void put(std::string_view key, entry e);
  /// Deletes `key`; true if it existed (and was live).
  bool remove(std::string_view key);
  /// Sets the absolute expiry of an existing key (0 removes it). Precondition: find(key).
  void set_expire(std::string_view key, std::int64_t at_ms);
  /// Deletes `key` if it holds an empty container (Redis never keeps empty containers).
  void remove_if_empty(std::string_view key);
  /// Deletes every key.
  void flush();
  std::mt19937_64& rng() noexcept { return st.rng; }

  // --- replies --------------------------------------------------------------------------------

  static resp::reply ok() { return resp::reply::make_simple("OK"); }
  static resp::reply nil() { return resp::reply::make_null(); }
  static resp::reply integer(std::int64_t v) { return resp::reply::make_integer(v); }
  static resp::reply bulk(std::string_view s) { return resp::reply::make_bulk(std::string(s)); }
  static resp::reply simple(std::string_view s) { return resp::reply::make_simple(std::string(s)); }
  static resp::reply error(std::string_view s) { return resp::reply::make_error(std::string(s)); }
  /// "ERR invalid expire time in '<command>' command", the command in lower case.
  resp::reply invalid_expire() const;
  static resp::reply array(std::vector<resp::reply> v) {
    return resp::reply::make_array(std::move(v));
  }
  /// "ERR wrong number of arguments for '<name>' command".
  resp::reply arity_error() const;
  /// A double: RESP3 `,` or RESP2 bulk string, formatted as Redis does.
  resp::reply dbl(double v) const;
  /// Key/value pairs given flat: RESP3 map or RESP2 flat array.
  resp::reply map(std::vector<resp::reply> flat) const;
  /// RESP3 set or RESP2 array.
  resp::reply set(std::vector<resp::reply> members) const;

  // --- argument parsing, with Redis's rules -------------------------------------------------

  /// Redis's string2ll: optional '-', digits, no leading zeros, no spaces, fits int64.
  static bool parse_int(std::string_view s, std::int64_t& out) noexcept;
  /// Redis's string2d for commands: strtod over the whole string, no spaces, not NaN.
  static bool parse_double(std::string_view s, double& out) noexcept;
  /// Redis's "%.17g" formatting of doubles (inf / -inf spelled as Redis does).
  static std::string format_double(double v);

  // --- scripts ------------------------------------------------------------------------------

  /// Runs another command as a script does (redis.call): same lock, same keyspace.
  resp::reply call(std::span<const std::string_view> args, bool reply_resp3);
};

/// Runs one command against `st` (the caller holds the engine lock).
resp::reply dispatch(state& st, std::span<const std::string_view> argv, bool resp3, bool in_script);

class engine {
 public:
  explicit engine(options opts = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Runs one command atomically and returns its reply (RESP3 or RESP2 shapes).
  resp::reply execute(std::span<const std::string_view> argv, bool resp3 = true);
  /// Runs several commands atomically (nothing interleaves), one reply each. MULTI ... EXEC
  /// (or DISCARD) inside them behaves as on a Redis connection: the commands between reply
  /// QUEUED and EXEC replies with their replies; an unknown command or a wrong arity is refused
  /// when queued and EXEC then answers EXECABORT, applying nothing; a MULTI left open at the
  /// end is discarded (the engine has no connection to keep it on).
  std::vector<resp::reply> execute_all(std::span<const std::vector<std::string_view>> commands,
                                       bool resp3 = true);

  /// Freezes the clock at `ms` since the epoch.
  void set_time_ms(std::int64_t ms);
  /// Moves the clock forward (freezing it first if it was real time).
  void advance_ms(std::int64_t ms);
  /// Back to the system clock.
  void use_real_time();
  std::int64_t now_ms() const;

  /// Active expiry: deletes up to `budget` keys whose TTL has passed; returns how many.
  std::size_t sweep_expired(std::size_t budget);
  std::int64_t used_memory() const;
  std::size_t key_count() const;

  /// Runs `f(state&)` under the lock (pub/sub and tests use it).
  template <typename F>
  decltype(auto) with_state(F&& f) {
    std::lock_guard lock(mu_);
    memory_scope scope(st_.used_memory);
    return std::forward<F>(f)(st_);
  }

 private:
  mutable std::mutex mu_;
  state st_;
};

}  // namespace redkit::engine
