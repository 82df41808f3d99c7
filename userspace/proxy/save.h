/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy's RDB persistence (save.c): SAVE, BGSAVE, LASTSAVE, INFO
 * persistence, SHUTDOWN [SAVE|NOSAVE], the dump file loaded at start and
 * saved at exit.  Files are written by libkcache (userspace/lib/rdbfile.c).
 */
#ifndef KCP_SAVE_H
#define KCP_SAVE_H

#include "buf.h"

/* Checks --dir/--dbfilename; loads the dump into an empty cache.  0 or -1. */
int persist_start(void);
/* After the workers stopped: waits for a BGSAVE, saves if asked.  0 or -1. */
int persist_exit(void);
/* The "# Persistence" section of INFO, without the header's blank line. */
void persist_info(struct buf *b, int kfd);
/* For CONFIG GET. */
const char *persist_dir(void);
const char *persist_dbfilename(void);

#endif /* KCP_SAVE_H */
