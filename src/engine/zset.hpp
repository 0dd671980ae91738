// The engine's sorted set: members ordered by (score, member bytes) as in Redis, with O(log n)
// rank, rank-range and score-range operations, and O(1) score lookup by member.
// Thread-safety: none of its own; the engine lock guards it.
#pragma once

#include "engine/memory.hpp"

#include <cstddef>

namespace redkit::engine {

// PLACEHOLDER until the sorted-set work lands: only what the core needs to compile.
class zset {
 public:
  std::size_t size() const noexcept { return scores_.size(); }
  bool empty() const noexcept { return scores_.empty(); }

 private:
  string_map<double> scores_;
};

}  // namespace redkit::engine
