// The Windows platform layer: AFD endpoints driven by NtDeviceIoControlFile on
// one completion port per environment. Dialect points (connect, accept, send,
// non-blocking mode, shutdown, socket options) go through dialect.cc; the
// rest is one path.
//
// Data moves inline. A connected endpoint is made non-blocking, so a receive
// or send issued without AFD_OVERLAPPED moves bytes at once or answers a
// would-block status. Waiting for data or room is the endpoint's one
// IOCTL_AFD_POLL (poll_state.h), with its buffers in a request record.
//
// Hedged: should a data call pend all the same (non-blocking mode did not
// take; Wine's test_recv shows a receive without AFD_OVERLAPPED does pend on
// a blocking endpoint), Io::Inline cancels and awaits it, any bytes it moved
// count, and the endpoint goes over to the fallback path (fallback.cc).
#include "backend_impl.h"

namespace afdsock {

using win::Endpoint;
using win::Op;
using win::Request;

namespace {

// The endpoint's side of PollState::Kernel: polls issued on its handle.
struct PollKernel : win::PollState::Kernel {
  PollKernel(Backend::Impl& m, uint32_t id) : m(m), id(id) {}
  Backend::Impl& m;
  uint32_t id;

  uint32_t IssuePoll(uint32_t events, Request** pending, uint32_t* fired) override {
    Endpoint* ep = m.endpoints.Get(id);
    Request* r = m.NewRequest(id, 0, Op::kPoll);
    r->u.poll.Timeout = afd::kPollForever;
    r->u.poll.NumberOfHandles = 1;
    r->u.poll.Exclusive = 0;
    r->u.poll.Handles[0] = afd::PollHandleInfo{ep->h, events, 0};
    uint32_t st = m.io.Async(ep->h, afd::IOCTL_AFD_POLL, &r->u.poll, sizeof r->u.poll, &r->u.poll, sizeof r->u.poll, r);
    if (st == nt::kPending) {
      m.Hold(r);
      *pending = r;
      return st;
    }
    if (nt::Warning(st)) {  // settles everyone (they look again); a packet may follow
      m.Orphan(r);
      *fired = afd::kPollAbort;
      return nt::kSuccess;
    }
    std::unique_ptr<Request> owned(r);
    if (nt::Success(st)) *fired = Fired(*ep, *r);
    return st;
  }

  void CancelPoll(Request* r) override {
    Endpoint* ep = m.endpoints.Get(id);
    if (ep != nullptr && ep->h != nullptr) m.io.Cancel(ep->h, r);
  }

  // The events a successful poll reported; an ABORT leaves its reset for the
  // next receive to report.
  static uint32_t Fired(Endpoint& ep, const Request& r) {
    if (r.u.poll.NumberOfHandles != 1) return 0;
    const afd::PollHandleInfo& h = r.u.poll.Handles[0];
    if (h.Events & afd::kPollAbort)
      ep.reset = nt::Error(static_cast<uint32_t>(h.Status)) ? static_cast<uint32_t>(h.Status) : nt::kConnectionReset;
    return h.Events;
  }
};

uint32_t Clamp(size_t len) { return len > 0x7fffffff ? 0x7fffffff : static_cast<uint32_t>(len); }
constexpr int kInlineRounds = 4;  // a wait found the condition at once: try again, this often

}  // namespace

void Backend::Impl::Unhold(Request* r) {
  inflight.erase(r);
  Endpoint* ep = endpoints.Get(r->ep);
  if (ep == nullptr) return;
  for (size_t i = 0; i < ep->held.size(); i++) {
    if (ep->held[i] != r) continue;
    ep->held[i] = ep->held.back();
    ep->held.pop_back();
    return;
  }
}

// A configured handle becomes an endpoint: associated with the port, with
// inline completions settling without a packet.
uint32_t Backend::Impl::Adopt(HANDLE h, int family, uint32_t* status) {
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
Outcome Backend::Impl::Submit(Request* r) {
  Endpoint* ep = endpoints.Get(r->ep);
  uint32_t st = Issue(*ep, r);
  // SKIP_COMPLETION_PORT_ON_SUCCESS: success and errors returned inline
  // queue no packet; pending does.
  if (st == nt::kPending) {
    Hold(r);
    return Pending();
  }
  if (nt::Warning(st)) {
    // Whether a packet follows a warning returned inline is not reliable
    // (libuv says as much). Settle now from the status returned, and keep
    // the record: a packet that does come frees it (and settles nothing);
    // otherwise Stop() does, once the port is drained.
    Orphan(r);
    return Failed(st);
  }
  return Complete(r, st, r->iosb.Information);
}

uint32_t Backend::Impl::Issue(Endpoint& ep, Request* r) {
  switch (r->op) {
    case Op::kAccept:
      return dialect->accept(io, ep.h, r);
    case Op::kConnect: {
      ULONG len = ep.peer.family == afd::kAfInet6 ? sizeof(afd::SockaddrIn6) : sizeof(afd::SockaddrIn);
      return dialect->connect(io, ep.h, r, ep.peer, len);
    }
    case Op::kShutdown:
      return dialect->shutdown(io, ep.h, r);
    default:
      return nt::kInvalidParameter;
  }
}

// The accept, connect or shutdown finished with `st`; frees r.
Outcome Backend::Impl::Complete(Request* r, uint32_t st, uint64_t) {
  std::unique_ptr<Request> owned(r);
  Endpoint* ep = endpoints.Get(r->ep);
  if (!nt::Success(st)) return Failed(st);
  switch (r->op) {
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
    default:
      return Done();
  }
}

Outcome Backend::Impl::Wait(uint32_t id, uint32_t request, uint32_t events) {
  PollKernel k(*this, id);
  return endpoints.Get(id)->poll.Wait(k, request, events);
}

Outcome Backend::Impl::Later(uint32_t id, uint32_t request) {
  Request* r = NewRequest(id, request, Op::kWake);
  if (!iocp.Post(r)) {
    delete r;
    return Failed(nt::kDeviceNotReady);
  }
  Hold(r);
  return Pending();
}

// Closes an endpoint no request is pending on, at once.
void Backend::Impl::Release(uint32_t id) {
  Endpoint* ep = endpoints.Get(id);
  if (ep == nullptr) return;
  io.Close(ep->h);
  endpoints.Remove(id);
}

// Frees a closed endpoint once the kernel holds none of its requests.
void Backend::Impl::MaybeRelease(uint32_t id) {
  Endpoint* ep = endpoints.Get(id);
  if (ep != nullptr && ep->closed && ep->held.empty()) endpoints.Remove(id);
}

Backend::Backend(Tracer& tracer) : impl_(new Impl(tracer)) {}
Backend::~Backend() { Stop(); }

std::string Backend::Name() const { return impl_->io.host_is_wine ? "afd-wine" : "afd"; }

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
      m.inflight.erase(r);
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
  // Bind the wildcard first, as mswsock does before IOCTL_AFD_CONNECT, with
  // SO_REUSE_UNICASTPORT as Winsock's implicit bind sets it (Zig too): the
  // port may then serve other destinations, which delays ephemeral-port
  // exhaustion under outbound churn. A refusal changes nothing.
  impl_->dialect->reuse_unicast_port(impl_->io, ep->h);
  SockAddr any{};
  any.family = addr.family;
  SockAddr bound{};
  Outcome b = Bind(id, any, kShareWildcard, &bound);
  if (b.state != kDone) return b;
  win::ToSockaddr(addr, &ep->peer);
  ep->has_peer = true;
  return impl_->Submit(impl_->NewRequest(id, request, Op::kConnect));
}

Outcome Backend::Recv(uint32_t id, uint8_t* data, size_t len, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  for (int round = 0; round < kInlineRounds; round++) {
    if (ep->fallback) return impl_->FallbackRecv(id, data, len, request);
    afd::WsaBuf buf{Clamp(len), data};
    afd::SendRecvInfo info{&buf, 1, 0, afd::kTdiReceiveNormal};
    ULONG_PTR n = 0;
    bool pended = false;
    uint32_t st = impl_->io.Inline(ep->h, afd::IOCTL_AFD_RECEIVE, &info, sizeof info, &n, &pended);
    if (pended) {
      impl_->StartFallback(*ep);
      if (n > 0) return Done(static_cast<double>(n));  // what it read before the cancel counts
      if (st == nt::kCancelled) continue;              // nothing moved: the fallback path waits
    }
    if (nt::Success(st) && n == 0 && ep->reset != 0) {
      st = ep->reset;
      ep->reset = 0;
      return Failed(st);
    }
    if (nt::Success(st)) return Done(static_cast<double>(n));
    if (!nt::WouldBlock(st)) return Failed(st);
    Outcome o = impl_->Wait(id, request, win::kReadableEvents);
    if (o.state != kDone) return o;
  }
  return ep->fallback ? impl_->FallbackRecv(id, data, len, request) : impl_->Later(id, request);
}

Outcome Backend::Send(uint32_t id, const Span* spans, size_t count, uint32_t request) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  if (count == 0) {
    if (ep->fallback && ep->fallback->send == nullptr && ep->fallback->sent > 0) {
      double n = static_cast<double>(ep->fallback->sent);
      ep->fallback->sent = 0;
      return Done(n);
    }
    return Failed(nt::kInvalidParameter);
  }
  afd::WsaBuf bufs[kMaxSpans];
  uint32_t n_bufs = 0;
  size_t room = win::kMaxSendBytes;
  for (size_t i = 0; i < count && i < kMaxSpans && room > 0; i++) {
    size_t len = spans[i].len < room ? spans[i].len : room;
    bufs[n_bufs++] = afd::WsaBuf{static_cast<uint32_t>(len), const_cast<uint8_t*>(spans[i].data)};
    room -= len;
  }
  for (int round = 0; round < kInlineRounds; round++) {
    if (ep->fallback) return impl_->FallbackSend(id, bufs, n_bufs, request);
    ULONG_PTR n = 0;
    bool pended = false;
    uint32_t st = impl_->dialect->send_now(impl_->io, ep->h, bufs, n_bufs, &n, &pended);
    if (pended) {
      impl_->StartFallback(*ep);
      if (n > 0) return Done(static_cast<double>(n));  // what it moved before the cancel counts
      if (st == nt::kCancelled) continue;
    }
    if (nt::Success(st) && n > 0) return Done(static_cast<double>(n));
    if (!nt::Success(st) && !nt::WouldBlock(st)) return Failed(st);
    Outcome o = impl_->Wait(id, request, win::kWritableEvents);
    if (o.state != kDone) return o;
  }
  return ep->fallback ? impl_->FallbackSend(id, bufs, n_bufs, request) : impl_->Later(id, request);
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
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  if (ep->fallback && ep->fallback->send != nullptr) {
    // The FIN goes after the bytes the library still sends (fallback.cc).
    ep->fallback->shutdown_request = request;
    return Pending();
  }
  return impl_->Submit(impl_->NewRequest(id, request, Op::kShutdown));
}

Outcome Backend::SetNoDelay(uint32_t id, bool on) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  uint32_t st = impl_->dialect->set_no_delay(impl_->io, ep->h, on);
  return nt::Success(st) ? Done() : Failed(st);
}

// SO_KEEPALIVE and TCP_KEEPALIVE through IOCTL_AFD_TRANSPORT_IOCTL on real
// Windows; Wine's private IOCTL there (dialect.cc).
Outcome Backend::SetKeepAlive(uint32_t id, bool on, uint32_t idle_seconds) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return Failed(nt::kInvalidHandle);
  uint32_t st = impl_->dialect->set_keep_alive(impl_->io, ep->h, on, idle_seconds);
  return nt::Success(st) ? Done() : Failed(st);
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
  if (ep == nullptr) return;
  for (Request* r : ep->held) {
    if (r->id != request) continue;
    switch (r->op) {
      case Op::kConnect:
        // No source shows NtCancelIoFileEx stopping an IOCTL_AFD_CONNECT;
        // closing the endpoint does, at once. Its packet still comes
        // (cancelled) and settles the request; the endpoint is released after.
        impl_->io.Close(ep->h);
        ep->h = nullptr;
        ep->closed = true;
        return;
      case Op::kWake:
        r->cancelled = true;  // its packet is already on the way
        return;
      default:
        impl_->io.Cancel(ep->h, r);  // the packet still comes, with STATUS_CANCELLED
        return;
    }
  }
  PollKernel k(*impl_, id);
  if (ep->poll.Cancel(k, request)) return;
  if (ep->fallback) impl_->FallbackCancel(*ep, request);
}

// Cancels only what may be cut short: polls, accepts, connects and the
// fallback's receives and sends (whose bytes no caller counted yet), each by
// its own IO_STATUS_BLOCK. A graceful PARTIAL_DISCONNECT is left to finish
// (whether a cancelled disconnect turns into a reset is undocumented);
// closing the handle ends whatever remains.
void Backend::Close(uint32_t id) {
  Endpoint* ep = impl_->Live(id);
  if (ep == nullptr) return;
  for (Request* r : ep->held) {
    if (r->op != Op::kShutdown && r->op != Op::kWake)
      impl_->io.Cancel(ep->h, r);
  }
  impl_->io.Close(ep->h);
  ep->h = nullptr;
  ep->closed = true;
  impl_->MaybeRelease(id);
}

void Backend::Process(std::vector<Completion>& in, std::vector<Settled>& out) {
  Impl& m = *impl_;
  for (const Completion& c : in) {
    auto* r = static_cast<Request*>(c.ptr);
    if (r == nullptr) continue;
    if (r->settled_inline) {  // its warning was reported when it was issued
      m.orphans.erase(r);
      delete r;
      continue;
    }
    m.Unhold(r);
    uint32_t st = static_cast<uint32_t>(c.b);
    m.io.Resumed(*r, st, c.a);
    uint32_t ep_id = r->ep;
    Endpoint* ep = m.endpoints.Get(ep_id);
    switch (r->op) {
      case Op::kPoll: {
        std::unique_ptr<Request> owned(r);
        if (ep != nullptr) {
          if (nt::Success(st)) PollKernel::Fired(*ep, *r);
          PollKernel k(m, ep_id);
          ep->poll.Completed(k, *r, st, ep->closed, out);
        }
        break;
      }
      case Op::kRecv:
      case Op::kSend:
        m.FallbackCompleted(r, st, c.a, out);
        break;
      case Op::kWake: {
        std::unique_ptr<Request> owned(r);
        bool cancelled = r->cancelled || ep == nullptr || ep->closed;
        out.push_back(Settled{r->id, cancelled ? kFailed : kDone, cancelled ? nt::kCancelled : 0, 0});
        break;
      }
      default: {
        uint32_t id = r->id;
        Outcome o = m.Complete(r, st, c.a);
        if (o.state != kPending) out.push_back(Settled{id, o.state, o.status, o.value});
      }
    }
    m.MaybeRelease(ep_id);
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
