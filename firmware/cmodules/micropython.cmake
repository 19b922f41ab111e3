# USER_C_MODULES entry point for the cmake-based ports (esp32): every module of this folder.
include(${CMAKE_CURRENT_LIST_DIR}/lccrypto/micropython.cmake)
