// emuflash: the emulated board's memory-mapped flash (the unix port only, never on a chip).
// On an ESP32, MicroPython maps a ROMFS partition into the address space (esp_partition_mmap)
// and vfs.VfsRom imports its compiled modules in place, their bytecode never copied into the
// heap. emuflash.map(path, offset, length) gives the emulated board the same: a read-only
// memoryview over mmap(2) of the flash file, outside the MicroPython heap, so the firmware
// started from a slot fits the board's 96 KiB heap as it would on the chip.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "py/obj.h"
#include "py/objarray.h"
#include "py/runtime.h"

static mp_obj_t emuflash_map(mp_obj_t path_in, mp_obj_t off_in, mp_obj_t len_in) {
    const char *path = mp_obj_str_get_str(path_in);
    mp_int_t off = mp_obj_get_int(off_in);
    mp_int_t len = mp_obj_get_int(len_in);
    if (off < 0 || len <= 0 || off % sysconf(_SC_PAGESIZE) != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("offset must be page aligned, length positive"));
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        mp_raise_OSError(errno);
    }
    void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, (off_t)off);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) {
        mp_raise_OSError(err);
    }
    // never unmapped: a reset of the emulated board is a new process
    return mp_obj_new_memoryview('B', (size_t)len, p);   // no RW flag: read-only
}
static MP_DEFINE_CONST_FUN_OBJ_3(emuflash_map_obj, emuflash_map);

static const mp_rom_map_elem_t emuflash_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emuflash) },
    { MP_ROM_QSTR(MP_QSTR_map), MP_ROM_PTR(&emuflash_map_obj) },
};
static MP_DEFINE_CONST_DICT(emuflash_globals, emuflash_globals_table);

const mp_obj_module_t emuflash_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&emuflash_globals,
};
MP_REGISTER_MODULE(MP_QSTR_emuflash, emuflash_user_cmodule);
