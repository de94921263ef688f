/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.130, F1@10
 * 0.198. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.283842,  /* log(1+freq) */
    -0.268409, /* first position */
    0.084227,  /* spread */
    -1.318084, /* two words */
    -1.890043, /* three+ words */
    -0.266418, /* all capitalised */
    -0.123404, /* capitalised inside */
    0.339746,  /* mean idf */
    0.708609,  /* tf-idf */
    0.357337,  /* PERSON */
    0.475869,  /* ORG */
    0.502200,  /* LOC */
    0.571300,  /* MISC */
    -0.615947, /* word tf */
    -1.005395, /* digit */
    -0.547956, /* all caps */
    -0.416208, /* cohesion */
    0.220679,  /* first sentence */
    -0.067976, /* seen once */
    -0.320382, /* tf-idf rank */
    3.147199,  /* freq/max */
    -0.716030, /* one-word tf-idf */
    0.667705,  /* min idf */
    -0.399996, /* unknown word */
    -2.917923, /* inner mark */
    -0.505649, /* inside longer */
    2.515910,  /* keyphraseness */
    -1.151536, /* keyphraseness evidence */
    -1.620940, /* bias */
};
