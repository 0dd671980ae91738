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
