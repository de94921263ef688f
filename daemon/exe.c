/* Executable folder; see exe.h. */
#include "exe.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int pl_exe_dir(char *out, size_t n)
{
    ssize_t r = readlink("/proc/self/exe", out, n - 1);
    if (r < 0)
        return -errno;
    out[r] = '\0';
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    return 0;
}
