/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.122, F1@10
 * 0.193. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.366379, /* log(1+freq) */
    -0.245703, /* first position */
    0.162124, /* spread */
    -0.837483, /* two words */
    -1.353660, /* three+ words */
    -0.264957, /* all capitalised */
    -0.300012, /* capitalised inside */
    0.488876, /* mean idf */
    0.309194, /* tf-idf */
    0.506112, /* PERSON */
    0.694803, /* ORG */
    0.772453, /* LOC */
    0.679552, /* MISC */
    -0.777412, /* word tf */
    -0.403836, /* digit */
    -0.545477, /* all caps */
    -0.709997, /* cohesion */
    0.258481, /* first sentence */
    -0.181675, /* seen once */
    -0.125687, /* tf-idf rank */
    2.655379, /* freq/max */
    0.044511, /* one-word tf-idf */
    0.632139, /* min idf */
    -0.616399, /* unknown word */
    -2.445243, /* inner mark */
    -1.360734, /* bias */
};
