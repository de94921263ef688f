/* placeholder */
#define PL_KW_DF_DOCS 1
static const struct {
    const char *w;
    unsigned df;
} pl_kw_df[] = { { "a", 1 } };
