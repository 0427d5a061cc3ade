#include "completion_queue.h"

namespace afdsock {

void CompletionQueue::Start(Napi::Env env, Drain drain) {
  drain_ = std::move(drain);
  tsfn_ = Tsfn::New(env, "afd-socket completions", 0, 1, this);
  tsfn_.Unref(env);  // JS decides when pending work keeps the loop alive
  started_ = true;
}

void CompletionQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.clear();
    wake_scheduled_ = true;  // no further wakes
  }
  if (started_) {
    tsfn_.Release();
    started_ = false;
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
  if (!running_.empty()) drain_(env, running_);
}

void CompletionQueue::Ref(Napi::Env env) {
  if (started_) tsfn_.Ref(env);
}
void CompletionQueue::Unref(Napi::Env env) {
  if (started_) tsfn_.Unref(env);
}

}  // namespace afdsock
