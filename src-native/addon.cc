// Module init: one Instance per Node environment (the main thread and each
// worker); binding.cc's init() starts it and registers its cleanup hook.
#include <napi.h>

#include "binding/instance.h"

namespace {

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  // Deleted by napi at teardown, after the cleanup hook init() registers.
  env.SetInstanceData<afdsock::Instance>(new afdsock::Instance());
  return afdsock::RegisterBinding(env, exports);
}

}  // namespace

NODE_API_MODULE(afd_socket, InitModule)
