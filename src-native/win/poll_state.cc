#include "poll_state.h"

namespace afdsock {
namespace win {

namespace {
// Events after which every wait must look: the connection is gone or going.
constexpr uint32_t kEndEvents = afd::kPollAbort | afd::kPollLocalClose | afd::kPollConnectFail;
// A re-armed poll that keeps succeeding inline: settle everything instead of
// spinning here (each settled wait retries its inline call).
constexpr int kArmRounds = 4;
}  // namespace

uint32_t PollState::Interest() const {
  uint32_t mask = 0;
  for (const Waiter& w : waiters_)
    if (!w.cancelled) mask |= w.events;
  return mask;
}

Outcome PollState::Wait(Kernel& k, uint32_t request, uint32_t events) {
  if (poll_ == nullptr && waiters_.empty()) {
    uint32_t fired = 0;
    uint32_t st = k.IssuePoll(events, &poll_, &fired);
    if (st == nt::kPending) {
      armed_ = events;
      waiters_.push_back(Waiter{request, events, false});
      return Pending();
    }
    poll_ = nullptr;
    return nt::Success(st) ? Done() : Failed(st);
  }
  waiters_.push_back(Waiter{request, events, false});
  if (poll_ != nullptr && !rearm_ && (armed_ & events) != events) {
    rearm_ = true;
    k.CancelPoll(poll_);
  }
  return Pending();
}

bool PollState::Cancel(Kernel& k, uint32_t request) {
  for (Waiter& w : waiters_) {
    if (w.request != request || w.cancelled) continue;
    w.cancelled = true;
    if (poll_ != nullptr && !rearm_) {
      rearm_ = true;
      k.CancelPoll(poll_);
    }
    return true;
  }
  return false;
}

void PollState::Fire(uint32_t fired, std::vector<Settled>& out) {
  bool all = (fired & kEndEvents) != 0;
  size_t keep = 0;
  for (const Waiter& w : waiters_) {
    if (!w.cancelled && (all || (w.events & fired) != 0))
      out.push_back(Settled{w.request, kDone, 0, 0});
    else
      waiters_[keep++] = w;
  }
  waiters_.resize(keep);
}

void PollState::DropCancelled(std::vector<Settled>& out) {
  size_t keep = 0;
  for (const Waiter& w : waiters_) {
    if (w.cancelled)
      out.push_back(Settled{w.request, kFailed, nt::kCancelled, 0});
    else
      waiters_[keep++] = w;
  }
  waiters_.resize(keep);
}

void PollState::SettleAll(State state, uint32_t status, std::vector<Settled>& out) {
  for (const Waiter& w : waiters_)
    out.push_back(Settled{w.request, w.cancelled ? kFailed : state, w.cancelled ? nt::kCancelled : status, 0});
  waiters_.clear();
}

void PollState::Arm(Kernel& k, std::vector<Settled>& out) {
  for (int round = 0; round < kArmRounds; round++) {
    DropCancelled(out);
    uint32_t mask = Interest();
    if (mask == 0) return;
    uint32_t fired = 0;
    uint32_t st = k.IssuePoll(mask, &poll_, &fired);
    if (st == nt::kPending) {
      armed_ = mask;
      return;
    }
    poll_ = nullptr;
    if (!nt::Success(st)) {
      SettleAll(kFailed, st, out);
      return;
    }
    if ((fired & mask) == 0) break;  // succeeded with nothing anyone asked for
    Fire(fired, out);
  }
  SettleAll(kDone, 0, out);
}

void PollState::Completed(Kernel& k, const Request& r, uint32_t status, bool closing, std::vector<Settled>& out) {
  poll_ = nullptr;
  bool was_rearm = rearm_;
  rearm_ = false;
  armed_ = 0;
  if (closing) {
    SettleAll(kFailed, nt::kCancelled, out);
    return;
  }
  if (nt::Success(status)) {
    uint32_t fired = r.u.poll.NumberOfHandles == 1 ? r.u.poll.Handles[0].Events : 0;
    // Success with no event (a timeout, which Timeout = forever rules out):
    // everyone looks again.
    if (fired == 0) fired = kEndEvents;
    Fire(fired, out);
  } else if (!(was_rearm && status == nt::kCancelled)) {
    // Cancelled by someone else (Close, Stop) or failed: nobody waits on.
    SettleAll(kFailed, status, out);
    return;
  }
  Arm(k, out);
}

}  // namespace win
}  // namespace afdsock
