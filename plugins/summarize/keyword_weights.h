/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.129, F1@10
 * 0.199. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.290180,  /* log(1+freq) */
    -0.266098, /* first position */
    0.085822,  /* spread */
    -1.316166, /* two words */
    -1.882955, /* three+ words */
    -0.269374, /* all capitalised */
    -0.146777, /* capitalised inside */
    0.383384,  /* mean idf */
    0.656070,  /* tf-idf */
    0.398892,  /* PERSON */
    0.642584,  /* ORG */
    0.509344,  /* LOC */
    0.636340,  /* MISC */
    -0.617340, /* word tf */
    -1.000032, /* digit */
    -0.600427, /* all caps */
    -0.427395, /* cohesion */
    0.225374,  /* first sentence */
    -0.068097, /* seen once */
    -0.322660, /* tf-idf rank */
    3.139252,  /* freq/max */
    -0.691915, /* one-word tf-idf */
    0.646882,  /* min idf */
    -0.401521, /* unknown word */
    -2.915917, /* inner mark */
    -0.499411, /* inside longer */
    2.517536,  /* keyphraseness */
    -1.147489, /* keyphraseness evidence */
    -1.615658, /* bias */
};
