// Module init: one Instance per Node environment, stopped by an environment
// cleanup hook so that worker threads release their sockets and wait thread.
#include <napi.h>

#include "binding/instance.h"

namespace {

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  auto* instance = new afdsock::Instance();
  env.SetInstanceData<afdsock::Instance>(instance);  // deleted by napi at teardown
  // Runs before the instance data is deleted: stop the wait thread and wait
  // for the kernel to finish with every request while buffers still exist.
  napi_add_env_cleanup_hook(
      env, [](void* p) { static_cast<afdsock::Instance*>(p)->Stop(); }, instance);
  return afdsock::RegisterBinding(env, exports);
}

}  // namespace

NODE_API_MODULE(afd_socket, InitModule)
