// The incremental RESP2/RESP3 parser: a byte-driven state machine with an explicit stack of
// aggregates under construction, so nesting depth costs heap frames, not native stack.
// Thread-safety: a parser is used by one thread at a time.
//
// The parser never buffers input: a header line (type byte up to CRLF) is consumed only once it
// is complete, otherwise `parse` returns and the caller keeps the bytes. Bulk payloads are
// copied into the reply under construction as they arrive, so they may span any number of
// calls.
#include <redkit/error.hpp>
#include <redkit/resp.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

namespace redkit::resp {
namespace {

/// Longest content of a simple string, error, double, boolean, null or big number line.
constexpr std::size_t max_line_length = std::size_t{64} * 1024;
/// Longest content of an integer line: an int64 needs 20 characters; leading zeros get slack.
constexpr std::size_t max_integer_length = 64;
/// Longest content of a length header (`$`, `*`, `%`, ...).
constexpr std::size_t max_header_length = 32;
/// Most elements reserved up front for an aggregate, whatever it announces.
constexpr std::size_t max_element_reserve = 1024;
/// Most bytes reserved up front for a bulk payload arriving in pieces.
constexpr std::size_t max_bulk_reserve = std::size_t{1024} * 1024;

enum class scan : std::uint8_t { ok, partial, bad };

/// Finds the CRLF that ends the line starting at `p[1]` (`p[0]` is the type byte). On `ok`,
/// `cr` is the index of the '\r'. A line whose content exceeds `bound`, a bare '\r' or a bare
/// '\n' is `bad`.
scan find_line(const char* p, std::size_t n, std::size_t bound, std::size_t& cr) noexcept {
  const std::size_t scan_end = std::min(n, bound + 2);  // the '\r' is at index bound + 1 at most
  const void* hit = std::memchr(p + 1, '\r', scan_end - 1);
  if (hit == nullptr) {
    if (n >= bound + 2) return scan::bad;
    if (std::memchr(p + 1, '\n', n - 1) != nullptr) return scan::bad;
    return scan::partial;
  }
  cr = static_cast<std::size_t>(static_cast<const char*>(hit) - p);
  if (std::memchr(p + 1, '\n', cr - 1) != nullptr) return scan::bad;
  if (cr + 1 >= n) return scan::partial;
  return p[cr + 1] == '\n' ? scan::ok : scan::bad;
}

/// An integer line after its type byte: sign and magnitude.
struct int_line {
  scan status = scan::bad;
  bool negative = false;
  std::uint64_t magnitude = 0;
  std::size_t consumed = 0;  ///< type byte + content + CRLF
};

/// Parses `<type>[sign]<digits>\r\n` at `p` with a digit loop (no scan ahead, no copies).
/// A '+' sign is accepted only when `allow_plus`. The content may not exceed `bound` bytes.
int_line scan_int(const char* p, std::size_t n, bool allow_plus, std::size_t bound) noexcept {
  int_line r;
  std::size_t i = 1;
  if (i < n && (p[i] == '-' || (allow_plus && p[i] == '+'))) {
    r.negative = p[i] == '-';
    ++i;
  }
  const std::size_t digits_start = i;
  std::uint64_t v = 0;
  const std::size_t stop = std::min(n, bound + 2);  // index bound + 1 may hold the '\r'
  for (; i < stop; ++i) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(p[i])) - '0';
    if (d > 9) break;
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return r;  // overflow: bad
    v = v * 10 + d;
  }
  if (i - 1 > bound) return r;
  if (i == n) {
    r.status = scan::partial;
    return r;
  }
  if (p[i] != '\r' || i == digits_start) return r;
  if (i + 1 == n) {
    r.status = scan::partial;
    return r;
  }
  if (p[i + 1] != '\n') return r;
  r.status = scan::ok;
  r.magnitude = v;
  r.consumed = i + 2;
  return r;
}

/// True when the decimal text `s` (valid, finite, out of the double range) is too large rather
/// than too small: the decimal exponent of its first significant digit is positive.
bool too_large(std::string_view s) noexcept {
  const char* q = s.data();
  const char* end = q + s.size();
  if (q != end && *q == '-') ++q;
  long long int_digits = 0;
  long long frac_zeros = 0;
  bool significant = false;
  for (; q != end && *q >= '0' && *q <= '9'; ++q) {
    if (significant || *q != '0') {
      significant = true;
      ++int_digits;
    }
  }
  if (q != end && *q == '.') {
    for (++q; q != end && *q >= '0' && *q <= '9'; ++q) {
      if (significant) continue;
      if (*q == '0') {
        ++frac_zeros;
      } else {
        significant = true;
      }
    }
  }
  long long exponent = 0;
  if (q != end && (*q == 'e' || *q == 'E')) {
    ++q;
    const bool negative = q != end && *q == '-';
    if (q != end && (*q == '-' || *q == '+')) ++q;
    constexpr long long cap = 1'000'000'000'000LL;
    for (; q != end && *q >= '0' && *q <= '9'; ++q)
      exponent = std::min(cap, exponent * 10 + (*q - '0'));
    if (negative) exponent = -exponent;
  }
  return (int_digits > 0 ? int_digits - 1 : -(frac_zeros + 1)) + exponent > 0;
}

/// Parses a RESP3 double: `[+|-]<number>`, `inf`, `-inf` or `nan`. Texts beyond the double
/// range saturate to infinity or zero, as strtod does.
bool parse_double(std::string_view s, double& out) noexcept {
  if (s.empty()) return false;
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-' || s.front() == '+') return false;
  }
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    const bool negative = s.front() == '-';
    constexpr double inf = std::numeric_limits<double>::infinity();
    out = too_large(s) ? (negative ? -inf : inf) : (negative ? -0.0 : 0.0);
    return true;
  }
  return ec == std::errc{};
}

/// `[+|-]<digits>` with at least one digit.
bool valid_big_number(std::string_view s) noexcept {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

struct parser::impl {
  enum class state : std::uint8_t { header, bulk, bulk_cr, bulk_lf };

  /// An aggregate under construction.
  struct frame {
    reply* target;                     ///< The aggregate; stable while its children arrive.
    std::size_t remaining;             ///< Children still expected.
    std::shared_ptr<reply> attribute;  ///< Owns `target` when this frame builds an attribute.
    std::shared_ptr<reply> pending;    ///< Attributes waiting for this frame's next child.
  };

  parser_limits limits;
  state st = state::header;
  bool ready = false;
  bool failed = false;
  boost::system::error_code ec;
  reply result;                        ///< The top-level reply, built in place.
  std::vector<frame> stack;            ///< Innermost aggregate last.
  std::shared_ptr<reply> top_pending;  ///< Attributes waiting for the next top-level reply.
  reply* bulk_target = nullptr;        ///< The bulk/verbatim reply receiving payload bytes.
  std::size_t bulk_length = 0;         ///< Its announced length.
  std::size_t bulk_remaining = 0;      ///< Payload bytes still expected.

  explicit impl(parser_limits l) : limits(l) {}

  void fail(errc e) noexcept {
    failed = true;
    ec = make_error_code(e);
  }

  /// The reply object for the next element at the current level, with pending attributes.
  reply& new_slot(resp::type t) {
    reply* r = nullptr;
    std::shared_ptr<reply>* pending = nullptr;
    if (stack.empty()) {
      r = &result;
      pending = &top_pending;
    } else {
      frame& f = stack.back();
      r = &f.target->elements.emplace_back();
      pending = &f.pending;
    }
    r->type = t;
    if (*pending) r->attributes = std::move(*pending);
    return *r;
  }

  /// Stores a complete attribute map for the next element at the current level.
  void add_pending(std::shared_ptr<reply> a) {
    std::shared_ptr<reply>& slot = stack.empty() ? top_pending : stack.back().pending;
    if (!slot) {
      slot = std::move(a);
    } else {
      for (reply& e : a->elements) slot->elements.push_back(std::move(e));
    }
  }

  /// An element at the current level is complete: close every aggregate it completes.
  void element_done() {
    while (!stack.empty()) {
      frame& f = stack.back();
      if (--f.remaining != 0) return;
      std::shared_ptr<reply> attribute = std::move(f.attribute);
      stack.pop_back();
      if (attribute) {
        add_pending(std::move(attribute));  // an attribute is not a child of its parent
        return;
      }
    }
    ready = true;
  }

  /// A simple line (`+ - , # _ (`): returns the bytes consumed, 0 when incomplete or bad.
  std::size_t line(const char* p, std::size_t n) {
    std::size_t cr = 0;
    switch (find_line(p, n, max_line_length, cr)) {
      case scan::partial:
        return 0;
      case scan::bad:
        fail(errc::protocol_error);
        return 0;
      case scan::ok:
        break;
    }
    const std::string_view content(p + 1, cr - 1);
    switch (p[0]) {
      case '+':
        new_slot(type::simple_string).string.assign(content);
        break;
      case '-':
        new_slot(type::simple_error).string.assign(content);
        break;
      case ',': {
        double v = 0;
        if (!parse_double(content, v)) {
          fail(errc::protocol_error);
          return 0;
        }
        new_slot(type::double_).number = v;
        break;
      }
      case '#':
        if (content != "t" && content != "f") {
          fail(errc::protocol_error);
          return 0;
        }
        new_slot(type::boolean).integer = content == "t" ? 1 : 0;
        break;
      case '_':
        if (!content.empty()) {
          fail(errc::protocol_error);
          return 0;
        }
        new_slot(type::null);
        break;
      default:  // '('
        if (!valid_big_number(content)) {
          fail(errc::protocol_error);
          return 0;
        }
        new_slot(type::big_number).string.assign(content);
        break;
    }
    element_done();
    return cr + 2;
  }

  /// `:` integer line.
  std::size_t integer(const char* p, std::size_t n) {
    const int_line l = scan_int(p, n, true, max_integer_length);
    if (l.status != scan::ok) {
      if (l.status == scan::bad) fail(errc::protocol_error);
      return 0;
    }
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (l.magnitude > max + (l.negative ? 1 : 0)) {
      fail(errc::protocol_error);
      return 0;
    }
    // Two's complement negation of the magnitude covers INT64_MIN.
    const auto v = l.negative ? static_cast<std::int64_t>(0 - l.magnitude)
                              : static_cast<std::int64_t>(l.magnitude);
    new_slot(type::integer).integer = v;
    element_done();
    return l.consumed;
  }

  /// A length header (`$ ! = * % ~ > |`); -1 is legal only for `$` and `*`.
  std::size_t header(const char* p, std::size_t n) {
    const int_line l = scan_int(p, n, false, max_header_length);
    if (l.status != scan::ok) {
      if (l.status == scan::bad) fail(errc::protocol_error);
      return 0;
    }
    const char t = p[0];
    if (l.negative) {
      if (l.magnitude != 1 || (t != '$' && t != '*')) {
        fail(errc::protocol_error);
        return 0;
      }
      new_slot(type::null);
      element_done();
      return l.consumed;
    }
    const std::uint64_t count = l.magnitude;
    switch (t) {
      case '$':
      case '!':
      case '=': {
        if (count > limits.max_bulk_length) {
          fail(errc::limit_exceeded);
          return 0;
        }
        if (t == '=' && count < 4) {
          fail(errc::protocol_error);
          return 0;
        }
        const auto len = static_cast<std::size_t>(count);
        const type bt = t == '$'   ? type::bulk_string
                        : t == '!' ? type::bulk_error
                                   : type::verbatim_string;
        reply& r = new_slot(bt);
        // Fast path: the whole payload and its CRLF are here.
        const std::size_t body = l.consumed;
        if (n - body >= len + 2 && t != '=') {
          if (p[body + len] != '\r' || p[body + len + 1] != '\n') {
            fail(errc::protocol_error);
            return 0;
          }
          r.string.assign(p + body, len);
          element_done();
          return body + len + 2;
        }
        bulk_target = &r;
        bulk_length = len;
        bulk_remaining = len;
        st = state::bulk;
        return body;
      }
      default:
        break;
    }
    // Aggregates.
    type at = type::array;
    bool pairs = false;
    switch (t) {
      case '*':
        break;
      case '%':
        at = type::map;
        pairs = true;
        break;
      case '~':
        at = type::set;
        break;
      case '>':
        at = type::push;
        break;
      default:
        pairs = true;
        break;  // '|' attribute
    }
    if (stack.size() >= limits.max_depth || count > limits.max_elements ||
        count > std::numeric_limits<std::size_t>::max() / 2) {
      fail(errc::limit_exceeded);
      return 0;
    }
    const std::size_t elements = static_cast<std::size_t>(count) * (pairs ? 2 : 1);
    if (t == '|') {
      auto a = std::make_shared<reply>();
      a->type = type::map;
      if (elements == 0) {
        add_pending(std::move(a));
        return l.consumed;
      }
      a->elements.reserve(std::min(elements, max_element_reserve));
      reply* target = a.get();
      stack.push_back(frame{target, elements, std::move(a), nullptr});
      return l.consumed;
    }
    reply& r = new_slot(at);
    if (elements == 0) {
      element_done();
      return l.consumed;
    }
    r.elements.reserve(std::min(elements, max_element_reserve));
    stack.push_back(frame{&r, elements, nullptr, nullptr});
    return l.consumed;
  }

  /// Dispatches on the type byte at `p[0]`.
  std::size_t element(const char* p, std::size_t n) {
    switch (p[0]) {
      case '+':
      case '-':
      case ',':
      case '#':
      case '_':
      case '(':
        return line(p, n);
      case ':':
        return integer(p, n);
      case '$':
      case '!':
      case '=':
      case '*':
      case '%':
      case '~':
      case '>':
      case '|':
        return header(p, n);
      default:
        fail(errc::protocol_error);
        return 0;
    }
  }

  /// The payload and its CRLF are complete.
  void bulk_done() {
    reply& r = *bulk_target;
    bulk_target = nullptr;
    st = state::header;
    if (r.type == type::verbatim_string) {
      if (r.string.size() < 4 || r.string[3] != ':') {
        fail(errc::protocol_error);
        return;
      }
      r.format.assign(r.string, 0, 3);
      r.string.erase(0, 4);
    }
    element_done();
  }

  std::size_t parse(std::string_view data) {
    if (failed || ready) return 0;
    const char* p = data.data();
    const std::size_t n = data.size();
    std::size_t pos = 0;
    while (pos < n) {
      switch (st) {
        case state::header: {
          const std::size_t used = element(p + pos, n - pos);
          if (used == 0) return pos;
          pos += used;
          break;
        }
        case state::bulk: {
          std::string& s = bulk_target->string;
          const std::size_t avail = n - pos;
          if (avail < bulk_remaining) {
            if (s.capacity() < bulk_length) {
              s.reserve(std::min(bulk_length, std::max(max_bulk_reserve, s.size() + avail)));
            }
            s.append(p + pos, avail);
            bulk_remaining -= avail;
            return n;
          }
          s.append(p + pos, bulk_remaining);
          pos += bulk_remaining;
          bulk_remaining = 0;
          st = state::bulk_cr;
          break;
        }
        case state::bulk_cr:
          if (p[pos] != '\r') {
            fail(errc::protocol_error);
            return pos;
          }
          ++pos;
          st = state::bulk_lf;
          break;
        case state::bulk_lf:
          if (p[pos] != '\n') {
            fail(errc::protocol_error);
            return pos;
          }
          ++pos;
          bulk_done();
          if (failed) return pos;
          break;
      }
      if (ready) return pos;
    }
    return pos;
  }

  void reset() noexcept {
    st = state::header;
    ready = false;
    failed = false;
    ec.clear();
    result = reply{};
    stack.clear();
    top_pending.reset();
    bulk_target = nullptr;
    bulk_length = 0;
    bulk_remaining = 0;
  }
};

parser::parser(parser_limits limits) : impl_(std::make_unique<impl>(limits)) {}
parser::~parser() = default;
parser::parser(parser&&) noexcept = default;
parser& parser::operator=(parser&&) noexcept = default;

std::size_t parser::parse(std::string_view data) { return impl_->parse(data); }

bool parser::has_reply() const noexcept { return impl_->ready; }

reply parser::take() {
  // Member-wise moves leave `result` pristine for the next reply without a temporary.
  reply& src = impl_->result;
  reply r;
  r.type = std::exchange(src.type, type::null);
  r.string = std::move(src.string);
  src.string.clear();
  r.integer = std::exchange(src.integer, 0);
  r.number = std::exchange(src.number, 0.0);
  r.format = std::move(src.format);
  src.format.clear();
  r.elements = std::move(src.elements);
  src.elements.clear();
  r.attributes = std::move(src.attributes);
  impl_->ready = false;
  return r;
}

bool parser::failed() const noexcept { return impl_->failed; }

boost::system::error_code parser::error() const noexcept { return impl_->ec; }

void parser::reset() noexcept { impl_->reset(); }

}  // namespace redkit::resp
