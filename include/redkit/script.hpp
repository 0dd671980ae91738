// Lua scripts: the ones embedded from scripts/ at build time and ones made at run time.
// A store calls a script by SHA (EVALSHA) and loads it once on NOSCRIPT.
// Thread-safety: scripts are immutable; the registry is read-only after start-up.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace redkit {

/// One Lua script: its name, source and SHA-1 (lower-case hex, as Redis computes it).
class script {
 public:
  /// Makes a script from source at run time (computes its SHA-1).
  static script make(std::string name, std::string source);

  /// The embedded script `name` (its path under scripts/ without ".lua", e.g.
  /// "bench/sliding_log"). Throws redkit::error(errc::invalid_argument) if there is none.
  static const script& embedded(std::string_view name);
  /// Every embedded script.
  static const std::vector<script>& all_embedded();

  const std::string& name() const noexcept { return name_; }
  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; }

 private:
  script(std::string name, std::string source, std::string sha1);
  std::string name_;
  std::string source_;
  std::string sha1_;
};

/// Lower-case hex SHA-1 of `data`.
std::string sha1_hex(std::string_view data);

}  // namespace redkit
