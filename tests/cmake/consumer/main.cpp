// Uses the installed library without a server: parses a reply, builds a command, parses a
// URL, finds an embedded script. Exits non-zero if anything is off.
#include <redkit/command.hpp>
#include <redkit/resp.hpp>
#include <redkit/script.hpp>
#include <redkit/store.hpp>

#include <cstdio>

int main() {
  redkit::resp::parser p;
  p.parse(":42\r\n");
  if (!p.has_reply() || p.take().integer != 42) return 1;
  redkit::command c{"SET", "k", "v"};
  if (c.name() != "SET") return 2;
  if (redkit::parse_store_url("redis://h:7000/2").port != 7000) return 3;
  if (redkit::script::embedded("bench/sliding_log").sha1().size() != 40) return 4;
  std::puts("ok");
  return 0;
}
