// Unit tests of the RESP parser and the reply value: every RESP2/RESP3 type, attributes,
// split invariance, malformed input, limits, allocation behaviour and rendering.
#include <redkit/error.hpp>
#include <redkit/resp.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__)
// The replacement operators below pair malloc with free; GCC cannot see that through inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Counts heap allocations made by this thread while `alloc_probe` is active. Replacing the
// global operator new is the only way to observe what the parser allocates.
namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;
thread_local std::size_t g_largest_allocation = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) {
    ++g_allocations;
    g_largest_allocation = std::max(g_largest_allocation, n);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using redkit::errc;
using redkit::resp::parser;
using redkit::resp::parser_limits;
using redkit::resp::reply;
using redkit::resp::type;
using namespace std::string_literals;

struct alloc_probe {
  alloc_probe() {
    g_allocations = 0;
    g_largest_allocation = 0;
    g_counting = true;
  }
  ~alloc_probe() { g_counting = false; }
  alloc_probe(const alloc_probe&) = delete;
  alloc_probe& operator=(const alloc_probe&) = delete;
};

// ---------------------------------------------------------------------------------------------
// Reply builders and a comparison that also checks attributes at every level.

reply scalar(type t, std::string s) {
  reply r;
  r.type = t;
  r.string = std::move(s);
  return r;
}

reply aggregate(type t, std::vector<reply> elements) {
  reply r;
  r.type = t;
  r.elements = std::move(elements);
  return r;
}

reply verbatim(std::string format, std::string text) {
  reply r;
  r.type = type::verbatim_string;
  r.format = std::move(format);
  r.string = std::move(text);
  return r;
}

reply with_attributes(reply r, std::vector<reply> flat_map) {
  r.attributes = std::make_shared<const reply>(aggregate(type::map, std::move(flat_map)));
  return r;
}

reply simple(std::string s) { return reply::make_simple(std::move(s)); }
reply bulk(std::string s) { return reply::make_bulk(std::move(s)); }
reply integer(std::int64_t v) { return reply::make_integer(v); }

bool deep_equal(const reply& a, const reply& b) {
  if (!(a == b)) return false;
  if (static_cast<bool>(a.attributes) != static_cast<bool>(b.attributes)) return false;
  if (a.attributes && !deep_equal(*a.attributes, *b.attributes)) return false;
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    if (!deep_equal(a.elements[i], b.elements[i])) return false;
  }
  return true;
}

std::string describe(const reply& r) {
  std::string s = to_display(r);
  if (r.attributes) s = "[attributes " + to_display(*r.attributes) + "] " + s;
  return s;
}

::testing::AssertionResult same_replies(const std::vector<reply>& got,
                                        const std::vector<reply>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << "got " << got.size() << " replies, want " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!deep_equal(got[i], want[i])) {
      return ::testing::AssertionFailure() << "reply " << i << ": got\n"
                                           << describe(got[i]) << "\nwant\n"
                                           << describe(want[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------------------------
// A caller that keeps unconsumed bytes and scribbles over consumed ones before discarding them,
// so a parser that kept a view into consumed input would produce wrong replies.

struct outcome {
  std::vector<reply> replies;
  std::vector<std::size_t> reply_sizes;  ///< bytes consumed per reply (single-chunk feeds)
  bool failed = false;
  boost::system::error_code error;
  std::size_t leftover = 0;
};

void drain(parser& p, std::string& pending, outcome& o) {
  std::string_view in(pending);
  std::size_t since_last = 0;
  while (!in.empty()) {
    const std::size_t used = p.parse(in);
    EXPECT_LE(used, in.size());
    in.remove_prefix(used);
    since_last += used;
    if (p.failed()) {
      o.failed = true;
      o.error = p.error();
      break;
    }
    if (!p.has_reply()) break;
    o.replies.push_back(p.take());
    o.reply_sizes.push_back(since_last);
    since_last = 0;
  }
  if (in.size() == pending.size()) return;
  std::string rest(in);
  std::fill(pending.begin(), pending.end(), '\xA5');
  pending = std::move(rest);
}

outcome feed(const std::vector<std::string_view>& chunks, parser_limits limits = {}) {
  parser p(limits);
  outcome o;
  std::string pending;
  for (const std::string_view c : chunks) {
    pending.append(c);
    drain(p, pending, o);
    if (o.failed) break;
  }
  o.leftover = pending.size();
  return o;
}

outcome feed_whole(std::string_view data, parser_limits limits = {}) {
  return feed({data}, limits);
}

outcome feed_bytes(std::string_view data, parser_limits limits = {}) {
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < data.size(); ++i) chunks.push_back(data.substr(i, 1));
  return feed(chunks, limits);
}

// ---------------------------------------------------------------------------------------------
// The corpus: one case per type and shape, concatenated for the split tests.

struct wire_case {
  std::string name;
  std::string wire;
  reply expected;
};

void PrintTo(const wire_case& w, std::ostream* os) { *os << w.name; }

std::vector<wire_case> corpus() {
  std::vector<wire_case> c;
  c.push_back({"simple_string", "+OK\r\n", simple("OK")});
  c.push_back({"empty_simple_string", "+\r\n", simple("")});
  c.push_back({"simple_error", "-ERR unknown command 'foo'\r\n",
               reply::make_error("ERR unknown command 'foo'")});
  c.push_back({"integer_zero", ":0\r\n", integer(0)});
  c.push_back({"integer_plus", ":+42\r\n", integer(42)});
  c.push_back({"integer_min", ":-9223372036854775808\r\n",
               integer(std::numeric_limits<std::int64_t>::min())});
  c.push_back({"integer_max", ":9223372036854775807\r\n",
               integer(std::numeric_limits<std::int64_t>::max())});
  c.push_back({"bulk", "$3\r\nbar\r\n", bulk("bar")});
  c.push_back({"empty_bulk", "$0\r\n\r\n", bulk("")});
  c.push_back({"binary_bulk", "$8\r\na\0b\r\nc\rd\r\n"s, bulk("a\0b\r\nc\rd"s)});
  c.push_back({"bulk_of_crlfs", "$4\r\n\r\n\r\n\r\n", bulk("\r\n\r\n")});
  c.push_back({"resp2_null_bulk", "$-1\r\n", reply::make_null()});
  c.push_back({"resp2_null_array", "*-1\r\n", reply::make_null()});
  c.push_back({"resp3_null", "_\r\n", reply::make_null()});
  c.push_back({"double", ",3.14\r\n", reply::make_double(3.14)});
  c.push_back(
      {"double_inf", ",inf\r\n", reply::make_double(std::numeric_limits<double>::infinity())});
  c.push_back({"double_minus_inf", ",-inf\r\n",
               reply::make_double(-std::numeric_limits<double>::infinity())});
  c.push_back(
      {"double_nan", ",nan\r\n", reply::make_double(std::numeric_limits<double>::quiet_NaN())});
  c.push_back({"double_exponent", ",1.5e3\r\n", reply::make_double(1500)});
  c.push_back({"double_negative_exponent", ",-2E-2\r\n", reply::make_double(-0.02)});
  c.push_back({"double_plus_integral", ",+10\r\n", reply::make_double(10)});
  c.push_back({"true", "#t\r\n", reply::make_boolean(true)});
  c.push_back({"false", "#f\r\n", reply::make_boolean(false)});
  c.push_back({"big_number", "(3492890328409238509324850943850943825024385\r\n",
               scalar(type::big_number, "3492890328409238509324850943850943825024385")});
  c.push_back({"negative_big_number", "(-12\r\n", scalar(type::big_number, "-12")});
  c.push_back({"bulk_error", "!21\r\nSYNTAX invalid syntax\r\n",
               scalar(type::bulk_error, "SYNTAX invalid syntax")});
  c.push_back({"verbatim", "=15\r\ntxt:Some string\r\n", verbatim("txt", "Some string")});
  c.push_back({"verbatim_empty_text", "=4\r\nmkd:\r\n", verbatim("mkd", "")});
  c.push_back({"verbatim_crlf_text", "=8\r\ntxt:a\r\nb\r\n", verbatim("txt", "a\r\nb")});
  c.push_back({"empty_array", "*0\r\n", aggregate(type::array, {})});
  c.push_back({"empty_map", "%0\r\n", aggregate(type::map, {})});
  c.push_back({"empty_set", "~0\r\n", aggregate(type::set, {})});
  c.push_back({"nested_array", "*3\r\n:1\r\n$5\r\nhello\r\n*2\r\n+a\r\n_\r\n",
               reply::make_array({integer(1), bulk("hello"),
                                  reply::make_array({simple("a"), reply::make_null()})})});
  c.push_back({"map", "%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n,2.5\r\n",
               aggregate(type::map, {simple("first"), integer(1), simple("second"),
                                     reply::make_array({reply::make_double(2.5)})})});
  c.push_back({"set", "~2\r\n+a\r\n+b\r\n", aggregate(type::set, {simple("a"), simple("b")})});
  c.push_back({"push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n",
               aggregate(type::push, {bulk("message"), bulk("ch"), bulk("hello")})});
  c.push_back({"resp2_nulls_inside", "*3\r\n$-1\r\n*-1\r\n$0\r\n\r\n",
               reply::make_array({reply::make_null(), reply::make_null(), bulk("")})});
  c.push_back({"empty_aggregates_inside", "*2\r\n*0\r\n%0\r\n",
               reply::make_array({reply::make_array({}), aggregate(type::map, {})})});
  c.push_back({"deep", "*1\r\n*1\r\n*1\r\n*1\r\n:7\r\n",
               reply::make_array(
                   {reply::make_array({reply::make_array({reply::make_array({integer(7)})})})})});
  c.push_back(
      {"top_level_attribute",
       "|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n",
       with_attributes(reply::make_array({integer(2039123), integer(9543892)}),
                       {simple("key-popularity"),
                        reply::make_array({bulk("a"), reply::make_double(0.1923)})})});
  c.push_back({"attribute_inside_array", "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
               reply::make_array(
                   {integer(1), with_attributes(integer(2), {simple("ttl"), integer(3600)})})});
  c.push_back({"attributes_merge", "|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+x\r\n",
               with_attributes(simple("x"), {simple("a"), integer(1), simple("b"), integer(2)})});
  c.push_back({"empty_attribute", "|0\r\n:5\r\n", with_attributes(integer(5), {})});
  c.push_back({"attribute_on_nested_aggregate", "*1\r\n|1\r\n+k\r\n+v\r\n*1\r\n+inner\r\n",
               reply::make_array({with_attributes(reply::make_array({simple("inner")}),
                                                  {simple("k"), simple("v")})})});
  c.push_back(
      {"attribute_inside_attribute", "|1\r\n|1\r\n+meta\r\n+m\r\n+k\r\n+v\r\n:9\r\n",
       with_attributes(integer(9), {with_attributes(simple("k"), {simple("meta"), simple("m")}),
                                    simple("v")})});
  c.push_back({"attribute_on_map_value", "%1\r\n+k\r\n|1\r\n+a\r\n#t\r\n$1\r\nv\r\n",
               aggregate(type::map,
                         {simple("k"),
                          with_attributes(bulk("v"), {simple("a"), reply::make_boolean(true)})})});
  c.push_back(
      {"push_with_nested_map", ">2\r\n+invalidate\r\n%1\r\n=7\r\ntxt:abc\r\n~1\r\n(1\r\n",
       aggregate(type::push,
                 {simple("invalidate"),
                  aggregate(type::map, {verbatim("txt", "abc"),
                                        aggregate(type::set, {scalar(type::big_number, "1")})})})});
  return c;
}

std::string corpus_wire() {
  std::string all;
  for (const wire_case& w : corpus()) all += w.wire;
  return all;
}

std::vector<reply> corpus_replies() {
  std::vector<reply> all;
  for (const wire_case& w : corpus()) all.push_back(w.expected);
  return all;
}

// ---------------------------------------------------------------------------------------------
// Every type, one by one.

class ParserTypes : public ::testing::TestWithParam<wire_case> {};

TEST_P(ParserTypes, ParsesWholeInput) {
  const wire_case& w = GetParam();
  const outcome o = feed_whole(w.wire);
  ASSERT_FALSE(o.failed) << o.error.message();
  EXPECT_TRUE(same_replies(o.replies, {w.expected}));
  EXPECT_EQ(o.leftover, 0U);
}

TEST_P(ParserTypes, ParsesOneByteAtATime) {
  const wire_case& w = GetParam();
  const outcome o = feed_bytes(w.wire);
  ASSERT_FALSE(o.failed) << o.error.message();
  EXPECT_TRUE(same_replies(o.replies, {w.expected}));
  EXPECT_EQ(o.leftover, 0U);
}

TEST_P(ParserTypes, NeedsEveryByte) {
  // No proper prefix of a reply yields a reply or a failure.
  const wire_case& w = GetParam();
  for (std::size_t k = 0; k < w.wire.size(); ++k) {
    const outcome o = feed_whole(std::string_view(w.wire).substr(0, k));
    EXPECT_FALSE(o.failed) << "prefix " << k;
    EXPECT_TRUE(o.replies.empty()) << "prefix " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ParserTypes, ::testing::ValuesIn(corpus()),
                         [](const auto& info) { return info.param.name; });

TEST(Parser, FieldsOfParsedReplies) {
  const outcome o = feed_whole(
      ",nan\r\n,-inf\r\n=15\r\ntxt:Some string\r\n#t\r\n#f\r\n!3\r\nbad\r\n:-5\r\n"
      "|1\r\n+a\r\n+b\r\n+c\r\n");
  ASSERT_FALSE(o.failed);
  ASSERT_EQ(o.replies.size(), 8U);
  EXPECT_EQ(o.replies[0].type, type::double_);
  EXPECT_TRUE(std::isnan(o.replies[0].number));
  EXPECT_EQ(o.replies[1].number, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(o.replies[2].type, type::verbatim_string);
  EXPECT_EQ(o.replies[2].format, "txt");
  EXPECT_EQ(o.replies[2].string, "Some string");
  EXPECT_EQ(o.replies[3].integer, 1);
  EXPECT_EQ(o.replies[4].integer, 0);
  EXPECT_TRUE(o.replies[5].is_error());
  EXPECT_EQ(o.replies[5].string, "bad");
  EXPECT_EQ(o.replies[6].integer, -5);
  EXPECT_EQ(o.replies[7].string, "c");
  ASSERT_NE(o.replies[7].attributes, nullptr);
  EXPECT_EQ(o.replies[7].attributes->type, type::map);
  EXPECT_EQ(o.replies[7].attributes->elements, (std::vector<reply>{simple("a"), simple("b")}));
  // Nothing before the attribute carries one.
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(o.replies[i].attributes, nullptr);
}

TEST(Parser, DoublesBeyondRangeSaturate) {
  const outcome o = feed_whole(",1e400\r\n,-1e400\r\n,1e-400\r\n,0.000001e310\r\n,1" +
                               std::string(400, '0') + "e-50\r\n,-0.0001e-330\r\n");
  ASSERT_FALSE(o.failed);
  ASSERT_EQ(o.replies.size(), 6U);
  EXPECT_EQ(o.replies[0].number, std::numeric_limits<double>::infinity());
  EXPECT_EQ(o.replies[1].number, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(o.replies[2].number, 0.0);
  EXPECT_EQ(o.replies[3].number, 1e304);
  EXPECT_EQ(o.replies[4].number, std::numeric_limits<double>::infinity());
  EXPECT_EQ(o.replies[5].number, 0.0);
  EXPECT_TRUE(std::signbit(o.replies[5].number));
}

TEST(Parser, AttributeAloneIsNeverAReply) {
  parser p;
  const std::string attr = "|1\r\n+a\r\n+b\r\n";
  EXPECT_EQ(p.parse(attr), attr.size());
  EXPECT_FALSE(p.has_reply());
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.parse(":1\r\n"), 4U);
  ASSERT_TRUE(p.has_reply());
  const reply r = p.take();
  EXPECT_EQ(r, integer(1));
  ASSERT_NE(r.attributes, nullptr);
  // The attribute was used up: the next reply has none.
  EXPECT_EQ(p.parse(":2\r\n"), 4U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take().attributes, nullptr);
}

// ---------------------------------------------------------------------------------------------
// One reply per call, and nothing consumed while a reply waits.

TEST(Parser, ReturnsAfterEachReplyWithItsExactSize) {
  const std::vector<wire_case> cases = corpus();
  const outcome o = feed_whole(corpus_wire());
  ASSERT_FALSE(o.failed);
  ASSERT_EQ(o.reply_sizes.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(o.reply_sizes[i], cases[i].wire.size()) << cases[i].name;
  }
}

TEST(Parser, ConsumesNothingWhileAReplyIsReady) {
  parser p;
  const std::string_view in = "+a\r\n$1\r\nb\r\n";
  EXPECT_EQ(p.parse(in), 4U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.parse(in.substr(4)), 0U);
  EXPECT_EQ(p.parse(in.substr(4)), 0U);
  EXPECT_EQ(p.take(), simple("a"));
  EXPECT_FALSE(p.has_reply());
  EXPECT_EQ(p.parse(in.substr(4)), 7U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take(), bulk("b"));
  EXPECT_EQ(p.parse(""), 0U);
  EXPECT_FALSE(p.has_reply());
}

TEST(Parser, IncompleteLineConsumesNothing) {
  parser p;
  EXPECT_EQ(p.parse("+OK\r"), 0U);
  EXPECT_EQ(p.parse("$12"), 0U);
  EXPECT_EQ(p.parse(":12"), 0U);
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.parse("$3\r\nba"), 6U);  // header consumed, partial payload copied
  EXPECT_FALSE(p.has_reply());
  EXPECT_EQ(p.parse("r\r"), 2U);
  EXPECT_FALSE(p.has_reply());
  EXPECT_EQ(p.parse("\n"), 1U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take(), bulk("bar"));
}

TEST(Parser, MovedParserContinuesItsReply) {
  parser a;
  EXPECT_EQ(a.parse("*2\r\n:1\r\n$3\r\nb"), 13U);
  parser b(std::move(a));
  EXPECT_EQ(b.parse("ar\r\n"), 4U);
  ASSERT_TRUE(b.has_reply());
  EXPECT_EQ(b.take(), reply::make_array({integer(1), bulk("bar")}));
  parser c;
  c = std::move(b);
  EXPECT_EQ(c.parse("+x\r\n"), 4U);
  EXPECT_EQ(c.take(), simple("x"));
}

TEST(Parser, ResetDropsPartialReplyAndPendingAttributes) {
  parser p;
  EXPECT_EQ(p.parse("*3\r\n:1\r\n$5\r\nab"), 14U);
  p.reset();
  EXPECT_EQ(p.parse("+OK\r\n"), 5U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take(), simple("OK"));

  EXPECT_EQ(p.parse("|1\r\n+a\r\n+b\r\n"), 12U);
  p.reset();
  EXPECT_EQ(p.parse("+OK\r\n"), 5U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take().attributes, nullptr);

  EXPECT_EQ(p.parse("+ready\r\n"), 8U);
  p.reset();
  EXPECT_FALSE(p.has_reply());
  EXPECT_EQ(p.parse(":3\r\n"), 4U);
  EXPECT_EQ(p.take(), integer(3));
}

// ---------------------------------------------------------------------------------------------
// Split invariance over the whole corpus.

TEST(ParserSplits, EverySplitPointGivesTheSameReplies) {
  const std::string wire = corpus_wire();
  const std::vector<reply> want = corpus_replies();
  ASSERT_GE(want.size(), 12U);
  const outcome whole = feed_whole(wire);
  ASSERT_FALSE(whole.failed);
  ASSERT_TRUE(same_replies(whole.replies, want));
  const std::string_view w(wire);
  for (std::size_t k = 0; k <= wire.size(); ++k) {
    const outcome o = feed({w.substr(0, k), w.substr(k)});
    ASSERT_FALSE(o.failed) << "split at " << k;
    ASSERT_TRUE(same_replies(o.replies, want)) << "split at " << k;
    ASSERT_EQ(o.leftover, 0U) << "split at " << k;
  }
}

TEST(ParserSplits, OneByteAtATime) {
  const std::string wire = corpus_wire();
  const outcome o = feed_bytes(wire);
  ASSERT_FALSE(o.failed);
  EXPECT_TRUE(same_replies(o.replies, corpus_replies()));
  EXPECT_EQ(o.leftover, 0U);
}

TEST(ParserSplits, RandomChunkings) {
  const std::string wire = corpus_wire();
  const std::vector<reply> want = corpus_replies();
  const std::string_view w(wire);
  std::mt19937 rng(20240521);
  for (int round = 0; round < 300; ++round) {
    std::uniform_int_distribution<std::size_t> size(1, round % 2 == 0 ? 8 : 64);
    std::vector<std::string_view> chunks;
    for (std::size_t pos = 0; pos < w.size();) {
      const std::size_t n = std::min(size(rng), w.size() - pos);
      chunks.push_back(w.substr(pos, n));
      pos += n;
    }
    const outcome o = feed(chunks);
    ASSERT_FALSE(o.failed) << "round " << round;
    ASSERT_TRUE(same_replies(o.replies, want)) << "round " << round;
    ASSERT_EQ(o.leftover, 0U) << "round " << round;
  }
}

TEST(ParserSplits, LargeBulkInFourKiBChunks) {
  std::string payload(std::size_t{1024} * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>((i * 131 + i / 7) & 0xFF);  // includes '\r', '\n', NUL
  }
  const std::string wire = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  parser p;
  std::string pending;
  std::size_t max_pending = 0;
  std::vector<reply> replies;
  for (std::size_t pos = 0; pos < wire.size(); pos += 4096) {
    pending.append(wire, pos, 4096);
    std::string_view in(pending);
    while (!in.empty()) {
      in.remove_prefix(p.parse(in));
      ASSERT_FALSE(p.failed());
      if (!p.has_reply()) break;
      replies.push_back(p.take());
    }
    pending = std::string(in);
    max_pending = std::max(max_pending, pending.size());
  }
  // Payload bytes are copied as they come: the caller never has to keep them.
  EXPECT_EQ(max_pending, 0U);
  ASSERT_EQ(replies.size(), 1U);
  EXPECT_EQ(replies[0].type, type::bulk_string);
  EXPECT_TRUE(replies[0].string == payload);
}

// ---------------------------------------------------------------------------------------------
// Malformed input.

struct malformed_case {
  std::string name;
  std::string wire;
};

void PrintTo(const malformed_case& m, std::ostream* os) { *os << m.name; }

std::vector<malformed_case> malformed_cases() {
  return {
      {"unknown_type", "?foo\r\n"},
      {"space_type", " +OK\r\n"},
      {"bulk_length_alpha", "$abc\r\n"},
      {"bulk_length_empty", "$\r\n"},
      {"bulk_length_trailing_junk", "$3x\r\nfoo\r\n"},
      {"bulk_length_plus", "$+3\r\nfoo\r\n"},
      {"bulk_length_overflow", "$99999999999999999999999\r\n"},
      {"bulk_length_minus_two", "$-2\r\n"},
      {"bulk_length_minus_zero", "$-0\r\n"},
      {"bulk_length_minus_only", "$-\r\n"},
      {"array_length_minus_five", "*-5\r\n"},
      {"map_minus_one", "%-1\r\n"},
      {"set_minus_one", "~-1\r\n"},
      {"push_minus_one", ">-1\r\n"},
      {"attribute_minus_one", "|-1\r\n"},
      {"bulk_error_minus_one", "!-1\r\n"},
      {"verbatim_minus_one", "=-1\r\n"},
      {"header_bare_cr", "*1\rX"},
      {"header_bare_lf", "*1\n:1\r\n"},
      {"integer_empty", ":\r\n"},
      {"integer_sign_only", ":-\r\n"},
      {"integer_alpha", ":12a\r\n"},
      {"integer_space", ": 1\r\n"},
      {"integer_overflow", ":9223372036854775808\r\n"},
      {"integer_underflow", ":-9223372036854775809\r\n"},
      {"integer_huge", ":123456789012345678901234567890\r\n"},
      {"bulk_payload_too_long", "$2\r\nfoo\r\n"},
      {"bulk_missing_crlf", "$3\r\nfooXY"},
      {"bulk_lf_cr", "$3\r\nfoo\n\r"},
      {"bulk_cr_only", "$3\r\nfoo\rX"},
      {"boolean_other", "#x\r\n"},
      {"boolean_empty", "#\r\n"},
      {"boolean_long", "#tt\r\n"},
      {"double_alpha", ",abc\r\n"},
      {"double_empty", ",\r\n"},
      {"double_trailing", ",1.5x\r\n"},
      {"double_two_signs", ",+-1\r\n"},
      {"double_space", ", 1\r\n"},
      {"double_bad_exponent", ",1e\r\n"},
      {"null_with_content", "_x\r\n"},
      {"big_number_alpha", "(12a\r\n"},
      {"big_number_empty", "(\r\n"},
      {"big_number_sign_only", "(-\r\n"},
      {"verbatim_short", "=3\r\ntxt\r\n"},
      {"verbatim_no_colon", "=6\r\ntxtabc\r\n"},
      {"simple_bare_cr", "+O\rK\r\n"},
      {"simple_bare_lf", "+O\nK\r\n"},
      {"simple_lf_terminated", "+OK\n"},
      {"error_bare_cr", "-ERR\rx\r\n"},
      {"nested_unknown_type", "*2\r\n:1\r\n?x\r\n"},
      {"nested_bad_bulk", "%1\r\n+k\r\n$1\r\nvv\r\n"},
      {"attribute_bad_value", "|1\r\n+k\r\n#maybe\r\n:1\r\n"},
      {"line_too_long", "+" + std::string(std::size_t{64} * 1024 + 1, 'a')},
      {"line_too_long_with_crlf", "-" + std::string(std::size_t{64} * 1024 + 1, 'a') + "\r\n"},
      {"integer_line_too_long", ":" + std::string(65, '0') + "\r\n"},
      {"integer_line_endless_zeros", ":" + std::string(std::size_t{64} * 1024, '0')},
      {"header_too_long", "*" + std::string(40, '0')},
      {"header_too_long_with_crlf", "$" + std::string(32, '0') + "3\r\nfoo\r\n"},
  };
}

class ParserMalformed : public ::testing::TestWithParam<malformed_case> {};

void expect_failed_for_good(parser& p) {
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error(), make_error_code(errc::protocol_error));
  EXPECT_FALSE(p.has_reply());
  EXPECT_EQ(p.parse("+OK\r\n"), 0U);
  EXPECT_EQ(p.parse(":1\r\n"), 0U);
  EXPECT_TRUE(p.failed());
  EXPECT_FALSE(p.has_reply());
  p.reset();
  EXPECT_FALSE(p.failed());
  EXPECT_FALSE(p.error());
  EXPECT_EQ(p.parse("+OK\r\n"), 5U);
  ASSERT_TRUE(p.has_reply());
  EXPECT_EQ(p.take(), simple("OK"));
}

TEST_P(ParserMalformed, FailsWholeAndStaysFailedUntilReset) {
  const malformed_case& m = GetParam();
  parser p;
  std::string_view in(m.wire);
  while (!in.empty()) {
    in.remove_prefix(p.parse(in));
    if (p.failed() || !p.has_reply()) break;
    (void)p.take();
  }
  ASSERT_TRUE(p.failed()) << m.name;
  expect_failed_for_good(p);
}

TEST_P(ParserMalformed, FailsOneByteAtATime) {
  const malformed_case& m = GetParam();
  const outcome o = feed_bytes(m.wire);
  EXPECT_TRUE(o.failed);
  EXPECT_EQ(o.error, make_error_code(errc::protocol_error));
  EXPECT_TRUE(o.replies.empty());
}

TEST_P(ParserMalformed, FailsAfterValidReplies) {
  // Replies before the bad bytes still come out, in every split.
  const malformed_case& m = GetParam();
  const std::string wire = "+first\r\n:2\r\n" + m.wire;
  for (std::size_t k = 0; k <= std::min<std::size_t>(wire.size(), 64); ++k) {
    const std::string_view w(wire);
    const outcome o = feed({w.substr(0, k), w.substr(k)});
    ASSERT_TRUE(o.failed) << "split " << k;
    EXPECT_EQ(o.error, make_error_code(errc::protocol_error));
    EXPECT_TRUE(same_replies(o.replies, {simple("first"), integer(2)})) << "split " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ParserMalformed, ::testing::ValuesIn(malformed_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Parser, LinesAtTheirBoundAreAccepted) {
  const std::string long_simple(std::size_t{64} * 1024, 's');
  const std::string header = "$" + std::string(31, '0') + "3\r\nfoo\r\n";  // 32-byte length
  const std::string int_line = ":" + std::string(63, '0') + "7\r\n";       // 64-byte integer
  const outcome o = feed_whole("+" + long_simple + "\r\n" + header + int_line);
  ASSERT_FALSE(o.failed) << o.error.message();
  EXPECT_TRUE(same_replies(o.replies, {simple(long_simple), bulk("foo"), integer(7)}));
  const outcome bytes = feed_bytes(header);
  ASSERT_FALSE(bytes.failed);
  EXPECT_TRUE(same_replies(bytes.replies, {bulk("foo")}));
}

TEST(Parser, WaitsForCrlfBelowTheBound) {
  parser p;
  const std::string partial =
      "+" + std::string(std::size_t{64} * 1024, 'a');  // content at the bound
  EXPECT_EQ(p.parse(partial), 0U);
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.parse(partial + "\r"), 0U);
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(p.parse(partial + "a"), 0U);
  EXPECT_TRUE(p.failed());
}

// ---------------------------------------------------------------------------------------------
// Limits.

std::string nested_arrays(std::size_t depth) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i) s += "*1\r\n";
  return s + ":1\r\n";
}

void expect_limit(const std::string& wire, parser_limits limits) {
  const outcome whole = feed_whole(wire, limits);
  EXPECT_TRUE(whole.failed) << wire.substr(0, 40);
  EXPECT_EQ(whole.error, make_error_code(errc::limit_exceeded));
  const outcome bytes = feed_bytes(wire, limits);
  EXPECT_TRUE(bytes.failed);
  EXPECT_EQ(bytes.error, make_error_code(errc::limit_exceeded));
}

void expect_ok(const std::string& wire, parser_limits limits) {
  const outcome o = feed_whole(wire, limits);
  EXPECT_FALSE(o.failed) << o.error.message() << " " << wire.substr(0, 40);
  EXPECT_EQ(o.replies.size(), 1U);
}

TEST(ParserLimits, Depth) {
  parser_limits l;
  l.max_depth = 3;
  expect_ok(nested_arrays(3), l);
  expect_limit(nested_arrays(4), l);
  expect_ok("*1\r\n*1\r\n*0\r\n", l);
  expect_limit("*1\r\n*1\r\n*1\r\n%0\r\n", l);
  expect_ok("%1\r\n+k\r\n~1\r\n:1\r\n", l);
  expect_limit("%1\r\n+k\r\n~1\r\n>1\r\n*1\r\n:1\r\n", l);
  // The default is 64.
  expect_ok(nested_arrays(64), {});
  expect_limit(nested_arrays(65), {});
}

TEST(ParserLimits, DeepNestingCostsNoNativeStack) {
  constexpr std::size_t depth = 100000;
  parser_limits l;
  l.max_depth = depth;
  parser p(l);
  const std::string wire = nested_arrays(depth);
  ASSERT_EQ(p.parse(wire), wire.size());
  ASSERT_TRUE(p.has_reply());
  // Dismantle iteratively: destroying the value recursively would itself need deep stack.
  std::vector<reply> chain;
  chain.push_back(p.take());
  while (!chain.back().elements.empty()) {
    ASSERT_EQ(chain.back().elements.size(), 1U);
    reply child = std::move(chain.back().elements.front());
    chain.back().elements.clear();
    chain.push_back(std::move(child));
  }
  EXPECT_EQ(chain.size(), depth + 1);
  EXPECT_EQ(chain.back(), integer(1));
}

TEST(ParserLimits, BulkLength) {
  parser_limits l;
  l.max_bulk_length = 5;
  expect_ok("$5\r\nhello\r\n", l);
  expect_ok("!5\r\nERR x\r\n", l);
  expect_ok("=5\r\ntxt:x\r\n", l);
  expect_limit("$6\r\nhello!\r\n", l);
  expect_limit("!6\r\nERR xy\r\n", l);
  expect_limit("=6\r\ntxt:xy\r\n", l);
  expect_limit("*2\r\n$1\r\na\r\n$6\r\nhello!\r\n", l);
  // The limit is checked on the header, before any payload arrives.
  parser p(l);
  EXPECT_EQ(p.parse("$6\r\n"), 0U);
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error(), make_error_code(errc::limit_exceeded));
  expect_limit("$536870913\r\n", {});
}

TEST(ParserLimits, ElementCount) {
  parser_limits l;
  l.max_elements = 3;
  expect_ok("*3\r\n:1\r\n:2\r\n:3\r\n", l);
  expect_ok("%3\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n", l);
  expect_ok("~3\r\n:1\r\n:2\r\n:3\r\n", l);
  expect_ok(">3\r\n:1\r\n:2\r\n:3\r\n", l);
  expect_limit("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", l);
  expect_limit("%4\r\n", l);
  expect_limit("~4\r\n", l);
  expect_limit(">4\r\n", l);
  expect_limit("|4\r\n", l);
  expect_limit("*1\r\n*4\r\n", l);
  expect_limit("*4294967296\r\n", {});
  // Limit failures are final too.
  parser p(l);
  EXPECT_EQ(p.parse("*4\r\n"), 0U);
  EXPECT_EQ(p.parse("+OK\r\n"), 0U);
  EXPECT_TRUE(p.failed());
  p.reset();
  EXPECT_EQ(p.parse("+OK\r\n"), 5U);
  EXPECT_TRUE(p.has_reply());
}

// ---------------------------------------------------------------------------------------------
// Allocation behaviour.

TEST(ParserAllocations, TopLevelScalarsAllocateNothing) {
  std::string wire;
  for (int i = 0; i < 100; ++i) {
    wire += "+OK\r\n:12345\r\n$3\r\nbar\r\n#t\r\n,1.5\r\n_\r\n-ERR short\r\n$-1\r\n(12\r\n";
  }
  parser p;
  std::size_t count = 0;
  {
    alloc_probe probe;
    std::string_view in(wire);
    while (!in.empty()) {
      in.remove_prefix(p.parse(in));
      if (!p.has_reply()) break;
      const reply r = p.take();
      ++count;
    }
    EXPECT_EQ(g_allocations, 0U);
  }
  EXPECT_FALSE(p.failed());
  EXPECT_EQ(count, 900U);
}

TEST(ParserAllocations, AnnouncedSizesAreNotReservedBlindly) {
  {
    parser p;
    alloc_probe probe;
    EXPECT_EQ(p.parse("$536870912\r\n0123456789"), 22U);
    EXPECT_FALSE(p.failed());
    EXPECT_LE(g_largest_allocation, 2U * 1024 * 1024);
  }
  {
    parser p;
    alloc_probe probe;
    EXPECT_EQ(p.parse("*4294967295\r\n:1\r\n"), 17U);
    EXPECT_FALSE(p.failed());
    EXPECT_LE(g_largest_allocation, 1024 * sizeof(reply));
  }
  {
    parser p;
    alloc_probe probe;
    EXPECT_EQ(p.parse("%2147483647\r\n"), 13U);
    EXPECT_FALSE(p.failed());
    EXPECT_LE(g_largest_allocation, 1024 * sizeof(reply));
  }
}

// ---------------------------------------------------------------------------------------------
// The reply value.

TEST(Reply, TypeNames) {
  EXPECT_EQ(to_string(type::null), "null");
  EXPECT_EQ(to_string(type::bulk_string), "bulk_string");
  EXPECT_EQ(to_string(type::double_), "double");
  EXPECT_EQ(to_string(type::verbatim_string), "verbatim_string");
  EXPECT_EQ(to_string(type::push), "push");
}

TEST(Reply, Constructors) {
  EXPECT_EQ(reply::make_null().type, type::null);
  EXPECT_TRUE(reply::make_null().is_null());
  EXPECT_EQ(reply::make_simple("OK").type, type::simple_string);
  EXPECT_EQ(reply::make_simple("OK").string, "OK");
  EXPECT_EQ(reply::make_error("ERR x").type, type::simple_error);
  EXPECT_TRUE(reply::make_error("ERR x").is_error());
  EXPECT_EQ(reply::make_integer(-7).integer, -7);
  EXPECT_EQ(reply::make_bulk("b").type, type::bulk_string);
  EXPECT_EQ(reply::make_double(2.5).number, 2.5);
  EXPECT_EQ(reply::make_boolean(true).integer, 1);
  EXPECT_EQ(reply::make_boolean(false).integer, 0);
  EXPECT_EQ(reply::make_boolean(false).type, type::boolean);
  const reply a = reply::make_array({integer(1), bulk("x")});
  EXPECT_EQ(a.type, type::array);
  ASSERT_EQ(a.elements.size(), 2U);
  EXPECT_EQ(a.elements[1].string, "x");
}

TEST(Reply, Equality) {
  EXPECT_EQ(simple("a"), simple("a"));
  EXPECT_NE(simple("a"), bulk("a"));
  EXPECT_NE(bulk("a"), bulk("b"));
  EXPECT_NE(integer(1), integer(2));
  EXPECT_NE(integer(1), reply::make_boolean(true));
  EXPECT_EQ(reply::make_double(std::nan("")), reply::make_double(std::nan("")));
  EXPECT_NE(reply::make_double(std::nan("")), reply::make_double(1));
  EXPECT_NE(verbatim("txt", "a"), verbatim("mkd", "a"));
  EXPECT_EQ(reply::make_array({integer(1)}), reply::make_array({integer(1)}));
  EXPECT_NE(reply::make_array({integer(1)}), reply::make_array({integer(1), integer(2)}));
  EXPECT_NE(reply::make_array({integer(1)}), aggregate(type::set, {integer(1)}));
  EXPECT_NE(reply::make_array({integer(1)}), reply::make_array({integer(3)}));
  // Attributes are ignored, at the top and inside.
  EXPECT_EQ(with_attributes(integer(1), {simple("k"), simple("v")}), integer(1));
  EXPECT_EQ(reply::make_array({with_attributes(integer(1), {simple("k"), simple("v")})}),
            reply::make_array({integer(1)}));
}

TEST(Reply, DisplayScalars) {
  EXPECT_EQ(to_display(bulk("foo")), "\"foo\"");
  EXPECT_EQ(to_display(bulk("a\0\n\"\\\x7f"s)), "\"a\\x00\\n\\\"\\\\\\x7f\"");
  EXPECT_EQ(to_display(simple("OK")), "OK");
  EXPECT_EQ(to_display(integer(1)), "(integer) 1");
  EXPECT_EQ(to_display(integer(-42)), "(integer) -42");
  EXPECT_EQ(to_display(reply::make_null()), "(nil)");
  EXPECT_EQ(to_display(reply::make_error("ERR x")), "(error) ERR x");
  EXPECT_EQ(to_display(scalar(type::bulk_error, "SYNTAX bad")), "(error) SYNTAX bad");
  EXPECT_EQ(to_display(reply::make_double(1.5)), "(double) 1.5");
  EXPECT_EQ(to_display(reply::make_double(-std::numeric_limits<double>::infinity())),
            "(double) -inf");
  EXPECT_EQ(to_display(reply::make_double(std::nan(""))), "(double) nan");
  EXPECT_EQ(to_display(reply::make_boolean(true)), "(true)");
  EXPECT_EQ(to_display(reply::make_boolean(false)), "(false)");
  EXPECT_EQ(to_display(scalar(type::big_number, "123")), "(big number) 123");
  EXPECT_EQ(to_display(verbatim("txt", "plain")), "plain");
}

TEST(Reply, DisplayAggregates) {
  EXPECT_EQ(to_display(reply::make_array({})), "(empty array)");
  EXPECT_EQ(to_display(aggregate(type::map, {})), "(empty hash)");
  EXPECT_EQ(to_display(aggregate(type::set, {})), "(empty set)");
  EXPECT_EQ(to_display(reply::make_array(
                {integer(1), bulk("a"), reply::make_array({bulk("x"), reply::make_null()})})),
            "1) (integer) 1\n"
            "2) \"a\"\n"
            "3) 1) \"x\"\n"
            "   2) (nil)");
  EXPECT_EQ(to_display(aggregate(type::map, {bulk("k"), integer(1), bulk("m"),
                                             reply::make_array({bulk("a"), bulk("b")})})),
            "1# \"k\" => (integer) 1\n"
            "2# \"m\" => 1) \"a\"\n"
            "   2) \"b\"");
  EXPECT_EQ(to_display(aggregate(type::set, {bulk("a"), bulk("b")})), "1~ \"a\"\n2~ \"b\"");
  std::vector<reply> ten;
  ten.reserve(10);
  for (int i = 0; i < 10; ++i) ten.push_back(integer(i));
  const std::string shown = to_display(reply::make_array(ten));
  EXPECT_EQ(shown.substr(0, 15), " 1) (integer) 0");
  EXPECT_NE(shown.find("\n10) (integer) 9"), std::string::npos);
}

}  // namespace
