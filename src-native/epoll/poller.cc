#include "poller.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

namespace afdsock {
namespace epoll {

namespace {
constexpr uint64_t kWakeToken = 0;  // endpoint ids start at 1
constexpr int kBatch = 256;
constexpr int kRoundsPerWake = 8;  // then yield to the loop (timers, other I/O)
}  // namespace

Poller::~Poller() { Stop(); }

std::string Poller::Start(Napi::Env env, CompletionQueue* queue) {
  env_ = env;
  queue_ = queue;
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return std::string("epoll_create1: ") + strerror(errno);
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return std::string("eventfd: ") + strerror(errno);
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) return std::string("epoll_ctl: ") + strerror(errno);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return "napi_get_uv_event_loop failed";
  watcher_ = new uv_poll_t;
  watcher_->data = this;
  int r = uv_poll_init(loop, watcher_, epfd_);
  if (r == 0) r = uv_poll_start(watcher_, UV_READABLE, OnReady);
  if (r != 0) {
    delete watcher_;
    watcher_ = nullptr;
    return std::string("uv_poll: ") + uv_strerror(r);
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(watcher_));  // JS refs it while work is pending
  return "";
}

void Poller::Stop() {
  if (watcher_ != nullptr) {
    watcher_->data = nullptr;
    uv_poll_stop(watcher_);
    uv_close(reinterpret_cast<uv_handle_t*>(watcher_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    watcher_ = nullptr;
  }
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
  wakefd_ = epfd_ = -1;
}

int Poller::Add(int fd, uint32_t id) {
  struct epoll_event ev {};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = id;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0 ? errno : 0;
}

void Poller::Nudge() {
  uint64_t one = 1;
  while (write(wakefd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Poller::Ref(bool on) {
  if (watcher_ == nullptr) return;
  auto* h = reinterpret_cast<uv_handle_t*>(watcher_);
  if (on)
    uv_ref(h);
  else
    uv_unref(h);
}

void Poller::OnReady(uv_poll_t* handle, int, int) {
  auto* self = static_cast<Poller*>(handle->data);
  if (self != nullptr) self->Drain();
}

void Poller::Drain() {
  struct epoll_event events[kBatch];
  Completion out[kBatch];
  for (int round = 0; round < kRoundsPerWake && epfd_ >= 0; round++) {
    int n = epoll_wait(epfd_, events, kBatch, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == kWakeToken) {
        uint64_t v;
        while (read(wakefd_, &v, sizeof v) < 0 && errno == EINTR) {
        }
        continue;
      }
      out[k++] = Completion{nullptr, events[i].data.u64, events[i].events};
    }
    queue_->Deliver(env_, out, k);  // k may be 0: a nudge, for deferred results
    if (n < kBatch) return;
  }
}

}  // namespace epoll
}  // namespace afdsock
