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
}  // namespace

Poller::~Poller() { Stop(); }

std::string Poller::Start(CompletionQueue* queue) {
  queue_ = queue;
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return std::string("epoll_create1: ") + strerror(errno);
  wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakefd_ < 0) return std::string("eventfd: ") + strerror(errno);
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) return std::string("epoll_ctl: ") + strerror(errno);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return "";
}

void Poller::Stop() {
  if (thread_.joinable()) {
    stop_ = true;
    uint64_t one = 1;
    while (write(wakefd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
    thread_.join();
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
  Completion c{nullptr, 0, 0};
  queue_->Push(&c, 1);
}

void Poller::Run() {
  struct epoll_event events[kBatch];
  Completion out[kBatch];
  while (!stop_) {
    int n = epoll_wait(epfd_, events, kBatch, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EBADF etc.: nothing sane left to wait on
    }
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
    if (k > 0 && !stop_) queue_->Push(out, k);
  }
}

}  // namespace epoll
}  // namespace afdsock
