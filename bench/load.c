// The benchmark's load client: epoll, non-blocking, TCP_NODELAY, loopback
// only. Every mode is bounded in time and in count, and prints one JSON line.
//
//   load pingpong PORT CONNS SECONDS   64-byte messages, one in flight per connection
//   load pump     PORT CONNS SECONDS   64 KiB writes, echo read back; MB/s
//   load conn     PORT CONNS SECONDS   connect, 1 byte, its echo, close with RST; connections/s
//   load http     PORT CONNS SECONDS   HTTP/1.1 keep-alive GETs, one in flight per connection
//   load idle     PORT CONNS SECONDS   open CONNS connections, print {"ready":CONNS}, hold
//                                      them until a line or EOF on stdin, or SECONDS pass
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 20000
#define MAX_OPS 100000000L  // the count bound of every loop
#define HIST_US 200000      // latency histogram: 1 us buckets up to 200 ms

static int port;
static int ep;
static uint64_t hist[HIST_US + 1];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char* what) {
  fprintf(stderr, "load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int open_conn(int nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) < 0 && errno != EINPROGRESS) die("connect");
  return fd;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void watch(int fd, uint32_t events, uint64_t token, int op) {
  struct epoll_event e = {.events = events, .data.u64 = token};
  if (epoll_ctl(ep, op, fd, &e) < 0) die("epoll_ctl");
}

static double percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (int i = 0; i <= HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return i;
  }
  return HIST_US;
}

// ---- ping-pong and http: one request in flight per connection ------------
typedef struct {
  int fd;
  double sent_at;
  size_t got;      // bytes of the current answer so far
  size_t want;     // bytes the answer has (0: not known yet, http)
  char buf[4096];  // http: the answer's head
} conn_t;

static conn_t* conns;

static const char kHttpGet[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void send_request(conn_t* c, int http) {
  static char msg[64];
  const char* data = http ? kHttpGet : msg;
  size_t len = http ? sizeof kHttpGet - 1 : sizeof msg;
  if (!http) memset(msg, 'x', sizeof msg);
  c->sent_at = now();
  c->got = 0;
  c->want = http ? 0 : sizeof msg;
  if (write(c->fd, data, len) != (ssize_t)len) die("write (request)");
}

// http: once the head is complete, the answer's full length.
static size_t http_length(conn_t* c) {
  char* end = memmem(c->buf, c->got, "\r\n\r\n", 4);
  if (end == NULL) return 0;
  char* cl = memmem(c->buf, end - c->buf, "Content-Length:", 15);
  if (cl == NULL) cl = memmem(c->buf, end - c->buf, "content-length:", 15);
  if (cl == NULL) {
    fprintf(stderr, "load: http answer without Content-Length\n");
    exit(1);
  }
  return (end + 4 - c->buf) + strtoul(cl + 15, NULL, 10);
}

static int run_requests(int n, double seconds, int http) {
  conns = calloc(n, sizeof *conns);
  for (int i = 0; i < n; i++) {
    conns[i].fd = open_conn(0);
    set_nonblock(conns[i].fd);
    watch(conns[i].fd, EPOLLIN, i, EPOLL_CTL_ADD);
  }
  long done = 0;
  double t0 = now(), end = t0 + seconds;
  for (int i = 0; i < n; i++) send_request(&conns[i], http);
  struct epoll_event ev[256];
  char sink[65536];
  while (done < MAX_OPS) {
    double t = now();
    if (t >= end) break;
    int k = epoll_wait(ep, ev, 256, 100);
    for (int j = 0; j < k; j++) {
      conn_t* c = &conns[ev[j].data.u64];
      for (;;) {
        char* into = http && c->want == 0 ? c->buf + c->got : sink;
        size_t room = http && c->want == 0 ? sizeof c->buf - c->got : sizeof sink;
        ssize_t r = read(c->fd, into, room);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          fprintf(stderr, "load: connection closed by the server\n");
          exit(1);
        }
        c->got += r;
        if (http && c->want == 0) c->want = http_length(c);
        if (c->want != 0 && c->got >= c->want) {
          if (c->got > c->want) {
            fprintf(stderr, "load: more bytes than asked for\n");
            exit(1);
          }
          double us = (now() - c->sent_at) * 1e6;
          hist[us > HIST_US ? HIST_US : (int)us]++;
          done++;
          if (now() < end) send_request(c, http);
        }
      }
    }
  }
  double elapsed = now() - t0;
  printf("{\"ops\":%ld,\"seconds\":%.3f,\"perSecond\":%.1f,\"p50us\":%.0f,\"p99us\":%.0f}\n", done, elapsed,
         done / elapsed, percentile(done, 0.50), percentile(done, 0.99));
  return 0;
}

// ---- pump: every connection writes 64 KiB chunks and reads the echo ------
static int run_pump(int n, double seconds) {
  static char chunk[65536], sink[65536];
  memset(chunk, 'p', sizeof chunk);
  int* fds = calloc(n, sizeof *fds);
  for (int i = 0; i < n; i++) {
    fds[i] = open_conn(0);
    set_nonblock(fds[i]);
    watch(fds[i], EPOLLIN | EPOLLOUT, i, EPOLL_CTL_ADD);
  }
  long long echoed = 0, sent = 0;
  double t0 = now(), end = t0 + seconds;
  struct epoll_event ev[256];
  for (long loops = 0; loops < MAX_OPS && now() < end; loops++) {
    int k = epoll_wait(ep, ev, 256, 100);
    for (int j = 0; j < k; j++) {
      int fd = fds[ev[j].data.u64];
      if (ev[j].events & EPOLLIN) {
        ssize_t r;
        while ((r = read(fd, sink, sizeof sink)) > 0) echoed += r;
        if (r == 0) die("server closed");
      }
      // Keep at most 1 MiB per connection unanswered, so the echo keeps up.
      if ((ev[j].events & EPOLLOUT) && sent - echoed < (long long)n << 20) {
        ssize_t w = write(fd, chunk, sizeof chunk);
        if (w > 0) sent += w;
      }
    }
  }
  double elapsed = now() - t0;
  printf("{\"ops\":%lld,\"seconds\":%.3f,\"perSecond\":%.1f,\"MBps\":%.1f}\n", echoed, elapsed, echoed / elapsed,
         echoed / elapsed / 1e6);
  return 0;
}

// ---- conn: connect, 1 byte, its echo, close with RST ---------------------
static int run_conn(int n, double seconds) {
  int* fds = calloc(n, sizeof *fds);
  char* sent = calloc(n, 1);
  struct linger lg = {1, 0};
  for (int i = 0; i < n; i++) {
    fds[i] = open_conn(1);
    watch(fds[i], EPOLLOUT | EPOLLIN, i, EPOLL_CTL_ADD);
  }
  long done = 0, failed = 0;  // failed: refused or reset before the echo
  double t0 = now(), end = t0 + seconds;
  struct epoll_event ev[256];
  while (done + failed < MAX_OPS && now() < end) {
    int k = epoll_wait(ep, ev, 256, 100);
    for (int j = 0; j < k; j++) {
      int i = ev[j].data.u64, fd = fds[i];
      int finished = 0;
      if (ev[j].events & (EPOLLERR | EPOLLHUP)) {
        finished = -1;
      } else if (!sent[i] && (ev[j].events & EPOLLOUT)) {
        if (write(fd, "x", 1) == 1) {
          sent[i] = 1;
          watch(fd, EPOLLIN, i, EPOLL_CTL_MOD);
        }
      } else if (ev[j].events & EPOLLIN) {
        char b;
        finished = read(fd, &b, 1) == 1 ? 1 : -1;
      }
      if (finished != 0) {
        if (finished > 0) done++;
        else failed++;
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);  // also leaves the epoll set
        fds[i] = open_conn(1);
        sent[i] = 0;
        watch(fds[i], EPOLLOUT | EPOLLIN, i, EPOLL_CTL_ADD);
      }
    }
  }
  double elapsed = now() - t0;
  printf("{\"ops\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"perSecond\":%.1f}\n", done, failed, elapsed, done / elapsed);
  return 0;
}

// ---- idle: hold CONNS connections open ----------------------------------
// Connects with at most 256 handshakes in flight, all within SECONDS; then
// holds them until a line or EOF on stdin (or SECONDS more, or a signal).
static int run_idle(int n, double seconds) {
  int* fds = calloc(n, sizeof *fds);
  int started = 0, connected = 0;
  double end = now() + seconds;
  struct epoll_event ev[256];
  while (connected < n) {
    if (now() >= end) {
      fprintf(stderr, "load: idle: only %d of %d connections made in %.0f s\n", connected, n, seconds);
      return 1;
    }
    for (; started < n && started - connected < 256; started++) {
      fds[started] = open_conn(1);
      watch(fds[started], EPOLLOUT, started, EPOLL_CTL_ADD);
    }
    int k = epoll_wait(ep, ev, 256, 100);
    for (int j = 0; j < k; j++) {
      int fd = fds[ev[j].data.u64], err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        die("idle connect");
      }
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);  // held, no longer watched
      connected++;
    }
  }
  printf("{\"ready\":%d}\n", n);
  fflush(stdout);
  struct pollfd in = {.fd = 0, .events = POLLIN};
  end = now() + seconds;
  while (now() < end) {
    if (poll(&in, 1, 200) > 0) break;  // a line, or stdin closed: done
  }
  // Close with RST: no TIME_WAIT left behind for every idle connection.
  struct linger lg = {1, 0};
  for (int i = 0; i < n; i++) {
    setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fds[i]);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: load pingpong|pump|conn|http|idle PORT CONNS SECONDS\n");
    return 2;
  }
  const char* mode = argv[1];
  port = atoi(argv[2]);
  int n = atoi(argv[3]);
  double seconds = atof(argv[4]);
  if (port <= 0 || n <= 0 || n > MAX_CONNS || seconds <= 0 || seconds > 600) {
    fprintf(stderr, "load: bad arguments\n");
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  if (strcmp(mode, "pingpong") == 0) return run_requests(n, seconds, 0);
  if (strcmp(mode, "http") == 0) return run_requests(n, seconds, 1);
  if (strcmp(mode, "pump") == 0) return run_pump(n, seconds);
  if (strcmp(mode, "conn") == 0) return run_conn(n, seconds);
  if (strcmp(mode, "idle") == 0) return run_idle(n, seconds);
  fprintf(stderr, "load: unknown mode %s\n", mode);
  return 2;
}
