// Lua 5.1 scripting for the engine (EVAL, EVALSHA, SCRIPT ...), with Redis's semantics.
// Thread-safety: used under the engine lock only.
#pragma once

namespace redkit::engine {

// PLACEHOLDER until the scripting work lands.
class scripting {
 public:
  scripting() = default;
  ~scripting() = default;
};

}  // namespace redkit::engine
