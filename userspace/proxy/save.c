// SPDX-License-Identifier: GPL-2.0
/*
 * RDB persistence of kcache-proxy, as redis-server 7.0 does it with
 * `--save ""`: SAVE, BGSAVE [SCHEDULE], LASTSAVE, INFO persistence,
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], dir/dbfilename loaded at
 * start and (with --save-on-exit, like redis-server with save points)
 * saved when the proxy stops.  The file is written by libkcache
 * (kc_rdb_save_file: temporary file, fsync, rename, fsync of the dir).
 *
 * One save at a time, process-wide (struct persist, under its mutex):
 * SAVE runs in the worker that got it, stalling that worker's clients
 * only (Redis stalls every client); BGSAVE runs in a detached thread
 * with its own /dev/kcache descriptor, so no worker waits for it.  A
 * SAVE that finds another SAVE running waits for it; SAVE or BGSAVE that
 * find a BGSAVE running get "Background save already in progress".
 *
 * Both read the cache key by key (each key atomically, the snapshot
 * fuzzy: Documentation/persistence.rst).  The start-up load happens only
 * into an empty cache: kcache's data outlives the proxy, and loading an
 * older dump over a live cache would turn newer values back.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libkcache.h"
#include "proxy.h"
#include "rdb.h"
#include "redis.h"
#include "save.h"

enum { IDLE, FG, BG };

static struct persist {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int busy;			/* IDLE, FG (SAVE), BG (BGSAVE) */
	char *dir;			/* absolute */
	char *dbfilename;
	char *path;			/* dir/dbfilename */
	time_t lastsave;		/* last successful save (or start) */
	int last_bg_ok;
	long long last_bg_secs;		/* -1: none yet */
	time_t bg_start;
	unsigned long long saves;
	uint64_t changes_base;		/* changes() when the last save began */
	uint64_t bg_changes;		/* changes() when the running one began */
	unsigned long long load_loaded, load_expired;
	int exit_saved;			/* SHUTDOWN already saved */
	int exit_nosave;		/* SHUTDOWN NOSAVE */
	int shutting_down;
} P = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
	.last_bg_ok = 1,
	.last_bg_secs = -1,
};

/*
 * Writes to the cache since the last save, by any client of the module:
 * new item versions (every store, every container change, each gets a
 * CAS version) plus deletes.  Redis counts elements (RPUSH of 3 is 3);
 * this counts operations, so it is 0 exactly when nothing was written.
 */
static uint64_t changes(int kfd)
{
	struct kc_stats st = { .size = sizeof(st) };

	if (kc_stats(kfd, &st))
		return 0;
	return st.cas_counter + st.delete_hits;
}

const char *persist_dir(void)
{
	return P.dir;
}

const char *persist_dbfilename(void)
{
	return P.dbfilename;
}

/* One save of the whole cache through kfd.  Takes no lock. */
static int save_once(int kfd, const char *why)
{
	struct kc_rdb_save_info si;
	struct timespec t0, t1;
	char msg[300];
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = kc_rdb_save_file(kfd, P.path, &si, msg, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		log_err("%s: saving %s failed: %s", why, P.path, msg);
		return err;
	}
	log_info("%s: DB saved on disk: %llu keys, %llu bytes in %.3f s", why,
		 (unsigned long long)si.keys, (unsigned long long)si.bytes,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

/* Marks a save that began at changes value base as done. */
static void save_done(int ok, uint64_t base)
{
	if (ok) {
		P.lastsave = time(NULL);
		P.changes_base = base;
	}
}

static int open_kcache(void)
{
	int fd = kc_open_path(cfg.device);

	if (fd < 0)
		log_err("cannot open %s: %s", cfg.device, strerror(-fd));
	return fd;
}

/* SAVE: in this worker; waits for another SAVE, refuses during BGSAVE. */
void cmd_save(struct conn *c, struct arg *argv, size_t argc)
{
	uint64_t base;
	int fd, err;

	(void)argv;
	(void)argc;
	pthread_mutex_lock(&P.lock);
	while (P.busy == FG)
		pthread_cond_wait(&P.idle, &P.lock);
	if (P.busy == BG) {
		pthread_mutex_unlock(&P.lock);
		reply_err(c, "ERR Background save already in progress");
		return;
	}
	P.busy = FG;
	P.saves++;
	pthread_mutex_unlock(&P.lock);
	fd = c->w->eng.fd;
	base = changes(fd);
	err = save_once(fd, "SAVE");
	pthread_mutex_lock(&P.lock);
	save_done(!err, base);
	P.busy = IDLE;
	pthread_cond_broadcast(&P.idle);
	pthread_mutex_unlock(&P.lock);
	if (err)
		resp_error(rout(c), "ERR");
	else
		resp_simple(rout(c), "OK");
}

static void *bgsave_main(void *arg)
{
	int fd = (int)(long)arg, err;
	time_t end;

	err = save_once(fd, "BGSAVE");
	kc_close(fd);
	end = time(NULL);
	pthread_mutex_lock(&P.lock);
	save_done(!err, P.bg_changes);
	P.last_bg_ok = !err;
	P.last_bg_secs = end - P.bg_start;
	P.busy = IDLE;
	pthread_cond_broadcast(&P.idle);
	pthread_mutex_unlock(&P.lock);
	log_info("Background saving %s", err ? "error" : "terminated with success");
	return NULL;
}

/* Starts a BGSAVE thread; P.lock held, P.busy IDLE.  0 or -errno. */
static int bgsave_start(void)
{
	pthread_attr_t a;
	pthread_t th;
	int fd = open_kcache(), err;

	if (fd < 0)
		return fd;
	P.bg_start = time(NULL);
	P.bg_changes = changes(fd);
	P.busy = BG;
	P.saves++;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&th, &a, bgsave_main, (void *)(long)fd);
	pthread_attr_destroy(&a);
	if (err) {
		log_err("BGSAVE: cannot start a thread: %s", strerror(-err));
		kc_close(fd);
		P.busy = IDLE;
		P.last_bg_ok = 0;
		return err;
	}
	log_info("Background saving started");
	return 0;
}

/* BGSAVE [SCHEDULE]: there is no AOF rewrite to wait for, so it starts. */
void cmd_bgsave(struct conn *c, struct arg *argv, size_t argc)
{
	int err;

	if (argc > 2 || (argc == 2 && !arg_eq(&argv[1], "schedule"))) {
		reply_err(c, "ERR syntax error");
		return;
	}
	pthread_mutex_lock(&P.lock);
	if (P.busy != IDLE) {
		pthread_mutex_unlock(&P.lock);
		reply_err(c, "ERR Background save already in progress");
		return;
	}
	err = bgsave_start();
	pthread_mutex_unlock(&P.lock);
	if (err)
		resp_error(rout(c), "ERR");
	else
		resp_simple(rout(c), "Background saving started");
}

void cmd_lastsave(struct conn *c, struct arg *argv, size_t argc)
{
	time_t t;

	(void)argv;
	(void)argc;
	pthread_mutex_lock(&P.lock);
	t = P.lastsave;
	pthread_mutex_unlock(&P.lock);
	resp_int(rout(c), (long long)t);
}

/* Waits for a running save.  P.lock held. */
static void wait_idle(void)
{
	while (P.busy != IDLE)
		pthread_cond_wait(&P.idle, &P.lock);
}

/*
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as redis-server 7.0: saves
 * when asked (SAVE, or --save-on-exit without NOSAVE), then stops the
 * proxy as SIGTERM does; the client gets no reply, its connection closes.
 * A failed save keeps the proxy running ("Errors trying to SHUTDOWN")
 * unless FORCE.  There is no shutdown to abort: kcache-proxy has no
 * replicas to wait for.
 */
void cmd_shutdown(struct conn *c, struct arg *argv, size_t argc)
{
	bool nosave = false, save = false, force = false, abort = false;
	size_t i;
	int err = 0;

	for (i = 1; i < argc; i++) {
		if (arg_eq(&argv[i], "nosave"))
			nosave = true;
		else if (arg_eq(&argv[i], "save"))
			save = true;
		else if (arg_eq(&argv[i], "now"))
			;
		else if (arg_eq(&argv[i], "force"))
			force = true;
		else if (arg_eq(&argv[i], "abort"))
			abort = true;
		else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if ((abort && argc > 2) || (nosave && save)) {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (abort) {
		reply_err(c, "ERR No shutdown in progress.");
		return;
	}
	if (!nosave && (save || cfg.save_on_exit)) {
		uint64_t base;

		pthread_mutex_lock(&P.lock);
		wait_idle();
		P.busy = FG;
		P.saves++;
		pthread_mutex_unlock(&P.lock);
		base = changes(c->w->eng.fd);
		err = save_once(c->w->eng.fd, "SHUTDOWN");
		pthread_mutex_lock(&P.lock);
		save_done(!err, base);
		P.busy = IDLE;
		pthread_cond_broadcast(&P.idle);
		pthread_mutex_unlock(&P.lock);
		if (err && !force) {
			log_warn("Error trying to save the DB, can't exit.");
			reply_err(c, "ERR Errors trying to SHUTDOWN. Check logs.");
			return;
		}
	}
	pthread_mutex_lock(&P.lock);
	P.exit_saved = !nosave && (save || cfg.save_on_exit);
	P.exit_nosave = nosave;
	P.shutting_down = 1;
	pthread_mutex_unlock(&P.lock);
	log_warn("User requested shutdown...");
	c->closing = true;
	kill(getpid(), SIGTERM);
}

void persist_info(struct buf *b, int kfd)
{
	uint64_t now_changes = changes(kfd);
	time_t now = time(NULL);

	pthread_mutex_lock(&P.lock);
	buf_printf(b, "# Persistence\r\nloading:0\r\nasync_loading:0\r\n"
		   "current_cow_peak:0\r\ncurrent_cow_size:0\r\n"
		   "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
		   "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
		   "rdb_changes_since_last_save:%llu\r\n"
		   "rdb_bgsave_in_progress:%d\r\nrdb_last_save_time:%lld\r\n"
		   "rdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n"
		   "rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%llu\r\n"
		   "rdb_last_cow_size:0\r\nrdb_last_load_keys_expired:%llu\r\n"
		   "rdb_last_load_keys_loaded:%llu\r\naof_enabled:0\r\n"
		   "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"
		   "aof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\n"
		   "aof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
		   "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\n"
		   "aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\n"
		   "module_fork_last_cow_size:0\r\n",
		   (unsigned long long)(now_changes > P.changes_base ?
					now_changes - P.changes_base : 0),
		   P.busy == BG, (long long)P.lastsave,
		   P.last_bg_ok ? "ok" : "err", P.last_bg_secs,
		   P.busy == BG ? (long long)(now - P.bg_start) : -1LL,
		   P.saves, P.load_expired, P.load_loaded);
	pthread_mutex_unlock(&P.lock);
}

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("loading %s: %s", P.path, msg);
}

int persist_start(void)
{
	struct kc_rdb_load_opts lo = { .warn = warn_cb };
	struct kc_stats st = { .size = sizeof(st) };
	struct kc_rdb_load_info li;
	struct timespec t0, t1;
	char msg[300], *d;
	struct stat sb;
	unsigned int t;
	int fd, err;

	d = realpath(cfg.dir ? cfg.dir : ".", NULL);
	if (!d || stat(d, &sb) || !S_ISDIR(sb.st_mode)) {
		log_err("Can't chdir to '%s': %s", cfg.dir ? cfg.dir : ".",
			d ? strerror(ENOTDIR) : strerror(errno));
		free(d);
		return -1;
	}
	P.dir = d;
	P.dbfilename = strdup(cfg.dbfilename ? cfg.dbfilename : "dump.rdb");
	if (!P.dbfilename || asprintf(&P.path, "%s/%s", P.dir, P.dbfilename) < 0)
		return -1;
	P.lastsave = time(NULL);
	fd = open_kcache();
	if (fd < 0)
		return -1;
	P.changes_base = changes(fd);
	if (access(P.path, F_OK)) {
		kc_close(fd);
		return 0;
	}
	err = kc_stats(fd, &st);
	if (!err && st.curr_items) {
		log_warn("%s not loaded: the cache already holds %llu keys (kcache keeps them across proxy restarts; kcache-cli restore loads a file over them)",
			 P.path, (unsigned long long)st.curr_items);
		kc_close(fd);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = kc_rdb_load_file(fd, P.path, &lo, &li, msg, sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (err) {
		log_err("Fatal error loading %s: %s%s; not starting (move the file away to start empty)",
			P.path, msg, err == -EBADMSG ? " (nothing loaded)" : "");
		kc_close(fd);
		return -1;
	}
	for (t = 0; t < 32; t++)
		if (li.st.skipped_by_type[t])
			log_warn("loading %s: skipped %llu key(s) of unsupported RDB type %u (%s)",
				 P.path, (unsigned long long)li.st.skipped_by_type[t],
				 t, kc_rdb_type_name(t));
	if (li.other_db)
		log_info("loading %s: %llu key(s) into databases other than 0",
			 P.path, (unsigned long long)li.other_db);
	log_info("Done loading RDB, keys loaded: %llu, keys expired: %llu.",
		 (unsigned long long)li.keys,
		 (unsigned long long)li.st.expired);
	log_info("DB loaded from disk: %.3f seconds",
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	P.load_loaded = li.keys;
	P.load_expired = li.st.expired;
	P.changes_base = changes(fd);
	kc_close(fd);
	return 0;
}

int persist_exit(void)
{
	bool want;
	uint64_t base;
	int fd, err;

	pthread_mutex_lock(&P.lock);
	if (P.busy == BG)
		log_info("waiting for the background save to finish");
	wait_idle();
	want = cfg.save_on_exit && !P.exit_saved && !P.exit_nosave;
	pthread_mutex_unlock(&P.lock);
	if (!want || !P.path)
		return 0;
	fd = open_kcache();
	if (fd < 0)
		return -1;
	log_info("Saving the final RDB snapshot before exiting.");
	base = changes(fd);
	err = save_once(fd, "exit");
	save_done(!err, base);
	kc_close(fd);
	return err ? -1 : 0;
}
