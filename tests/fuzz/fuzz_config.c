/* libFuzzer harness for the configuration parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct pl_config *c = NULL;
    char err[1024];
    if (pl_config_load_text(text, "fuzz", "/x", &c, err, sizeof(err)) == 0) {
        if (!c || c->nstages == 0 || !c->stages[0].plugin_path)
            abort();
        pl_config_free(&c);
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    free(text);
    return 0;
}
