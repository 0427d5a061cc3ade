// The ceiling: a small C echo server on edge-triggered epoll, one thread.
// Prints {"port":N,"pid":P} and serves until killed. Loopback only.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  char* pending;  // bytes read but not yet written back
  size_t len;
} conn_t;

#define MAX_FD 65536
static conn_t conns[MAX_FD];

// Writes back what is pending; 0 when all is out, 1 when the kernel is full.
static int flush(int fd) {
  conn_t* c = &conns[fd];
  size_t off = 0;
  while (off < c->len) {
    ssize_t w = write(fd, c->pending + off, c->len - off);
    if (w < 0) {
      if (errno == EAGAIN) break;
      c->len = 0;
      return -1;
    }
    off += w;
  }
  memmove(c->pending, c->pending + off, c->len - off);
  c->len -= off;
  return c->len > 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);  // a client that goes away is an EPIPE, not the end
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted sockets
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(l, (struct sockaddr*)&a, sizeof a) < 0 || listen(l, 511) < 0 || getsockname(l, (struct sockaddr*)&a, &alen) < 0) {
    perror("listen");
    return 1;
  }
  printf("{\"port\":%d,\"pid\":%d}\n", ntohs(a.sin_port), getpid());
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = l};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &e);
  static char buf[65536];
  struct epoll_event ev[256];
  for (;;) {
    int k = epoll_wait(ep, ev, 256, -1);
    for (int j = 0; j < k; j++) {
      int fd = ev[j].data.fd;
      if (fd == l) {
        int c;
        while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= MAX_FD) { close(c); continue; }
          conns[c].len = 0;
          struct epoll_event ce = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      conn_t* c = &conns[fd];
      int closed = 0;
      if (c->len > 0 && flush(fd) < 0) closed = 1;
      while (!closed && c->len == 0) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) { closed = 1; break; }
        c->pending = realloc(c->pending, r);
        memcpy(c->pending, buf, r);
        c->len = r;
        if (flush(fd) < 0) closed = 1;
      }
      if (closed) {
        free(c->pending);
        c->pending = NULL;
        c->len = 0;
        close(fd);
      }
    }
  }
}
