// Encoding of redkit::command.
#include <redkit/command.hpp>

#include <charconv>

namespace redkit {

void command::start(std::size_t argc) {
  wire_.reserve(16 * (argc + 1));
  wire_ += '*';
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, argc);
  wire_.append(buf, end);
  wire_ += "\r\n";
}

void command::append_arg(std::string_view arg) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, arg.size());
  wire_ += '$';
  wire_.append(buf, end);
  wire_ += "\r\n";
  wire_.append(arg);
  wire_ += "\r\n";
}

std::vector<std::string_view> command::args() const {
  // Our own encoding, so well-formed by construction: *N\r\n then N x $len\r\n<bytes>\r\n.
  std::vector<std::string_view> out;
  std::string_view w = wire_;
  if (w.empty()) return out;
  std::size_t pos = w.find('\r');
  std::size_t n = 0;
  std::from_chars(w.data() + 1, w.data() + pos, n);
  out.reserve(n);
  pos += 2;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t cr = w.find('\r', pos);
    std::size_t len = 0;
    std::from_chars(w.data() + pos + 1, w.data() + cr, len);
    out.push_back(w.substr(cr + 2, len));
    pos = cr + 2 + len + 2;
  }
  return out;
}

command command::from(std::string_view name, std::span<const std::string_view> args) {
  command c;
  c.start(1 + args.size());
  c.append_arg(name);
  c.name_len_ = name.size();
  c.name_off_ = c.wire_.size() - 2 - name.size();
  for (auto a : args) c.append_arg(a);
  return c;
}

command command::from(std::string_view name, const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  return from(name, std::span<const std::string_view>(views));
}

}  // namespace redkit
