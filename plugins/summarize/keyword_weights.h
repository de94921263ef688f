/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.130, F1@10
 * 0.190. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.288921,  /* log(1+freq) */
    -0.268123, /* first position */
    0.082308,  /* spread */
    -1.318727, /* two words */
    -1.885412, /* three+ words */
    -0.272724, /* all capitalised */
    -0.127671, /* capitalised inside */
    0.361853,  /* mean idf */
    0.687139,  /* tf-idf */
    0.386366,  /* PERSON */
    0.453088,  /* ORG */
    0.533816,  /* LOC */
    0.668973,  /* MISC */
    -0.613800, /* word tf */
    -1.005371, /* digit */
    -0.534724, /* all caps */
    -0.425808, /* cohesion */
    0.223264,  /* first sentence */
    -0.067220, /* seen once */
    -0.311945, /* tf-idf rank */
    3.141374,  /* freq/max */
    -0.706452, /* one-word tf-idf */
    0.653407,  /* min idf */
    -0.401448, /* unknown word */
    -2.914693, /* inner mark */
    -0.503834, /* inside longer */
    2.513988,  /* keyphraseness */
    -1.149516, /* keyphraseness evidence */
    -1.616364, /* bias */
};
