// Unit tests of the RESP command encoder: exact bytes, binary safety, and a round trip through
// the parser.
#include <redkit/resp.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using redkit::resp::encode_command;
using redkit::resp::parser;
using redkit::resp::reply;
using redkit::resp::type;
using namespace std::string_literals;
using namespace std::string_view_literals;

std::string encode(std::initializer_list<std::string_view> args) {
  std::string out;
  encode_command(out, args);
  return out;
}

TEST(Encoder, ExactBytes) {
  EXPECT_EQ(encode({"PING"}), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(encode({"SET", "key", "value"}), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  EXPECT_EQ(encode({"GET", "k"}), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(encode({}), "*0\r\n");
}

TEST(Encoder, EmptyArguments) {
  EXPECT_EQ(encode({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  EXPECT_EQ(encode({""}), "*1\r\n$0\r\n\r\n");
  EXPECT_EQ(encode({"", ""}), "*2\r\n$0\r\n\r\n$0\r\n\r\n");
}

TEST(Encoder, BinaryArguments) {
  const std::string_view binary("a\0\r\n\xff"sv);
  EXPECT_EQ(encode({"SET", binary}), "*2\r\n$3\r\nSET\r\n$5\r\na\0\r\n\xff\r\n"s);
  EXPECT_EQ(encode({"\r\n"}), "*1\r\n$2\r\n\r\n\r\n");
}

TEST(Encoder, MultiDigitLengthsAndCounts) {
  const std::string big(12345, 'x');
  EXPECT_EQ(encode({big}), "*1\r\n$12345\r\n" + big + "\r\n");
  std::vector<std::string_view> args(11, "a");
  std::string out;
  encode_command(out, args);
  std::string want = "*11\r\n";
  for (int i = 0; i < 11; ++i) want += "$1\r\na\r\n";
  EXPECT_EQ(out, want);
}

TEST(Encoder, AppendsToExistingBytes) {
  std::string out = "prefix";
  encode_command(out, {"PING"});
  encode_command(out, {"ECHO", "hi"});
  EXPECT_EQ(out, "prefix*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
}

TEST(Encoder, SpanAndInitializerListAgree) {
  const std::vector<std::string_view> args{"HSET", "h", "f", "v"};
  std::string a;
  encode_command(a, args);
  std::string b;
  encode_command(b, {"HSET", "h", "f", "v"});
  EXPECT_EQ(a, b);
}

reply as_reply(const std::vector<std::string>& args) {
  std::vector<reply> elements;
  elements.reserve(args.size());
  for (const std::string& a : args) elements.push_back(reply::make_bulk(a));
  return reply::make_array(std::move(elements));
}

TEST(Encoder, RoundTripThroughParser) {
  std::string binary(256, '\0');
  for (int i = 0; i < 256; ++i) binary[i] = static_cast<char>(i);
  const std::vector<std::vector<std::string>> commands{
      {"PING"},
      {"SET", "key", "value"},
      {"SET", "k", ""},
      {"SET", "bin", binary},
      {"RPUSH", "list", "a\r\nb", "\r\n", "$3", "*1", ":1"},
      {"SET", "large", std::string(1 << 20, 'L')},
      {},
  };
  std::string wire;
  for (const auto& c : commands) {
    std::vector<std::string_view> views(c.begin(), c.end());
    encode_command(wire, views);
  }

  // Whole, and in random chunks (the caller keeps unconsumed bytes).
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::uniform_int_distribution<std::size_t> size(1, round == 0 ? wire.size() : 5000);
    parser p;
    std::vector<reply> got;
    std::string pending;
    for (std::size_t pos = 0; pos < wire.size();) {
      const std::size_t n = std::min(size(rng), wire.size() - pos);
      pending.append(wire, pos, n);
      pos += n;
      std::string_view in(pending);
      while (!in.empty()) {
        in.remove_prefix(p.parse(in));
        ASSERT_FALSE(p.failed()) << p.error().message();
        if (!p.has_reply()) break;
        got.push_back(p.take());
      }
      pending = std::string(in);
    }
    EXPECT_TRUE(pending.empty());
    ASSERT_EQ(got.size(), commands.size()) << "round " << round;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      EXPECT_EQ(got[i].type, type::array);
      EXPECT_TRUE(got[i] == as_reply(commands[i])) << "round " << round << " command " << i;
    }
  }
}

}  // namespace
