/* The rules' judgement of a document's blocks; see judge.h. */
#include "judge.h"

#include <errno.h>

#include "dump.h"
#include "rules.h"

int pl_judge_blocks(struct pl_blocks *bl, int plain, int has_title, int min_headline_run,
                    const struct pl_bmodel *dumps, int *page)
{
    *page = 0;
    if (pl_blocks_lower(bl) != 0)
        return -ENOMEM;
    if (!has_title)
        pl_rules_find_title(bl);
    pl_rules_mark_boilerplate(bl, min_headline_run);
    *page = plain && pl_dump_mark_page(bl);
    if (*page && !has_title)
        pl_dump_find_title(bl);
    return *page && dumps ? pl_dump_apply(bl, dumps) : 0;
}
