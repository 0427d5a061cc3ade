// The Windows platform layer: AFD endpoints driven by NtDeviceIoControlFile on
// one completion port per environment. Dialect points (connect, accept, send,
// non-blocking mode, shutdown, TCP_NODELAY) go through dialect.cc; the rest is
// one path.
//
// Data moves inline only. A connected endpoint is made non-blocking, so a
// receive or send issued without AFD_OVERLAPPED either moves bytes at once or
// fails with STATUS_DEVICE_NOT_READY; it never pends with a pointer to JS
// memory. Waiting for data or room is an IOCTL_AFD_POLL on the endpoint, with
// its buffers in the request record (the zero-byte-read idea, as libuv and
// wepoll use it).
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "../core/backend.h"
#include "../core/id_table.h"
#include "dialect.h"
#include "iocp.h"
#include "io.h"

namespace afdsock {

namespace {

using win::Op;
using win::Request;

struct Endpoint {
  HANDLE h = nullptr;
  int family = 4;
  bool closed = false;
  uint32_t pending = 0;  // requests the kernel still owns
  afd::Sockaddr peer{};
  bool has_peer = false;
  // A poll reported AFD_POLL_ABORT: the reset, reported by the next receive
  // that would otherwise read end of stream (Wine's poll clears the socket
  // error, so its receive then reads 0 bytes).
  uint32_t reset = 0;
};

}  // namespace

struct Backend::Impl {
  explicit Impl(Tracer& t) : io(t) {}
  win::Io io;
  win::Iocp iocp;
  const win::Dialect* dialect = &win::kWindowsDialect;
  CompletionQueue* queue = nullptr;
  IdTable<Endpoint> endpoints;
  std::unordered_map<uint32_t, Request*> inflight;  // by JS request id, for Cancel
  std::unordered_set<Request*> orphans;             // settled inline from a warning; a packet may follow
  bool started = false;

  Endpoint* Live(uint32_t id) {
    Endpoint* ep = endpoints.Get(id);
    return ep != nullptr && !ep->closed ? ep : nullptr;
  }

  // A configured handle becomes an endpoint: associated with the port, with
  // inline completions settling without a packet.
  uint32_t Adopt(HANDLE h, int family, uint32_t* status) {
    if (!iocp.Associate(h)) {
      io.Close(h);
      *status = nt::kInvalidHandle;
      return 0;
    }
    auto ep = std::make_unique<Endpoint>();
    ep->h = h;
    ep->family = family;
    return endpoints.Add(std::move(ep));
  }

  // Issues r's operation. Inline outcomes free r; kPending hands it to the kernel.
  Outcome Submit(Request* r) {
    Endpoint* ep = endpoints.Get(r->ep);
    uint32_t st = Issue(*ep, r);
    // SKIP_COMPLETION_PORT_ON_SUCCESS: success and errors returned inline
    // queue no packet; pending does.
    if (st == nt::kPending) {
      ep->pending++;
      inflight[r->id] = r;
      return Pending();
    }
    if (nt::Warning(st)) {
      // Whether a packet follows a warning returned inline is not reliable
      // (libuv says as much). Settle now from the status returned, and keep
      // the record: a packet that does come frees it (and settles nothing);
      // otherwise Stop() does, once the port is drained.
      r->settled_inline = true;
      orphans.insert(r);
      return Failed(st);
    }
    return Complete(r, st, r->iosb.Information);
  }

  uint32_t Issue(Endpoint& ep, Request* r) {
    switch (r->op) {
      case Op::kAccept:
        return dialect->accept(io, ep.h, r);
      case Op::kConnect: {
        ULONG len = ep.peer.family == afd::kAfInet6 ? sizeof(afd::SockaddrIn6) : sizeof(afd::SockaddrIn);
        return dialect->connect(io, ep.h, r, ep.peer, len);
      }
      case Op::kPoll:
        return io.Async(ep.h, afd::IOCTL_AFD_POLL, &r->u.poll, sizeof r->u.poll, &r->u.poll, sizeof r->u.poll, r);
      case Op::kShutdown:
        return dialect->shutdown(io, ep.h, r);
    }
    return nt::kInvalidParameter;
  }

  // The operation finished with `st`; frees r unless a send goes on.
  Outcome Complete(Request* r, uint32_t st, uint64_t info) {
    std::unique_ptr<Request> owned(r);
    Endpoint* ep = endpoints.Get(r->ep);
    if (!nt::Success(st)) return Failed(st);
    switch (r->op) {
      case Op::kPoll: {
        const afd::PollHandleInfo& h = r->u.poll.Handles[0];
        if (ep != nullptr && r->u.poll.NumberOfHandles == 1 && (h.Events & afd::kPollAbort))
          ep->reset = nt::Error(static_cast<uint32_t>(h.Status)) ? static_cast<uint32_t>(h.Status) : nt::kConnectionReset;
        return Done();  // the next inline Recv / Send finds out what happened
      }
      case Op::kAccept: {
        HANDLE h = nullptr;
        afd::Sockaddr peer{};
        uint32_t s = dialect->accepted(io, ep->h, ep->family, r, &h, &peer);
        if (!nt::Success(s)) return Failed(s);
        uint32_t child = Adopt(h, ep->family, &s);
        if (child == 0) return Failed(s);
        s = dialect->set_nonblocking(io, h);
        if (!nt::Success(s)) {
          Release(child);
          return Failed(s);
        }
        Endpoint* c = endpoints.Get(child);
        c->peer = peer;
        c->has_peer = true;
        return Done(child);
      }
      case Op::kConnect: {
        uint32_t s = dialect->set_nonblocking(io, ep->h);
        return nt::Success(s) ? Done() : Failed(s);
      }
      case Op::kShutdown:
        return Done();
    }
    return Done();
  }

  // Parks a readiness wait: an IOCTL_AFD_POLL for `events` on the endpoint.
  // kDone when the condition already holds (inline success, no packet).
  Outcome Poll(uint32_t id, uint32_t request, uint32_t events) {
    Endpoint* ep = endpoints.Get(id);
    Request* r = NewRequest(id, request, Op::kPoll);
    r->u.poll.Timeout = afd::kPollForever;
    r->u.poll.NumberOfHandles = 1;
    r->u.poll.Exclusive = 0;
    r->u.poll.Handles[0] = afd::PollHandleInfo{ep->h, events, 0};
    return Submit(r);
  }

  // Closes an endpoint no request is pending on, at once.
  void Release(uint32_t id) {
    Endpoint* ep = endpoints.Get(id);
    if (ep == nullptr) return;
    io.Close(ep->h);
    endpoints.Remove(id);
  }

  // Frees a closed endpoint once the kernel holds none of its requests.
  void MaybeRelease(uint32_t id) {
    Endpoint* ep = endpoints.Get(id);
    if (ep != nullptr && ep->closed && ep->pending == 0) endpoints.Remove(id);
  }

  Request* NewRequest(uint32_t ep, uint32_t id, Op op) {
    auto* r = new Request();
    r->ep = ep;
    r->id = id;
    r->op = op;
    return r;
  }
};

Backend::Backend(Tracer& tracer) : impl_(new Impl(tracer)) {}
Backend::~Backend() { Stop(); }

std::string Backend::Name() const { return impl_->dialect == &win::kWineDialect ? "afd-wine" : "afd"; }

void Backend::Ref(Napi::Env env, bool on) {
  if (impl_->queue == nullptr) return;
  if (on)
    impl_->queue->Ref(env);
  else
    impl_->queue->Unref(env);
}

std::string Backend::Start(Napi::Env env, CompletionQueue* queue) {
  std::string err = nt::Init();
  if (!err.empty()) return err;
  err = impl_->io.Init();
  if (!err.empty()) return err;
  impl_->io.host_is_wine = nt::WineVersion() != nullptr;
  impl_->dialect = &win::DetectDialect(impl_->io.host_is_wine);
  impl_->queue = queue;
  queue->StartWakeups(env);
  err = impl_->iocp.Start(queue);
  if (err.empty()) impl_->started = true;
  return err;
}

void Backend::Stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  // Ask the kernel to finish everything, then wait for every packet: only
  // then may request records (and the JS buffers behind them) go away.
  m.endpoints.ForEach([&](uint32_t, Endpoint& ep) {
    if (ep.closed) return;
    m.io.Cancel(ep.h, nullptr);
    m.io.Close(ep.h);
    ep.closed = true;
  });
  m.iocp.StopThread();
  std::vector<Completion> left = m.queue->Take();
  auto release = [&](const Completion& c) {
    auto* r = static_cast<Request*>(c.ptr);
    if (r == nullptr) return;
    if (r->settled_inline)
      m.orphans.erase(r);
    else
      m.inflight.erase(r->id);
    delete r;
  };
  for (const Completion& c : left) release(c);
  DWORD waited = 0;
  while (!m.inflight.empty() && waited < 5000) {
    left.clear();
    m.iocp.Drain(left, 100);
    if (left.empty()) waited += 100;
    for (const Completion& c : left) release(c);
  }
  // Anything still in flight now is leaked on purpose: freeing it could let
  // the kernel write into released memory. Orphans had their packet (if any)
  // by now: the kernel finished them when it returned the warning.
  m.inflight.clear();
  for (Request* r : m.orphans) delete r;
  m.orphans.clear();
  m.iocp.Close();
}

Outcome Backend::Open(int family) {
  HANDLE h = nullptr;
  uint32_t st = impl_->io.CreateEndpoint(family, &h);
  if (!nt::Success(st)) return Failed(st);
  uint32_t id = impl_->Adopt(h, family, &st);
  return id == 0 ? Failed(st) : Done(id);
}

Outcome Backend::Bind(uint32_t id, const SockAddr& addr, Share share, SockAddr* bound) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  afd::BindInfo info{};
  info.ShareAccess = share;
  ULONG len = win::ToSockaddr(addr, &info.Address);
  afd::Sockaddr out{};
  uint32_t st = impl_->io.Sync(ep->h, afd::IOCTL_AFD_BIND, &info, offsetof(afd::BindInfo, Address) + len, &out, len);
  if (!nt::Success(st)) return Failed(st);
  return LocalAddress(id, bound);
}

Outcome Backend::Listen(uint32_t id, int backlog) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  afd::ListenInfo info{};
  info.MaximumConnectionQueue = static_cast<uint32_t>(backlog);
  uint32_t st = impl_->io.Sync(ep->h, afd::IOCTL_AFD_START_LISTEN, &info, sizeof info, nullptr, 0);
  return nt::Success(st) ? Done() : Failed(st);
}

Outcome Backend::Accept(uint32_t id, uint32_t request) {
  if (impl_->Live(id) == nullptr) return Failed(nt::kInvalidHandle);
  return impl_->Submit(impl_->NewRequest(id, request, Op::kAccept));
}

Outcome Backend::Connect(uint32_t id, const SockAddr& addr, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  // Bind the wildcard first, as mswsock does before IOCTL_AFD_CONNECT.
  SockAddr any{};
  any.family = addr.family;
  SockAddr bound{};
  Outcome b = Bind(id, any, kShareWildcard, &bound);
  if (b.state != kDone) return b;
  win::ToSockaddr(addr, &ep->peer);
  ep->has_peer = true;
  return impl_->Submit(impl_->NewRequest(id, request, Op::kConnect));
}

namespace {
constexpr uint32_t kReadableEvents = afd::kPollReceive | afd::kPollDisconnect | afd::kPollAbort | afd::kPollLocalClose;
constexpr uint32_t kWritableEvents = afd::kPollSend | afd::kPollAbort | afd::kPollLocalClose;
constexpr int kInlineRounds = 4;  // poll found the condition at once: try again, this often
uint32_t Clamp(size_t len) { return len > 0x7fffffff ? 0x7fffffff : static_cast<uint32_t>(len); }
}  // namespace

Outcome Backend::Recv(uint32_t id, uint8_t* data, size_t len, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  for (int round = 0; round < kInlineRounds; round++) {
    afd::WsaBuf buf{Clamp(len), data};
    afd::SendRecvInfo info{&buf, 1, 0, afd::kTdiReceiveNormal};  // no AFD_OVERLAPPED: never pends
    ULONG_PTR n = 0;
    uint32_t st = impl_->io.Sync(ep->h, afd::IOCTL_AFD_RECEIVE, &info, sizeof info, nullptr, 0, &n);
    if (st == nt::kSuccess && n == 0 && ep->reset != 0) {
      st = ep->reset;
      ep->reset = 0;
      return Failed(st);
    }
    if (st == nt::kSuccess) return Done(static_cast<double>(n));
    if (st != nt::kDeviceNotReady) return Failed(st);
    Outcome o = impl_->Poll(id, request, kReadableEvents);
    if (o.state != kDone) return o;
  }
  return Failed(nt::kDeviceNotReady);
}

Outcome Backend::Send(uint32_t id, const Span* spans, size_t count, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  afd::WsaBuf bufs[kMaxSpans];
  uint32_t n_bufs = static_cast<uint32_t>(count < kMaxSpans ? count : kMaxSpans);
  for (uint32_t i = 0; i < n_bufs; i++) bufs[i] = afd::WsaBuf{Clamp(spans[i].len), const_cast<uint8_t*>(spans[i].data)};
  for (int round = 0; round < kInlineRounds; round++) {
    ULONG_PTR n = 0;
    uint32_t st = impl_->dialect->send_now(impl_->io, ep->h, bufs, n_bufs, &n);
    if (st == nt::kSuccess && n > 0) return Done(static_cast<double>(n));
    if (st != nt::kDeviceNotReady && st != nt::kSuccess) return Failed(st);
    Outcome o = impl_->Poll(id, request, kWritableEvents);
    if (o.state != kDone) return o;
  }
  return Failed(nt::kDeviceNotReady);
}

Outcome Backend::Peek(uint32_t id) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  uint8_t byte = 0;
  afd::WsaBuf buf{1, &byte};
  afd::SendRecvInfo info{&buf, 1, 0, afd::kTdiReceiveNormal | afd::kTdiReceivePeek};
  ULONG_PTR n = 0;
  bool pended = false;
  uint32_t st = impl_->io.Inline(ep->h, afd::IOCTL_AFD_RECEIVE, &info, sizeof info, &n, &pended);
  if (pended) return Failed(nt::kPending);  // it pended (and was cancelled): the endpoint is not non-blocking
  return nt::Success(st) ? Done(static_cast<double>(n)) : Failed(st);
}

Outcome Backend::Shutdown(uint32_t id, uint32_t request) {
  if (impl_->Live(id) == nullptr) return Failed(nt::kInvalidHandle);
  return impl_->Submit(impl_->NewRequest(id, request, Op::kShutdown));
}

Outcome Backend::SetNoDelay(uint32_t id, bool on) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  uint32_t st = impl_->dialect->set_no_delay(impl_->io, ep->h, on);
  return nt::Success(st) ? Done() : Failed(st);
}

// Not built yet on AFD: no verified layout for SO_KEEPALIVE through
// IOCTL_AFD_TRANSPORT_IOCTL, and Wine's private IOCTL would be a new dialect
// point. Reported as STATUS_NOT_SUPPORTED, never pretended.
Outcome Backend::SetKeepAlive(uint32_t id, bool, uint32_t) {
  if (impl_->Live(id) == nullptr) return Failed(nt::kInvalidHandle);
  return Failed(nt::kNotSupported);
}

Outcome Backend::LocalAddress(uint32_t id, SockAddr* out) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  afd::Sockaddr a{};
  uint32_t st = impl_->io.Sync(ep->h, afd::IOCTL_AFD_GET_ADDRESS, nullptr, 0, &a, sizeof a);
  if (!nt::Success(st)) return Failed(st);
  *out = win::FromSockaddr(a);
  return Done();
}

Outcome Backend::RemoteAddress(uint32_t id, SockAddr* out) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  if (!ep->has_peer) return Failed(nt::kInvalidParameter);
  *out = win::FromSockaddr(ep->peer);
  return Done();
}

void Backend::Cancel(uint32_t id, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  auto it = impl_->inflight.find(request);
  if (ep == nullptr || it == impl_->inflight.end()) return;
  if (it->second->op == Op::kConnect) {
    // No source shows NtCancelIoFileEx stopping an IOCTL_AFD_CONNECT; closing
    // the endpoint does, at once. Its packet still comes (cancelled) and
    // settles the request; the endpoint is released after it.
    impl_->io.Close(ep->h);
    ep->h = nullptr;
    ep->closed = true;
    return;
  }
  impl_->io.Cancel(ep->h, it->second);  // the packet still comes, with STATUS_CANCELLED
}

void Backend::Close(uint32_t id) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return;
  if (ep->pending > 0) impl_->io.Cancel(ep->h, nullptr);
  impl_->io.Close(ep->h);
  ep->h = nullptr;
  ep->closed = true;
  impl_->MaybeRelease(id);
}

void Backend::Process(std::vector<Completion>& in, std::vector<Settled>& out) {
  for (const Completion& c : in) {
    auto* r = static_cast<Request*>(c.ptr);
    if (r == nullptr) continue;
    if (r->settled_inline) {  // its warning was reported when it was issued
      impl_->orphans.erase(r);
      delete r;
      continue;
    }
    impl_->inflight.erase(r->id);
    uint32_t ep_id = r->ep;
    uint32_t id = r->id;
    if (Endpoint* ep = impl_->endpoints.Get(ep_id)) ep->pending--;
    Outcome o = impl_->Complete(r, static_cast<uint32_t>(c.b), c.a);
    if (o.state != kPending) out.push_back(Settled{id, o.state, o.status, o.value});
    impl_->MaybeRelease(ep_id);
  }
}

bool Backend::SetDialect(const std::string& name) {
  const win::Dialect* d = win::DialectByName(name);
  if (d == nullptr) return false;
  impl_->dialect = d;
  return true;
}

std::string Backend::Dialect() const { return impl_->dialect->name; }

}  // namespace afdsock
