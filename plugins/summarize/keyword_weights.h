/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.130, F1@10
 * 0.198. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.281319,  /* log(1+freq) */
    -0.268937, /* first position */
    0.083272,  /* spread */
    -1.309986, /* two words */
    -1.881984, /* three+ words */
    -0.273387, /* all capitalised */
    -0.129052, /* capitalised inside */
    0.347735,  /* mean idf */
    0.684002,  /* tf-idf */
    0.367819,  /* PERSON */
    0.480267,  /* ORG */
    0.569002,  /* LOC */
    0.639114,  /* MISC */
    -0.609382, /* word tf */
    -1.003619, /* digit */
    -0.543262, /* all caps */
    -0.419329, /* cohesion */
    0.220769,  /* first sentence */
    -0.066413, /* seen once */
    -0.326105, /* tf-idf rank */
    3.142714,  /* freq/max */
    -0.688883, /* one-word tf-idf */
    0.659608,  /* min idf */
    -0.396720, /* unknown word */
    -2.918747, /* inner mark */
    -0.502656, /* inside longer */
    2.516024,  /* keyphraseness */
    -1.145729, /* keyphraseness evidence */
    -1.624498, /* bias */
};
