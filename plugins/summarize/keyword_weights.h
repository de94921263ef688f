/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Hand-set start: TF-IDF alone. One weight per feature of keywords.c, then
 * the bias. */
static const double pl_kw_weights[] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2,
};
