/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.125, F1@10
 * 0.198. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    0.252003, /* log(1+freq) */
    -0.281013, /* first position */
    0.101923, /* spread */
    -1.318849, /* two words */
    -1.895795, /* three+ words */
    -0.270404, /* all capitalised */
    -0.207838, /* capitalised inside */
    1.096898, /* mean idf */
    0.715459, /* tf-idf */
    0.394606, /* PERSON */
    0.617445, /* ORG */
    0.620953, /* LOC */
    0.794614, /* MISC */
    -0.629660, /* word tf */
    -1.077305, /* digit */
    -0.683875, /* all caps */
    -0.438353, /* cohesion */
    0.237394, /* first sentence */
    -0.051563, /* seen once */
    -0.434264, /* tf-idf rank */
    3.148682, /* freq/max */
    -0.522130, /* one-word tf-idf */
    0.375529, /* min idf */
    -0.683979, /* unknown word */
    -3.027517, /* inner mark */
    -0.505382, /* inside longer */
    -1.757878, /* bias */
};
