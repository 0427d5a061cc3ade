#include "completion_queue.h"

namespace afdsock {

void CompletionQueue::Start(Napi::Env env, Drain drain) {
  drain_ = std::move(drain);
  context_ = std::make_unique<Napi::AsyncContext>(env, "afd-socket");
}

void CompletionQueue::StartWakeups(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "afd-socket completions", 0, 1, this);
  tsfn_.Unref(env);  // JS decides when pending work keeps the loop alive
  wakeups_ = true;
}

void CompletionQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.clear();
    wake_scheduled_ = true;  // no further wakes
  }
  stopped_ = true;
  context_.reset();
  if (wakeups_) {
    tsfn_.Release();
    wakeups_ = false;
  }
}

std::vector<Completion> CompletionQueue::Take() {
  std::vector<Completion> taken;
  std::lock_guard<std::mutex> lock(mu_);
  taken.swap(pending_);
  return taken;
}

void CompletionQueue::Push(const Completion* items, size_t n) {
  if (n == 0) return;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.insert(pending_.end(), items, items + n);
    wake = !wake_scheduled_;
    wake_scheduled_ = true;
  }
  if (wake) tsfn_.NonBlockingCall();
}

void CompletionQueue::Deliver(Napi::Env env, const Completion* items, size_t n) {
  if (stopped_) return;
  running_.assign(items, items + n);
  // Nothing may unwind into libuv. A JS exception goes to 'uncaughtException'
  // as from any callback; a worker being terminated refuses to run JS, which
  // napi reports as an exception with no value, and that is dropped.
  try {
    Napi::HandleScope handles(env);
    Napi::CallbackScope scope(env, *context_);
    drain_(env, running_);
  } catch (const Napi::Error& e) {
    Uncaught(env, e);
  }
}

void CompletionQueue::Uncaught(Napi::Env env, const Napi::Error& e) {
  Napi::HandleScope scope(env);  // the one of the failed call is gone by now
  napi_value value = nullptr;
  if (napi_get_reference_value(env, static_cast<napi_ref>(e), &value) == napi_ok && value != nullptr)
    napi_fatal_exception(env, value);
}

void CompletionQueue::OnWake(Napi::Env env, Napi::Function, CompletionQueue* self, void*) {
  if (env != nullptr) self->Run(env);
}

void CompletionQueue::Run(Napi::Env env) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.clear();
    running_.swap(pending_);
    wake_scheduled_ = false;
  }
  if (running_.empty()) return;
  try {
    drain_(env, running_);
  } catch (const Napi::Error& e) {  // as in Deliver: never unwind into the TSFN machinery
    Uncaught(env, e);
  }
}

void CompletionQueue::Ref(Napi::Env env) {
  if (wakeups_) tsfn_.Ref(env);
}
void CompletionQueue::Unref(Napi::Env env) {
  if (wakeups_) tsfn_.Unref(env);
}

}  // namespace afdsock
