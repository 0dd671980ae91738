// Memory accounting for the embedded engine: every container the keyspace owns allocates
// through `counting_allocator`, which adds to the counter of the engine whose lock the calling
// thread holds (set by `memory_scope`). So used memory is exact to the allocation, without
// each command having to account for what it stores.
// Thread-safety: the counter pointer is thread-local; it is set only while the engine lock is
// held, and every keyspace allocation and deallocation happens under that lock.
#pragma once

#include <boost/unordered/unordered_map.hpp>
#include <boost/unordered/unordered_set.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace redkit::engine {

namespace detail {
inline thread_local std::int64_t* allocation_counter = nullptr;
}

/// Routes this thread's keyspace allocations to `counter` for its lifetime.
class memory_scope {
 public:
  explicit memory_scope(std::int64_t& counter) noexcept : previous_(detail::allocation_counter) {
    detail::allocation_counter = &counter;
  }
  ~memory_scope() { detail::allocation_counter = previous_; }
  memory_scope(const memory_scope&) = delete;
  memory_scope& operator=(const memory_scope&) = delete;

 private:
  std::int64_t* previous_;
};

template <typename T>
struct counting_allocator {
  using value_type = T;
  counting_allocator() noexcept = default;
  template <typename U>
  counting_allocator(const counting_allocator<U>&) noexcept {}

  // T is a pointer for hash tables' bucket arrays: sizeof(T) is then exactly what is allocated.
  T* allocate(std::size_t n) {
    if (auto* c = detail::allocation_counter) {
      *c += static_cast<std::int64_t>(n * sizeof(T));  // NOLINT(bugprone-sizeof-expression)
    }
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (auto* c = detail::allocation_counter) {
      *c -= static_cast<std::int64_t>(n * sizeof(T));  // NOLINT(bugprone-sizeof-expression)
    }
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const counting_allocator<U>&) const noexcept {
    return true;
  }
};

/// A keyspace string (binary-safe).
using mstring = std::basic_string<char, std::char_traits<char>, counting_allocator<char>>;

inline mstring to_m(std::string_view s) { return mstring(s.data(), s.size()); }
inline std::string_view view(const mstring& s) noexcept { return {s.data(), s.size()}; }

/// Transparent hashing so maps keyed by mstring can be searched with a string_view.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
  std::size_t operator()(const mstring& s) const noexcept { return (*this)(view(s)); }
};
struct string_equal {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  bool operator()(const mstring& a, std::string_view b) const noexcept { return view(a) == b; }
  bool operator()(std::string_view a, const mstring& b) const noexcept { return a == view(b); }
  bool operator()(const mstring& a, const mstring& b) const noexcept { return a == b; }
};

// Boost's node-based tables rather than std::'s: the same interface and node stability, but a
// bucket points at its first node (libstdc++'s points at the node before it), so a lookup in
// a keyspace too big for the cache takes one dependent memory load fewer.
template <typename V>
using string_map = boost::unordered_map<mstring, V, string_hash, string_equal,
                                        counting_allocator<std::pair<const mstring, V>>>;
using string_set =
    boost::unordered_set<mstring, string_hash, string_equal, counting_allocator<mstring>>;
using string_deque = std::deque<mstring, counting_allocator<mstring>>;

}  // namespace redkit::engine
