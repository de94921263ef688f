/* A shared object without the descriptor symbol. */
#include <pressline/plugin.h>
PL_PLUGIN_EXPORT int not_a_plugin(void);
PL_PLUGIN_EXPORT int not_a_plugin(void)
{
    return 42;
}
