/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.130, F1@10
 * 0.199. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.285384,  /* log(1+freq) */
    -0.264792, /* first position */
    0.092506,  /* spread */
    -1.319799, /* two words */
    -1.883862, /* three+ words */
    -0.275625, /* all capitalised */
    -0.141841, /* capitalised inside */
    0.365902,  /* mean idf */
    0.671503,  /* tf-idf */
    0.404269,  /* PERSON */
    0.562654,  /* ORG */
    0.547756,  /* LOC */
    0.678191,  /* MISC */
    -0.614580, /* word tf */
    -0.997848, /* digit */
    -0.597959, /* all caps */
    -0.431882, /* cohesion */
    0.224233,  /* first sentence */
    -0.066520, /* seen once */
    -0.311905, /* tf-idf rank */
    3.139212,  /* freq/max */
    -0.698601, /* one-word tf-idf */
    0.657900,  /* min idf */
    -0.400422, /* unknown word */
    -2.912491, /* inner mark */
    -0.498580, /* inside longer */
    2.512406,  /* keyphraseness */
    -1.148829, /* keyphraseness evidence */
    -1.611095, /* bias */
};
