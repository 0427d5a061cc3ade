{
  "targets": [
    {
      "target_name": "afd-socket",
      "sources": [
        "src-native/addon.cc",
        "src-native/core/completion_queue.cc",
        "src-native/core/trace.cc",
        "src-native/binding/binding.cc",
        "src-native/binding/abi_layout.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "src-native/epoll/poller.cc",
            "src-native/epoll/backend.cc",
            "src-native/epoll/errno_map.cc"
          ]
        }],
        ["OS=='win'", {
          "sources": [
            "src-native/win/nt.cc",
            "src-native/win/io.cc",
            "src-native/win/dialect.cc",
            "src-native/win/iocp.cc",
            "src-native/win/backend.cc",
            "src-native/win/poll_state.cc",
            "src-native/win/fallback.cc",
            "src-native/win/ntstatus_map.cc",
            "src-native/win/tcp_table.cc"
          ],
          "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "_WIN32_WINNT=0x0A00"],
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
          }
        }]
      ]
    }
  ]
}
