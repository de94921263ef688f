/* Where the running executable lives (to find plugins next to it). */
#ifndef PL_EXE_H
#define PL_EXE_H
#include <stddef.h>
/* Writes the folder of /proc/self/exe into out. Returns 0 or -errno. */
int pl_exe_dir(char *out, size_t n);
#endif
