/*
 * `pressline eval ner|summary|extract ...`: the evaluators as commands.
 * Called by the pressline program's main; one thread.
 */
#ifndef PL_EVAL_CMD_H
#define PL_EVAL_CMD_H

/* Runs `pressline eval` with argv[0] = "eval". Prints the figures on stdout
 * and errors on stderr. Returns the exit code: 0, 1 (the evaluation failed)
 * or 2 (usage). */
int pl_eval_main(int argc, char **argv);

#endif
