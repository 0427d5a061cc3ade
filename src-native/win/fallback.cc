// The fallback path, for an endpoint whose inline data call pended: proof
// that non-blocking mode did not take there. Nothing real Windows is known to
// do leads here; it exists so that the library stays correct, and the JS
// thread never waits on the network, whichever way Windows answers.
//
// - Receives wait for the endpoint's poll first, then go out overlapped
//   (AFD_OVERLAPPED) into a buffer the library owns; the bytes are copied to
//   JS when it asks again. The poll first means an idle connection holds no
//   receive buffer here either.
// - Sends copy into a buffer the library owns (at most 1 MiB) and go out
//   overlapped, one at a time. The caller waits for the kernel's answer and
//   then calls again from the same offset; that call is told how many of
//   its bytes went (so a close that cancels the send loses no byte it
//   reported as written).
// So no kernel request ever holds JS memory on this path either. Wine runs
// it for real with the 'wine-blocking' dialect (endpoints left blocking).
#include <cstring>

#include "backend_impl.h"

namespace afdsock {

using win::Endpoint;
using win::Fallback;
using win::Op;
using win::Request;

namespace {

// Hands a finished receive to JS.
Outcome Take(Endpoint& ep, Fallback& f, uint8_t* data, size_t len) {
  if (f.recv_error != 0) {
    uint32_t st = f.recv_error;
    f.recv_error = 0;
    f.has_result = false;
    return Failed(st);
  }
  if (f.len == 0) {  // end of stream, or the reset a poll saw
    f.has_result = false;
    if (ep.reset != 0) {
      uint32_t st = ep.reset;
      ep.reset = 0;
      return Failed(st);
    }
    return Done(0);
  }
  size_t n = f.len - f.pos < len ? f.len - f.pos : len;
  std::memcpy(data, f.bytes.get() + f.pos, n);
  f.pos += n;
  if (f.pos == f.len) {
    f.bytes.reset();
    f.pos = f.len = 0;
    f.has_result = false;
  }
  return Done(static_cast<double>(n));
}

void SettleWaits(std::vector<Fallback::Wait>& waits, bool closed, std::vector<Settled>& out) {
  for (const Fallback::Wait& w : waits) {
    bool cancelled = closed || w.cancelled;
    out.push_back(Settled{w.request, cancelled ? kFailed : kDone, cancelled ? nt::kCancelled : 0, 0});
  }
  waits.clear();
}

}  // namespace

Outcome Backend::Impl::FallbackRecv(uint32_t id, uint8_t* data, size_t len, uint32_t request) {
  Endpoint& ep = *endpoints.Get(id);
  Fallback& f = *ep.fallback;
  if (f.has_result) return Take(ep, f, data, len);
  if (f.recv != nullptr) {
    f.recv_waits.push_back(Fallback::Wait{request, false});
    return Pending();
  }
  Outcome ready = Wait(id, request, win::kReadableEvents);
  if (ready.state != kDone) return ready;
  size_t want = len < win::kFallbackReceiveBytes ? len : win::kFallbackReceiveBytes;
  Request* r = NewRequest(id, 0, Op::kRecv);
  r->data.reset(new uint8_t[want]);
  r->buf = afd::WsaBuf{static_cast<uint32_t>(want), r->data.get()};
  r->u.transfer = afd::SendRecvInfo{&r->buf, 1, afd::kAfdOverlapped, afd::kTdiReceiveNormal};
  uint32_t st = io.Async(ep.h, afd::IOCTL_AFD_RECEIVE, &r->u.transfer, sizeof r->u.transfer, nullptr, 0, r);
  if (st == nt::kPending) {
    Hold(r);
    f.recv = r;
    f.recv_waits.push_back(Fallback::Wait{request, false});
    return Pending();
  }
  if (nt::Warning(st)) {
    Orphan(r);
    return Failed(st);
  }
  std::unique_ptr<Request> owned(r);
  if (!nt::Success(st)) return Failed(st);
  // Done at once (skip-on-success: no packet): straight to the caller.
  f.bytes = std::move(r->data);
  f.pos = 0;
  f.len = static_cast<size_t>(r->iosb.Information);
  f.has_result = true;
  return Take(ep, f, data, len);
}

Outcome Backend::Impl::FallbackSend(uint32_t id, const afd::WsaBuf* bufs, uint32_t count, uint32_t request) {
  Endpoint& ep = *endpoints.Get(id);
  Fallback& f = *ep.fallback;
  if (f.send_error != 0) return Failed(f.send_error);  // sticky, as a socket error is
  if (f.send != nullptr) {
    f.send_waits.push_back(Fallback::Wait{request, false});
    return Pending();
  }
  if (f.sent > 0) {
    // The send that finished went out from a copy of these very bytes (JS
    // calls again from the same offset after its wait settles): taken.
    size_t n = f.sent;
    f.sent = 0;
    return Done(static_cast<double>(n));
  }
  size_t total = 0;
  for (uint32_t i = 0; i < count; i++) total += bufs[i].len;
  if (total == 0) return Done(0);
  Request* r = NewRequest(id, 0, Op::kSend);
  r->data.reset(new uint8_t[total]);
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    std::memcpy(r->data.get() + at, bufs[i].buf, bufs[i].len);
    at += bufs[i].len;
  }
  r->buf = afd::WsaBuf{static_cast<uint32_t>(total), r->data.get()};
  uint32_t st = dialect->send_async(io, ep.h, r);
  if (st == nt::kPending) {  // the caller waits for it: bytes count once the kernel says so
    Hold(r);
    f.send = r;
    f.send_waits.push_back(Fallback::Wait{request, false});
    return Pending();
  }
  if (nt::Warning(st)) {
    Orphan(r);
    return Failed(st);
  }
  std::unique_ptr<Request> owned(r);
  if (!nt::Success(st)) return Failed(st);
  return Done(static_cast<double>(r->iosb.Information));
}

void Backend::Impl::FallbackCompleted(Request* r, uint32_t st, uint64_t info, std::vector<Settled>& out) {
  std::unique_ptr<Request> owned(r);
  Endpoint* ep = endpoints.Get(r->ep);
  if (ep == nullptr || !ep->fallback) return;
  Fallback& f = *ep->fallback;
  if (r->op == Op::kRecv) {
    f.recv = nullptr;
    if (!ep->closed && (nt::Success(st) || info > 0)) {  // bytes read before a cancel count
      f.bytes = std::move(r->data);
      f.pos = 0;
      f.len = static_cast<size_t>(info);
      f.has_result = true;
    } else if (!ep->closed && st != nt::kCancelled) {
      f.recv_error = st;
      f.has_result = true;
    }
    SettleWaits(f.recv_waits, ep->closed, out);
    return;
  }
  f.send = nullptr;
  if (!ep->closed && (nt::Success(st) || info > 0)) f.sent += static_cast<size_t>(info);
  if (!ep->closed && nt::Success(st) && info > 0 && info < r->buf.len) {
    // A partial completion: the rest goes out next, from the same copy.
    Request* rest = NewRequest(r->ep, 0, Op::kSend);
    rest->data = std::move(r->data);
    rest->buf = afd::WsaBuf{static_cast<uint32_t>(r->buf.len - info), r->buf.buf + info};
    uint32_t s2 = dialect->send_async(io, ep->h, rest);
    if (s2 == nt::kPending) {
      Hold(rest);
      f.send = rest;
      return;  // the waits (and a deferred shutdown) wait for the rest
    }
    if (nt::Warning(s2)) {
      Orphan(rest);
    } else {
      if (nt::Success(s2)) f.sent += static_cast<size_t>(rest->iosb.Information);
      delete rest;
    }
  }
  if (!nt::Success(st) && f.sent == 0 && f.send_error == 0) f.send_error = st;
  SettleWaits(f.send_waits, ep->closed, out);
  if (f.shutdown_request != 0) {
    uint32_t request = f.shutdown_request;
    f.shutdown_request = 0;
    if (ep->closed) {
      out.push_back(Settled{request, kFailed, nt::kCancelled, 0});
      return;
    }
    Outcome o = Submit(NewRequest(r->ep, request, Op::kShutdown));
    if (o.state != kPending) out.push_back(Settled{request, o.state, o.status, o.value});
  }
}

bool Backend::Impl::FallbackCancel(Endpoint& ep, uint32_t request) {
  Fallback& f = *ep.fallback;
  for (Fallback::Wait& w : f.recv_waits) {
    if (w.request != request || w.cancelled) continue;
    w.cancelled = true;
    if (f.recv != nullptr) io.Cancel(ep.h, f.recv);  // what it read before the cancel stays buffered
    return true;
  }
  for (Fallback::Wait& w : f.send_waits) {
    if (w.request != request || w.cancelled) continue;
    w.cancelled = true;  // settles when the send it waits for finishes
    return true;
  }
  return false;
}

}  // namespace afdsock
