/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.129, F1@10
 * 0.199. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.293744,  /* log(1+freq) */
    -0.268363, /* first position */
    0.082041,  /* spread */
    -1.319189, /* two words */
    -1.885607, /* three+ words */
    -0.270402, /* all capitalised */
    -0.120897, /* capitalised inside */
    0.321198,  /* mean idf */
    0.710282,  /* tf-idf */
    0.374696,  /* PERSON */
    0.396075,  /* ORG */
    0.518758,  /* LOC */
    0.599651,  /* MISC */
    -0.614323, /* word tf */
    -1.008340, /* digit */
    -0.514304, /* all caps */
    -0.426836, /* cohesion */
    0.224075,  /* first sentence */
    -0.065996, /* seen once */
    -0.304654, /* tf-idf rank */
    3.134134,  /* freq/max */
    -0.723383, /* one-word tf-idf */
    0.692451,  /* min idf */
    -0.401700, /* unknown word */
    -2.916127, /* inner mark */
    -0.504634, /* inside longer */
    2.517022,  /* keyphraseness */
    -1.150951, /* keyphraseness evidence */
    -1.618462, /* bias */
};
