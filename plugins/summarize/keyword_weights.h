/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.130, F1@10
 * 0.191. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.286876,  /* log(1+freq) */
    -0.268098, /* first position */
    0.083788,  /* spread */
    -1.315593, /* two words */
    -1.884646, /* three+ words */
    -0.277429, /* all capitalised */
    -0.129454, /* capitalised inside */
    0.346579,  /* mean idf */
    0.678819,  /* tf-idf */
    0.388015,  /* PERSON */
    0.537248,  /* ORG */
    0.561795,  /* LOC */
    0.593831,  /* MISC */
    -0.613333, /* word tf */
    -0.999756, /* digit */
    -0.579318, /* all caps */
    -0.422710, /* cohesion */
    0.222251,  /* first sentence */
    -0.067418, /* seen once */
    -0.314430, /* tf-idf rank */
    3.139711,  /* freq/max */
    -0.696136, /* one-word tf-idf */
    0.661764,  /* min idf */
    -0.397795, /* unknown word */
    -2.915077, /* inner mark */
    -0.501366, /* inside longer */
    2.513852,  /* keyphraseness */
    -1.151873, /* keyphraseness evidence */
    -1.615374, /* bias */
};
