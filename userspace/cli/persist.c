// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-cli save FILE / restore FILE: RDB snapshots of the cache through
 * /dev/kcache.  The work is in libkcache (userspace/lib/rdbfile.c, shared
 * with kcache-proxy's SAVE/BGSAVE): save reads each key atomically, the
 * snapshot is fuzzy, the file is written to FILE.tmp.PID, fsynced and
 * renamed; restore validates the whole file before it loads anything.
 * Both cover every database: the file's SELECTDB records name them.
 * Documentation/persistence.rst.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "libkcache.h"
#include "rdb.h"

#define OPT_CHECK	(1U << 0)

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int persist_save(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct kc_rdb_save_info si;
	struct timespec t0;
	char msg[256];
	int fd, err;

	if (a->argc != 1)
		return usage_error(cli, "usage: %s FILE", cmd->name);
	if (cli->has_db)
		return usage_error(cli, "-n does not apply: save writes every database");
	fd = kc_open();
	if (fd < 0) {
		fprintf(stderr, "kcache-cli: %s: %s\n", KC_DEVICE_PATH,
			strerror(-fd));
		return EXIT_ERR;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = kc_rdb_save_file(fd, a->argv[0], &si, msg, sizeof(msg));
	kc_close(fd);
	if (err) {
		fprintf(stderr, "kcache-cli: save: %s\n", msg);
		return EXIT_ERR;
	}
	printf("saved %" PRIu64 " keys, %" PRIu64 " bytes to %s in %.3f s\n",
	       si.keys, si.bytes, a->argv[0], since(&t0));
	return EXIT_OK;
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "kcache-cli: restore: warning: %s\n", msg);
}

int persist_restore(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct kc_rdb_load_opts lo = { .warn = warn_cb };
	struct kc_rdb_load_info li;
	const char *vals[2] = { 0 };
	struct timespec t0;
	uint32_t flags = 0;
	char msg[256];
	int fd = -1, err;
	unsigned int t;

	if (parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals))
		return EXIT_ERR;
	if (a->argc != 1)
		return usage_error(cli, "usage: %s FILE [--check]", cmd->name);
	if (cli->has_db)
		return usage_error(cli, "-n does not apply: restore puts each key in the database the file names");
	if (!(flags & OPT_CHECK)) {
		fd = kc_open();
		if (fd < 0) {
			fprintf(stderr, "kcache-cli: %s: %s\n", KC_DEVICE_PATH,
				strerror(-fd));
			return EXIT_ERR;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = kc_rdb_load_file(fd, a->argv[0], &lo, &li, msg, sizeof(msg));
	if (fd >= 0)
		kc_close(fd);
	if (err && !li.partial) {
		fprintf(stderr, "kcache-cli: restore: %s: %s%s\n", a->argv[0],
			msg, err == -EBADMSG ? "; nothing loaded" : "");
		return EXIT_ERR;
	}
	for (t = 0; t < 32; t++)
		if (li.st.skipped_by_type[t])
			fprintf(stderr, "kcache-cli: restore: skipped %" PRIu64
				" key(s) of unsupported RDB type %u (%s)\n",
				li.st.skipped_by_type[t], t,
				kc_rdb_type_name(t));
	if (err) {
		fprintf(stderr, "kcache-cli: restore: %s: %s\n", a->argv[0],
			msg);
		return EXIT_ERR;
	}
	if (flags & OPT_CHECK) {
		printf("valid RDB version %u: %" PRIu64 " keys, %" PRIu64
		       " expired, %" PRIu64 " skipped\n", li.st.version,
		       li.st.keys, li.st.expired, li.st.skipped);
		return EXIT_OK;
	}
	printf("restored %" PRIu64 " keys (%" PRIu64 " expired dropped, %"
	       PRIu64 " skipped) from %s in %.3f s\n", li.keys, li.st.expired,
	       li.st.skipped, a->argv[0], since(&t0));
	return EXIT_OK;
}
