/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.
 * Trained on the 500N-KPCrowd dev half; held-out 5-fold F1@5 0.117, F1@10
 * 0.180. One weight per feature of keywords.c, then the bias. */
static const double pl_kw_weights[] = {
    1.274639, /* log(1+freq) */
    -0.117693, /* first position */
    0.363265, /* spread */
    -0.990861, /* two words */
    -1.624830, /* three+ words */
    -0.168874, /* all capitalised */
    -0.306490, /* capitalised inside */
    -0.037313, /* mean idf */
    0.497495, /* tf-idf */
    0.602255, /* PERSON */
    0.740756, /* ORG */
    0.800173, /* LOC */
    0.589883, /* MISC */
    -0.791143, /* word tf */
    -0.426378, /* digit */
    -0.729363, /* all caps */
    -0.467222, /* cohesion */
    0.596059, /* first sentence */
    0, 0, 0, 0, 0,
    -1.294682, /* bias */
};
