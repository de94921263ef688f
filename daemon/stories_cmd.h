/*
 * `pressline stories [--since TIME] [--json] [--limit N] [--db PATH]
 * [--config FILE]` lists the stories the stories stage remembers, most
 * recently seen first; `pressline story ID [--json] [--db PATH] [--config
 * FILE]` shows one story with its entities and every article. Both read the
 * database (plugins/stories/store.h) read-only, so they run beside the
 * daemon; the database is --db, else the stories stage's "db" option in the
 * configuration (<spool>/stories.db unless set). The pressline program
 * calls them on its one thread.
 */
#ifndef PL_STORIES_CMD_H
#define PL_STORIES_CMD_H

/* argv[0] is "stories". Returns the exit status: 0, 1 on a failure (said
 * on stderr), 2 on a usage error. */
int pl_stories_main(int argc, char **argv);

/* argv[0] is "story". Returns 0, 1 when there is no such story or the
 * database cannot be read, 2 on a usage error. */
int pl_story_main(int argc, char **argv);

#endif
