// One endpoint's readiness, kept as wepoll's sock.c and mio's SockState keep
// it: every read or write wait parked on the endpoint shares one
// IOCTL_AFD_POLL, for the union of their events.
//
// Why one: two polls for the same socket completing to the same port lose
// events on real Windows. trio's notes (afd-lab, _io_windows.py) saw the SEND
// poll complete with the RECEIVE flag set while the RECEIVE poll never
// returned until cancelled; wepoll's author reports lost events "where the
// same socket appears on more than one poll set" (wepoll #35). Wine's poll
// lives in wineserver and has no such bug, so only this design keeps real
// Windows safe.
//
// The rules:
// - at most one poll in the kernel per endpoint;
// - a new wait whose events the pending poll covers just joins it;
// - one it does not cover cancels that poll (NtCancelIoFileEx with the poll's
//   own IO_STATUS_BLOCK); the next poll is issued only from the cancelled
//   one's completion, and a poll cancelled to re-arm settles nobody (unless
//   it had already completed with events, which are then delivered);
// - a completion settles each wait whose events fired (all of them on
//   ABORT, LOCAL_CLOSE or an error) and re-arms for the waits that remain.
// A settled wait only means "try the inline call again": a spurious one is
// harmless, a lost one is a hang, so every doubt settles.
#pragma once

#include <vector>

#include "../core/types.h"
#include "request.h"

namespace afdsock {
namespace win {

class PollState {
 public:
  // How the state reaches the kernel; the backend owns the records.
  struct Kernel {
    // Issues a poll for `events`. STATUS_PENDING: *pending is the record the
    // kernel now holds. Otherwise final (the record is gone) and *fired holds
    // the events found at once.
    virtual uint32_t IssuePoll(uint32_t events, Request** pending, uint32_t* fired) = 0;
    virtual void CancelPoll(Request* r) = 0;
  };

  // A read or write wait for `events` under JS request `request`. kDone: the
  // condition holds now (nothing parked); kPending: parked, settles from
  // Completed(); kFailed: the poll failed.
  Outcome Wait(Kernel& k, uint32_t request, uint32_t events);
  // Parks a wait even when no poll is needed to see it through: it settles
  // from the next completion (the caller makes sure one comes).
  void Park(uint32_t request, uint32_t events) { waiters_.push_back(Waiter{request, events, false}); }
  // Cancels a parked wait: it settles (STATUS_CANCELLED) from the completion
  // of the poll this cancels. false: `request` is not waiting here.
  bool Cancel(Kernel& k, uint32_t request);
  // The pending poll `r` completed with `status`; `closing`: the endpoint is
  // closed, so every wait settles as cancelled and nothing re-arms.
  void Completed(Kernel& k, const Request& r, uint32_t status, bool closing, std::vector<Settled>& out);
  // Settles every parked wait with `state` / `status` (e.g. on a wake-up).
  void SettleAll(State state, uint32_t status, std::vector<Settled>& out);

  bool Polling() const { return poll_ != nullptr; }
  Request* pending() const { return poll_; }
  bool Empty() const { return waiters_.empty(); }

 private:
  struct Waiter {
    uint32_t request;
    uint32_t events;
    bool cancelled;
  };
  uint32_t Interest() const;
  void Fire(uint32_t fired, std::vector<Settled>& out);
  void DropCancelled(std::vector<Settled>& out);
  void Arm(Kernel& k, std::vector<Settled>& out);

  std::vector<Waiter> waiters_;
  Request* poll_ = nullptr;  // the poll the kernel holds, if any
  uint32_t armed_ = 0;       // its events
  bool rearm_ = false;       // it was cancelled to change its events
};

}  // namespace win
}  // namespace afdsock
