// The embedded engine as a store backend (`memory://`): its options, and the controls tests and
// operators use (a settable clock, memory figures, the expiry sweep).
// Thread-safety: controls may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace redkit {

/// Options of the embedded engine (store_options::engine).
struct engine_options {
  /// Refuse writes that may grow memory once the keyspace uses more than this many bytes,
  /// with Redis's OOM error. 0 (the default) means unlimited.
  std::size_t max_memory = 0;
  /// How often the active expiry sweep runs; it deletes keys whose TTL passed even if nothing
  /// reads them. Default 100 ms (Redis's hz 10).
  std::chrono::milliseconds expire_sweep_interval{100};
  /// Most keys one sweep deletes, so a sweep never holds the engine long. Default 1000.
  std::size_t expire_sweep_budget = 1000;
  /// Run a script's registered native (C++) form instead of its Lua, with the same effects.
  /// Default true; false runs every script in Lua.
  bool native_scripts = true;
};

/// Controls of an engine-backed store (store::engine() returns nullptr for Redis).
class engine_controls {
 public:
  virtual ~engine_controls() = default;
  /// Freezes the engine clock at `t` (TIME, TTLs and expiry all read this clock).
  virtual void set_time(std::chrono::system_clock::time_point t) = 0;
  /// Moves the clock forward by `d`, freezing it first if it was following real time.
  virtual void advance(std::chrono::milliseconds d) = 0;
  /// Follows the system clock again.
  virtual void use_real_time() = 0;
  /// The engine clock's current time.
  virtual std::chrono::system_clock::time_point now() const = 0;
  /// Runs the active expiry sweep now; returns the number of keys it deleted.
  virtual std::size_t sweep_expired() = 0;
  /// Bytes the keyspace has allocated.
  virtual std::int64_t used_memory() const = 0;
  /// Keys in the keyspace, counting expired ones not yet deleted (like DBSIZE).
  virtual std::size_t key_count() const = 0;
};

}  // namespace redkit
