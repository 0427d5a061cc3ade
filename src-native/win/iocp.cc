#include "iocp.h"

namespace afdsock {
namespace win {

namespace {
constexpr ULONG_PTR kEndpointKey = 1;
constexpr ULONG_PTR kQuitKey = 2;
constexpr ULONG kBatch = 128;

// A packet's ApcContext is the request; Internal carries the NTSTATUS and
// dwNumberOfBytesTransferred the IO_STATUS_BLOCK's Information.
Completion FromEntry(const OVERLAPPED_ENTRY& e) {
  return Completion{e.lpOverlapped, static_cast<uint64_t>(e.dwNumberOfBytesTransferred),
                    static_cast<uint64_t>(static_cast<uint32_t>(e.Internal))};
}
}  // namespace

Iocp::~Iocp() {
  StopThread();
  Close();
}

std::string Iocp::Start(CompletionQueue* queue) {
  queue_ = queue;
  port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port_ == nullptr) return "CreateIoCompletionPort failed";
  thread_ = std::thread([this] { Run(); });
  return "";
}

bool Iocp::Associate(HANDLE h) {
  if (CreateIoCompletionPort(h, port_, kEndpointKey, 0) == nullptr) return false;
  // Skip-on-success, and no signalling of the handle's own event (nobody
  // waits on it), as libuv, wepoll and mio set it.
  return SetFileCompletionNotificationModes(h, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE) != FALSE;
}

void Iocp::Run() {
  OVERLAPPED_ENTRY entries[kBatch];
  Completion out[kBatch];
  for (;;) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &n, INFINITE, FALSE)) continue;
    size_t k = 0;
    bool quit = false;
    for (ULONG i = 0; i < n; i++) {
      if (entries[i].lpCompletionKey == kQuitKey) {
        quit = true;
        continue;
      }
      out[k++] = FromEntry(entries[i]);
    }
    queue_->Push(out, k);
    if (quit) return;
  }
}

bool Iocp::Post(void* r) {
  return PostQueuedCompletionStatus(port_, 0, kEndpointKey, static_cast<OVERLAPPED*>(r)) != FALSE;
}

void Iocp::StopThread() {
  if (!thread_.joinable()) return;
  PostQueuedCompletionStatus(port_, 0, kQuitKey, nullptr);
  thread_.join();
}

size_t Iocp::Drain(std::vector<Completion>& out, DWORD timeout_ms) {
  OVERLAPPED_ENTRY entries[kBatch];
  ULONG n = 0;
  if (!GetQueuedCompletionStatusEx(port_, entries, kBatch, &n, timeout_ms, FALSE)) return 0;
  for (ULONG i = 0; i < n; i++)
    if (entries[i].lpCompletionKey != kQuitKey) out.push_back(FromEntry(entries[i]));
  return n;
}

void Iocp::Close() {
  if (port_ != nullptr) CloseHandle(port_);
  port_ = nullptr;
}

}  // namespace win
}  // namespace afdsock
