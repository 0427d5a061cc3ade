// One in-flight AFD operation. Its address is the ApcContext of the IOCTL, so
// the completion packet leads back to it; the IO_STATUS_BLOCK, the AFD input
// structs and the WSABUF live inside it.
//
// Ownership (N.b.): from the moment NtDeviceIoControlFile returns
// STATUS_PENDING until its completion packet is dequeued, the kernel may write
// `iosb` and the output/data buffers. Only Backend::Process (or Stop, which
// waits for the packets) frees the record; Cancel and Close merely ask the
// kernel to finish early. No request ever carries a pointer to JS memory:
// data moves only in inline calls (Backend::Recv / Send), and waiting for
// data or room is an IOCTL_AFD_POLL whose buffers live here.
#pragma once

#include "afd_abi.h"
#include "nt.h"

namespace afdsock {
namespace win {

enum class Op : uint8_t { kAccept, kConnect, kPoll, kShutdown };

struct Request {
  IO_STATUS_BLOCK iosb;
  uint32_t id;  // JS request id
  uint32_t ep;  // endpoint id
  Op op;
  bool settled_inline = false;  // a warning returned inline was reported already
  union {
    afd::PollInfo poll;  // input and output
    afd::ConnectInfo connect;
    afd::WineConnectParams wine_connect;
    afd::PartialDisconnectInfo disconnect;
    int32_t wine_how;
    afd::ListenResponseBuffer listen_response;  // WAIT_FOR_LISTEN output
    uint32_t wine_accept_handle;              // IOCTL_AFD_WINE_ACCEPT output: exactly 4 bytes
  } u{};
};

}  // namespace win
}  // namespace afdsock
