# CMake toolchain file: cross-compile for 64-bit Windows with Debian's mingw-w64.
#
# The "-posix" flavour of the compiler is used on purpose: in GCC 12 only the
# posix thread model (winpthreads) provides std::thread / std::mutex /
# std::condition_variable. The default "-win32" flavour lacks them.
# winpthreads is linked statically (see CMakeLists.txt), so the resulting
# .node does not depend on libwinpthread-1.dll.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(MINGW_TRIPLE x86_64-w64-mingw32)

find_program(MINGW_CXX NAMES ${MINGW_TRIPLE}-g++-posix REQUIRED)
find_program(MINGW_CC  NAMES ${MINGW_TRIPLE}-gcc-posix REQUIRED)

set(CMAKE_C_COMPILER   ${MINGW_CC})
set(CMAKE_CXX_COMPILER ${MINGW_CXX})
find_program(CMAKE_RC_COMPILER NAMES ${MINGW_TRIPLE}-windres)
find_program(CMAKE_DLLTOOL NAMES ${MINGW_TRIPLE}-dlltool REQUIRED)
find_program(CMAKE_OBJDUMP NAMES ${MINGW_TRIPLE}-objdump)

set(CMAKE_FIND_ROOT_PATH /usr/${MINGW_TRIPLE})
# Programs (node, dlltool) come from the host; headers/libs from the target.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
