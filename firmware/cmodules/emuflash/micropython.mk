# emuflash (the emulated board's memory-mapped flash) for the unix port only: no
# micropython.cmake, so an ESP32 build never has it.
EMUFLASH_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMUFLASH_DIR)/emuflash.c
