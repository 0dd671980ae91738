// The HTTP floor of bench/serve.sh: the fewest instructions a keep-alive server can spend on a
// request. It answers every request head it reads ("\r\n\r\n") with one fixed 200 and does
// nothing else: no parsing, no routing, no middleware, no store. So no real server answering
// /api/ping on the same machine, under the same wrk, can serve more requests per second.
// Not a server to use: a head split across two reads is not counted, bodies are not read.
//
//   http_floor THREADS   (listens on 127.0.0.1, a free port; prints "listening on URL")
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char response[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    "{\"status\":\"ok\"}";
static int listener;

// One epoll loop per thread; all share the listening socket (EPOLLEXCLUSIVE: one wakes).
static void* serve(void* unused) {
  (void)unused;
  const int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listener};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) != 0) {
    perror("epoll");
    exit(1);
  }
  struct epoll_event events[256];
  char buf[16384];
  const int one = 1;
  for (;;) {
    const int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      const ssize_t got = recv(fd, buf, sizeof buf, 0);
      if (got <= 0) {
        close(fd);
        continue;
      }
      for (ssize_t k = 3; k < got; ++k) {
        if (memcmp(buf + k - 3, "\r\n\r\n", 4) == 0) send(fd, response, sizeof response - 1, 0);
      }
    }
  }
  return NULL;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "usage: http_floor THREADS (1-64)\n");
    return 2;
  }
  listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      listen(listener, 1024) != 0 || getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
    perror("listen");
    return 1;
  }
  printf("listening on http://127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  pthread_t t;
  for (int i = 1; i < threads; ++i) pthread_create(&t, NULL, serve, NULL);
  serve(NULL);
  return 0;
}
