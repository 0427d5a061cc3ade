// The Linux platform layer: nonblocking syscalls issued by the library itself,
// readiness from its own epoll instance (poller.cc, watched from Node's loop),
// and the same contract as the completion port on Windows: an operation
// finishes inline when it can, otherwise it is parked and settles exactly once
// from Process().
//
// N.b. syscalls only ever run on the JS thread, and a parked request holds no
// buffer: recv and send run only inline, into memory the caller passes in that
// very call. Parked requests own no kernel state and can be dropped at once.
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "../core/backend.h"
#include "../core/id_table.h"
#include "poller.h"

namespace afdsock {

namespace {

// kReadable / kWritable hold no buffer: they settle when the next recv/send
// may make progress, and JS then calls Recv/Send inline.
enum class Op : uint8_t { kAccept, kConnect, kReadable, kWritable };

struct Parked {
  uint32_t request;
  Op op;
};

// Waiter lists are vectors, not deques: an idle endpoint allocates nothing
// (an empty std::deque already holds a 512-byte block).
struct Endpoint {
  int fd = -1;
  int family = 4;
  std::vector<Parked> reads;   // accept or readable, in order
  std::vector<Parked> writes;  // connect or writable, in order
  SockAddr peer{};
  bool has_peer = false;
  // Edge-triggered hints: cleared when a syscall finds nothing (or no room),
  // set again by the next event, waiter or not. A recv or send is tried only
  // while its hint is set, and a wait parks only once it is clear.
  bool readable = true;
  bool writable = true;
  bool hangup = false;  // EOF or an error was reported: it stays readable
};

socklen_t ToNative(const SockAddr& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof *ss);
  if (a.family == 6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    s6->sin6_scope_id = a.scope;
    std::memcpy(&s6->sin6_addr, a.bytes, 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a.port);
  std::memcpy(&s4->sin_addr, a.bytes, 4);
  return sizeof(sockaddr_in);
}

SockAddr FromNative(const sockaddr_storage& ss) {
  SockAddr a{};
  if (ss.ss_family == AF_INET6) {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    a.family = 6;
    a.port = ntohs(s6->sin6_port);
    a.scope = s6->sin6_scope_id;
    std::memcpy(a.bytes, &s6->sin6_addr, 16);
  } else {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    a.family = 4;
    a.port = ntohs(s4->sin_port);
    std::memcpy(a.bytes, &s4->sin_addr, 4);
  }
  return a;
}

bool WouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

std::string Describe(const SockAddr& a) {
  char text[INET6_ADDRSTRLEN] = "?";
  inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.bytes, text, sizeof text);
  return a.family == 6 ? "[" + std::string(text) + "]:" + std::to_string(a.port) : std::string(text) + ":" + std::to_string(a.port);
}

std::string Describe(const sockaddr_storage& ss) { return ss.ss_family == 0 ? "" : Describe(FromNative(ss)); }

}  // namespace

// TRACED(impl, "bind", fd, detail-expression, call-expression): the call,
// traced when the trace is on (the detail is built only then).
#define TRACED(impl, name, fd, detail, call)                                                        \
  ((impl)->tracer.On() ? (impl)->Traced(name, fd, [&]() -> int64_t { return (call); },              \
                                        [&]() -> std::string { return (detail); })                  \
                       : static_cast<int64_t>(call))

namespace {

}  // namespace

struct Backend::Impl {
  explicit Impl(Tracer& t) : tracer(t) {}
  Tracer& tracer;
  epoll::Poller poller;
  IdTable<Endpoint> endpoints;
  std::vector<Settled> deferred;  // cancellations, settled at the next Process()

  // Every syscall goes through TRACED (below) so the trace sees it with its
  // decoded arguments, result and duration; with tracing off it is one branch.
  template <typename Call, typename Detail>
  int64_t Traced(const char* name, int fd, Call call, Detail detail) {
    int64_t start = tracer.Start();
    int64_t r = call();
    int err = r < 0 ? errno : 0;
    tracer.Posix(name, fd, r, err, detail(), start);
    errno = err;
    return r;
  }

  Endpoint* Get(uint32_t id) { return endpoints.Get(id); }

  uint32_t Adopt(int fd, int family, int* err) {
    auto ep = std::make_unique<Endpoint>();
    ep->fd = fd;
    ep->family = family;
    uint32_t id = endpoints.Add(std::move(ep));
    *err = poller.Add(fd, id);
    if (*err != 0) {
      TRACED(this, "close", fd, std::string(), close(fd));
      endpoints.Remove(id);
      return 0;
    }
    return id;
  }

  // One attempt at a parked or new operation. kPending: still would block.
  Outcome Attempt(Endpoint& ep, Parked& p) {
    switch (p.op) {
      case Op::kAccept: {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        int fd = static_cast<int>(TRACED(this, "accept4", ep.fd, Describe(ss),
                                         accept4(ep.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC)));
        if (fd < 0) return WouldBlock(errno) ? Pending() : Failed(errno);
        int err = 0;
        uint32_t child = Adopt(fd, ep.family, &err);
        if (child == 0) return Failed(err);
        Endpoint* c = Get(child);
        c->peer = FromNative(ss);
        c->has_peer = true;
        return Done(child);
      }
      case Op::kConnect: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(ep.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) {
          // Still in progress? getpeername tells (ENOTCONN until it is done).
          sockaddr_storage ss{};
          socklen_t sl = sizeof ss;
          if (getpeername(ep.fd, reinterpret_cast<sockaddr*>(&ss), &sl) < 0)
            return errno == ENOTCONN ? Pending() : Failed(errno);
          return Done();
        }
        return WouldBlock(err) || err == EINPROGRESS ? Pending() : Failed(err);
      }
      case Op::kReadable:
      case Op::kWritable:
        return Done();  // the event itself is the news
    }
    return Failed(EINVAL);
  }

  // Runs parked requests in order until one would block.
  void Drive(uint32_t id, std::vector<Parked> Endpoint::*list, std::vector<Settled>& out) {
    size_t i = 0;
    for (;;) {
      Endpoint* ep = Get(id);  // an accept may grow the table
      if (ep == nullptr) return;
      std::vector<Parked>& q = ep->*list;
      if (i == q.size()) {
        q.clear();
        return;
      }
      Outcome o = Attempt(*ep, q[i]);
      if (o.state == kPending) {
        q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
      out.push_back(Settled{q[i].request, o.state, o.status, o.value});
      i++;
    }
  }

  // New operation: inline if nothing is queued ahead of it, else park.
  Outcome Start(uint32_t id, std::vector<Parked>& q, Parked p) {
    Endpoint* ep = Get(id);
    if (ep == nullptr) return Failed(EBADF);
    if (q.empty()) {
      Outcome o = Attempt(*ep, p);
      if (o.state != kPending) return o;
    }
    q.push_back(p);
    return Pending();
  }

  void CancelAll(std::vector<Parked>& q) {
    for (const Parked& p : q) deferred.push_back(Settled{p.request, kFailed, ECANCELED, 0});
    q.clear();
  }
};

Backend::Backend(Tracer& tracer) : impl_(new Impl(tracer)) {}
Backend::~Backend() { Stop(); }

std::string Backend::Name() const { return "linux"; }

std::string Backend::Start(Napi::Env env, CompletionQueue* queue) { return impl_->poller.Start(env, queue); }

void Backend::Ref(Napi::Env, bool on) { impl_->poller.Ref(on); }

void Backend::Stop() {
  impl_->poller.Stop();
  impl_->endpoints.ForEach([](uint32_t, Endpoint& ep) {
    if (ep.fd >= 0) close(ep.fd);
    ep.fd = -1;
  });
}

Outcome Backend::Open(int family) {
  int fd = static_cast<int>(TRACED(impl_, "socket", -1, std::string(family == 6 ? "AF_INET6" : "AF_INET"),
                                   socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)));
  if (fd < 0) return Failed(errno);
  if (family == 6) {
    // v6-only, as AFD endpoints are by default: '::' does not take IPv4.
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  int err = 0;
  uint32_t id = impl_->Adopt(fd, family, &err);
  return id == 0 ? Failed(err) : Done(id);
}

Outcome Backend::Bind(uint32_t id, const SockAddr& addr, Share share, SockAddr* bound) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  int one = 1;
  // 'exclusive' refuses even TIME_WAIT leftovers; the others behave as libuv
  // listeners do (SO_REUSEADDR), and 'reuse' shares the port (SO_REUSEPORT).
  if (share != kShareExclusive &&
      TRACED(impl_, "setsockopt", ep->fd, std::string("SO_REUSEADDR=1"), setsockopt(ep->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) < 0)
    return Failed(errno);
  if (share == kShareReuse &&
      TRACED(impl_, "setsockopt", ep->fd, std::string("SO_REUSEPORT=1"), setsockopt(ep->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) < 0)
    return Failed(errno);
  sockaddr_storage ss;
  socklen_t len = ToNative(addr, &ss);
  if (TRACED(impl_, "bind", ep->fd, Describe(addr), bind(ep->fd, reinterpret_cast<sockaddr*>(&ss), len)) < 0) return Failed(errno);
  return LocalAddress(id, bound);
}

Outcome Backend::Listen(uint32_t id, int backlog) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  if (TRACED(impl_, "listen", ep->fd, "backlog=" + std::to_string(backlog), listen(ep->fd, backlog)) < 0) return Failed(errno);
  return Done();
}

Outcome Backend::Accept(uint32_t id, uint32_t request) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  return impl_->Start(id, ep->reads, Parked{request, Op::kAccept});
}

Outcome Backend::Connect(uint32_t id, const SockAddr& addr, uint32_t request) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  sockaddr_storage ss;
  socklen_t len = ToNative(addr, &ss);
  ep->peer = addr;
  ep->has_peer = true;
  if (TRACED(impl_, "connect", ep->fd, Describe(addr), connect(ep->fd, reinterpret_cast<sockaddr*>(&ss), len)) == 0) return Done();
  if (errno != EINPROGRESS) return Failed(errno);
  ep->writes.push_back(Parked{request, Op::kConnect});
  return Pending();
}

Outcome Backend::Recv(uint32_t id, uint8_t* data, size_t len, uint32_t request) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  while (ep->readable) {
    ssize_t n = TRACED(impl_, "recv", ep->fd, "len=" + std::to_string(len), recv(ep->fd, data, len, 0));
    // A short read drained the socket, so the next byte is a new edge; not so
    // once the peer's FIN or a reset was reported: that edge has been seen.
    if (n > 0 && static_cast<size_t>(n) < len && !ep->hangup) ep->readable = false;
    if (n >= 0) return Done(static_cast<double>(n));
    if (errno == EINTR) continue;
    if (!WouldBlock(errno)) return Failed(errno);
    ep->readable = false;
  }
  ep->reads.push_back(Parked{request, Op::kReadable});
  return Pending();
}

Outcome Backend::Send(uint32_t id, const Span* spans, size_t count, uint32_t request) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  if (count == 0) return Failed(EINVAL);
  iovec iov[kMaxSpans];
  size_t n_iov = count < kMaxSpans ? count : kMaxSpans;
  // At most 1 MiB per call, as on Windows (where it is what makes
  // backpressure): one huge write() takes turns with the other sockets.
  constexpr size_t kMaxSendBytes = 1 << 20;
  size_t len = 0;
  for (size_t i = 0; i < n_iov; i++) {
    size_t take = spans[i].len < kMaxSendBytes - len ? spans[i].len : kMaxSendBytes - len;
    iov[i].iov_base = const_cast<uint8_t*>(spans[i].data);
    iov[i].iov_len = take;
    len += take;
    if (len == kMaxSendBytes) {
      n_iov = i + 1;
      break;
    }
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = n_iov;
  while (ep->writable) {
    ssize_t n = n_iov == 1 ? TRACED(impl_, "send", ep->fd, "len=" + std::to_string(len), send(ep->fd, iov[0].iov_base, len, MSG_NOSIGNAL))
                           : TRACED(impl_, "sendmsg", ep->fd, "iov=" + std::to_string(n_iov) + " len=" + std::to_string(len), sendmsg(ep->fd, &msg, MSG_NOSIGNAL));
    if (n > 0 && static_cast<size_t>(n) < len) ep->writable = false;  // full; room is a new edge
    if (n >= 0) return Done(static_cast<double>(n));
    if (errno == EINTR) continue;
    if (!WouldBlock(errno)) return Failed(errno);
    ep->writable = false;
  }
  ep->writes.push_back(Parked{request, Op::kWritable});
  return Pending();
}

Outcome Backend::Peek(uint32_t id) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  uint8_t byte = 0;
  ssize_t n = TRACED(impl_, "recv", ep->fd, std::string("len=1 MSG_PEEK"), recv(ep->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT));
  return n < 0 ? Failed(errno) : Done(static_cast<double>(n));
}

Outcome Backend::Shutdown(uint32_t id, uint32_t) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  if (TRACED(impl_, "shutdown", ep->fd, std::string("SHUT_WR"), shutdown(ep->fd, SHUT_WR)) < 0) return Failed(errno);
  return Done();
}

Outcome Backend::SetNoDelay(uint32_t id, bool on) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  int v = on ? 1 : 0;
  if (TRACED(impl_, "setsockopt", ep->fd, "TCP_NODELAY=" + std::to_string(v), setsockopt(ep->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v)) < 0)
    return Failed(errno);
  return Done();
}

Outcome Backend::SetKeepAlive(uint32_t id, bool on, uint32_t idle_seconds) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  int v = on ? 1 : 0;
  if (TRACED(impl_, "setsockopt", ep->fd, "SO_KEEPALIVE=" + std::to_string(v), setsockopt(ep->fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v)) < 0)
    return Failed(errno);
  int idle = static_cast<int>(idle_seconds);
  if (on && idle > 0 &&
      TRACED(impl_, "setsockopt", ep->fd, "TCP_KEEPIDLE=" + std::to_string(idle), setsockopt(ep->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle)) < 0)
    return Failed(errno);
  return Done();
}

Outcome Backend::LocalAddress(uint32_t id, SockAddr* out) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(ep->fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return Failed(errno);
  *out = FromNative(ss);
  return Done();
}

Outcome Backend::RemoteAddress(uint32_t id, SockAddr* out) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return Failed(EBADF);
  if (!ep->has_peer) return Failed(ENOTCONN);
  *out = ep->peer;
  return Done();
}

void Backend::Cancel(uint32_t id, uint32_t request) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return;
  for (auto* q : {&ep->reads, &ep->writes}) {
    for (auto it = q->begin(); it != q->end(); ++it) {
      if (it->request != request) continue;
      impl_->deferred.push_back(Settled{request, kFailed, ECANCELED, 0});
      q->erase(it);
      impl_->poller.Nudge();
      return;
    }
  }
}

void Backend::Close(uint32_t id) {
  Endpoint* ep = impl_->Get(id);
  if (ep == nullptr) return;
  bool any = !ep->reads.empty() || !ep->writes.empty();
  impl_->CancelAll(ep->reads);
  impl_->CancelAll(ep->writes);
  TRACED(impl_, "close", ep->fd, std::string(), close(ep->fd));  // also leaves the epoll set
  impl_->endpoints.Remove(id);
  if (any) impl_->poller.Nudge();
}

void Backend::Process(std::vector<Completion>& in, std::vector<Settled>& out) {
  if (!impl_->deferred.empty()) {
    out.insert(out.end(), impl_->deferred.begin(), impl_->deferred.end());
    impl_->deferred.clear();
  }
  for (const Completion& c : in) {
    uint32_t id = static_cast<uint32_t>(c.a);
    Endpoint* ep = impl_->Get(id);
    if (ep == nullptr) continue;  // closed since, or a nudge
    uint32_t ev = static_cast<uint32_t>(c.b);
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ep->hangup = true;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      ep->readable = true;
      impl_->Drive(id, &Endpoint::reads, out);
    }
    ep = impl_->Get(id);
    if (ep != nullptr && (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
      ep->writable = true;
      impl_->Drive(id, &Endpoint::writes, out);
    }
  }
}

bool Backend::SetDialect(const std::string&) { return false; }
std::string Backend::Dialect() const { return ""; }

}  // namespace afdsock
