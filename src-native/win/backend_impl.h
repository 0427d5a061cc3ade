// The Windows backend's state, shared by backend.cc (the operations) and
// fallback.cc (the path for endpoints whose data calls pend).
#pragma once

#include <memory>
#include <unordered_set>

#include "../core/backend.h"
#include "../core/id_table.h"
#include "dialect.h"
#include "endpoint.h"
#include "iocp.h"
#include "io.h"

namespace afdsock {

namespace win {
constexpr uint32_t kReadableEvents = afd::kPollReceive | afd::kPollDisconnect | afd::kPollAbort | afd::kPollLocalClose;
constexpr uint32_t kWritableEvents = afd::kPollSend | afd::kPollAbort | afd::kPollLocalClose;
// One send call takes at most this much: a non-blocking AFD send never
// reports a partial write and queues "virtually unlimited" data in kernel
// memory (Wine's sock_send comment), so the cap is what makes backpressure.
constexpr size_t kMaxSendBytes = 1 << 20;
// A fallback receive reads at most this much into the library's buffer.
constexpr size_t kFallbackReceiveBytes = 64 * 1024;
}  // namespace win

struct Backend::Impl {
  explicit Impl(Tracer& t) : io(t) {}
  win::Io io;
  win::Iocp iocp;
  const win::Dialect* dialect = &win::kWindowsDialect;
  CompletionQueue* queue = nullptr;
  IdTable<win::Endpoint> endpoints;
  std::unordered_set<win::Request*> inflight;  // every record the kernel holds: Stop waits for them
  std::unordered_set<win::Request*> orphans;   // settled inline from a warning; a packet may follow
  bool started = false;

  win::Endpoint* Live(uint32_t id) {
    win::Endpoint* ep = endpoints.Get(id);
    return ep != nullptr && !ep->closed ? ep : nullptr;
  }

  win::Request* NewRequest(uint32_t ep, uint32_t id, win::Op op) {
    auto* r = new win::Request();
    r->ep = ep;
    r->id = id;
    r->op = op;
    return r;
  }

  // The kernel took r (STATUS_PENDING): it is freed only from its packet.
  void Hold(win::Request* r) {
    inflight.insert(r);
    if (win::Endpoint* ep = endpoints.Get(r->ep)) ep->held.push_back(r);
  }
  void Unhold(win::Request* r);
  // A warning returned inline: settled now; its packet, if one comes, frees it.
  void Orphan(win::Request* r) {
    r->settled_inline = true;
    orphans.insert(r);
  }

  uint32_t Adopt(HANDLE h, int family, uint32_t* status);
  Outcome Submit(win::Request* r);
  uint32_t Issue(win::Endpoint& ep, win::Request* r);
  Outcome Complete(win::Request* r, uint32_t st, uint64_t info);
  // A readiness wait through the endpoint's one poll (poll_state.h).
  Outcome Wait(uint32_t id, uint32_t request, uint32_t events);
  // Settles `request` with kDone on the next turn of the loop, through a
  // packet posted to the port: for a wait that found its condition at once
  // too often in a row, instead of failing with EAGAIN.
  Outcome Later(uint32_t id, uint32_t request);
  void Release(uint32_t id);
  void MaybeRelease(uint32_t id);

  // fallback.cc
  Outcome FallbackRecv(uint32_t id, uint8_t* data, size_t len, uint32_t request);
  Outcome FallbackSend(uint32_t id, const afd::WsaBuf* bufs, uint32_t count, uint32_t request);
  void FallbackCompleted(win::Request* r, uint32_t st, uint64_t info, std::vector<Settled>& out);
  bool FallbackCancel(win::Endpoint& ep, uint32_t request);
  // The endpoint's data calls pend: from now on it takes the fallback path.
  void StartFallback(win::Endpoint& ep) {
    if (!ep.fallback) ep.fallback.reset(new win::Fallback());
  }
};

}  // namespace afdsock
