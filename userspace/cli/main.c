// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-cli: one flat table of commands, as wg(8) has; "help" and
 * "help COMMAND" are generated from it.
 *
 *	kcache-cli [--json | --raw] [-n DB] COMMAND [ARGUMENTS] [OPTIONS]
 *
 * -n DB (--db DB), as redis-cli's: the database (0 .. KC_DB_COUNT - 1) of
 * the data commands, keys, scan, dbsize, move, monitor, and of flush,
 * which then empties that database alone.  Without it they work on
 * database 0 and flush empties every database.
 *
 * Exit status: 0 success, 1 a miss or a false answer (no such key, field
 * or element; a condition such as NX not met; EXISTS or SISMEMBER false),
 * 2 an error (usage, permission, the module, the kernel).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct opt set_opts[] = {
	{ "--nx", KC_SET_NX, NULL },
	{ "--xx", KC_SET_XX, NULL },
	{ "--get", KC_SET_GET, NULL },
	{ "--keepttl", KC_SET_KEEPTTL, NULL },
	{ "--ttl", 0, "SECONDS" },
	{ "--px", 0, "MILLISECONDS" },
	{ "--exat", 0, "UNIX-SECONDS" },
	{ "--pxat", 0, "UNIX-MILLISECONDS" },
	{ "--cas", 0, "VERSION" },
	{ "--flags", 0, "CLIENT-FLAGS" },
	{ NULL, 0, NULL }
};

static const struct opt expire_opts[] = {
	{ "--nx", KC_EXPIRE_NX, NULL },
	{ "--xx", KC_EXPIRE_XX, NULL },
	{ "--gt", KC_EXPIRE_GT, NULL },
	{ "--lt", KC_EXPIRE_LT, NULL },
	{ "--ms", KC_TTL_MS, NULL },
	{ "--at", KC_TTL_ABS, NULL },
	{ NULL, 0, NULL }
};

static const struct opt ms_opts[] = {
	{ "--ms", KC_TTL_MS, NULL },
	{ NULL, 0, NULL }
};

static const struct opt touch_opts[] = {
	{ "--ms", KC_TTL_MS, NULL },
	{ "--at", KC_TTL_ABS, NULL },
	{ NULL, 0, NULL }
};

static const struct opt nx_opts[] = {
	{ "--nx", KC_SET_NX, NULL },
	{ NULL, 0, NULL }
};

static const struct opt xx_opts[] = {
	{ "--xx", KC_SET_XX, NULL },
	{ NULL, 0, NULL }
};

static const struct opt keys_opts[] = {
	{ "--type", 0, "TYPE" },
	{ NULL, 0, NULL }
};

static const struct opt restore_opts[] = {
	{ .name = "--check", .flag = 1 },
	{ 0 }
};

static const struct opt scan_opts[] = {
	{ "--match", 0, "PATTERN" },
	{ "--count", 0, "N" },
	{ "--type", 0, "TYPE" },
	{ NULL, 0, NULL }
};

static const struct opt stats_opts[] = {
	{ "--class", 1, NULL },
	{ NULL, 0, NULL }
};

static const struct opt sub_opts[] = {
	{ "--count", 0, "N" },
	{ "--timeout", 0, "SECONDS" },
	{ "--rcvbuf", 0, "BYTES" },
	{ NULL, 0, NULL }
};

static const struct opt zadd_opts[] = {
	{ "--nx", KC_SET_NX, NULL },
	{ "--xx", KC_SET_XX, NULL },
	{ "--gt", KC_EXPIRE_GT, NULL },
	{ "--lt", KC_EXPIRE_LT, NULL },
	{ "--ch", KC_Z_CH, NULL },
	{ "--incr", KC_Z_INCR, NULL },
	{ NULL, 0, NULL }
};

static const struct opt zrank_opts[] = {
	{ "--rev", KC_Z_REV, NULL },
	{ NULL, 0, NULL }
};

/* data_zrange() reads --limit and --count as vals[5] and vals[6]. */
static const struct opt zrange_opts[] = {
	{ "--byscore", KC_Z_BYSCORE, NULL },
	{ "--bylex", KC_Z_BYLEX, NULL },
	{ "--rev", KC_Z_REV, NULL },
	{ "--withscores", KC_Z_WITHSCORES, NULL },
	{ "--count-only", KC_Z_COUNT, NULL },
	{ "--limit", 0, "OFFSET" },
	{ "--count", 0, "N" },
	{ NULL, 0, NULL }
};

static const struct opt zrem_opts[] = {
	{ "--byscore", KC_Z_BYSCORE, NULL },
	{ "--bylex", KC_Z_BYLEX, NULL },
	{ NULL, 0, NULL }
};

#define GROUP(title)	{ .name = NULL, .summary = title }

/* Data commands run by data_generic(): see struct cmd for spec. */
#define OP(n, u, s, opc, sp, r, ...)					\
	{ .name = n, .fn = data_generic, .usage = u, .summary = s,	\
	  .opcode = opc, .spec = sp, .reply = r, __VA_ARGS__ }

const struct cmd cli_cmds[] = {
	GROUP("Strings"),
	OP("get", "KEY", "the value of KEY", KC_OP_GET, "k", RP_VALUE),
	{ .name = "set", .fn = data_set, .usage = "KEY VALUE",
	  .summary = "store VALUE under KEY", .opts = set_opts,
	  .help = "--ttl, --px, --exat and --pxat give an expiry (relative in seconds or\n"
		  "milliseconds, or a unix time); --nx stores only a new key, --xx only\n"
		  "over an existing one, --cas only if the key's CAS version is VERSION;\n"
		  "--keepttl keeps the old expiry; --get prints the old value; --flags\n"
		  "sets memcached's client flags.  A condition not met prints (nil) and\n"
		  "exits 1." },
	OP("getdel", "KEY", "the value of KEY, which is deleted", KC_OP_GETDEL,
	   "k", RP_VALUE),
	OP("getrange", "KEY START END",
	   "bytes START..END (inclusive, <0 from the end)",
	   KC_OP_GETRANGE, "knm", RP_STR),
	OP("setrange", "KEY OFFSET VALUE",
	   "overwrite from OFFSET; prints the length",
	   KC_OP_SETRANGE, "knv", RP_INT),
	OP("strlen", "KEY", "the length of the value", KC_OP_STRLEN, "k",
	   RP_INT),
	OP("append", "KEY VALUE", "append VALUE (creating KEY); prints length",
	   KC_OP_APPEND, "kv", RP_INT, .flags = KC_APPEND_CREATE),
	OP("prepend", "KEY VALUE",
	   "prepend VALUE (creating KEY); prints length", KC_OP_PREPEND,
	   "kv", RP_INT, .flags = KC_APPEND_CREATE),
	OP("incr", "KEY", "add 1 to the integer value; prints it", KC_OP_INCRBY,
	   "k", RP_INT, .num = 1, .has_num = true),
	OP("decr", "KEY", "subtract 1; prints the result", KC_OP_DECRBY, "k",
	   RP_INT, .num = 1, .has_num = true),
	OP("incrby", "KEY DELTA", "add DELTA; prints the result", KC_OP_INCRBY,
	   "kn", RP_INT),
	OP("decrby", "KEY DELTA", "subtract DELTA; prints the result",
	   KC_OP_DECRBY, "kn", RP_INT),
	OP("getbit", "KEY OFFSET", "bit OFFSET (0: the top bit of byte 0)",
	   KC_OP_GETBIT, "kn", RP_INT),
	OP("setbit", "KEY OFFSET 0|1", "set a bit; prints its old value",
	   KC_OP_SETBIT, "knm", RP_INT),
	OP("mget", "KEY...", "the values of several keys", KC_OP_MGET, "*",
	   RP_ELEMS),
	OP("mset", "KEY VALUE [KEY VALUE...]",
	   "store keys (--nx: all, if none exists)",
	   KC_OP_MSET, "2", RP_OK, .opts = nx_opts),

	GROUP("Keys"),
	{ .name = "del", .fn = data_multi, .usage = "KEY...",
	  .summary = "delete keys; prints how many existed",
	  .opcode = KC_OP_DEL },
	{ .name = "exists", .fn = data_multi, .usage = "KEY...",
	  .summary = "how many of the keys exist", .opcode = KC_OP_EXISTS },
	{ .name = "expire", .fn = data_expire, .usage = "KEY SECONDS",
	  .summary = "set an expiry; prints 1, or 0 when not set",
	  .opts = expire_opts, .opcode = KC_OP_EXPIRE,
	  .help = "--ms: MILLISECONDS instead; --at: a unix time; --nx only without an\n"
		  "expiry, --xx only with one, --gt only later, --lt only sooner.  A time\n"
		  "not in the future deletes the key." },
	OP("persist", "KEY", "remove the expiry; prints 1, or 0", KC_OP_PERSIST,
	   "k", RP_DONE),
	OP("touch", "KEY SECONDS", "a new expiry, memcached's touch (0: none)",
	   KC_OP_TOUCH, "ke", RP_DONE, .opts = touch_opts),
	OP("setidle", "KEY SECONDS", "last accessed SECONDS ago; prints 1, or 0",
	   KC_OP_SETIDLE, "kn", RP_DONE,
	   .help = "As Redis's RESTORE ... IDLETIME: OBJECT IDLETIME (and memcached's\n"
		   "la) report it until the next access.  At most 2^30 seconds."),
	{ .name = "ttl", .fn = data_ttl, .usage = "KEY",
	  .summary = "seconds to live; -1: no expiry, -2: no key",
	  .opts = ms_opts, .opcode = KC_OP_TTL },
	{ .name = "type", .fn = data_type, .usage = "KEY",
	  .summary = "string, list, hash, set, zset or none",
	  .opcode = KC_OP_TYPE },
	OP("rename", "KEY NEWKEY", "rename a key (--nx: only to a new name)",
	   KC_OP_RENAME, "kv", RP_OK, .opts = nx_opts),
	{ .name = "keys", .fn = admin_keys, .usage = "[PATTERN]",
	  .summary = "the keys matching a glob (* ? [a-z] [^a] \\x)",
	  .opts = keys_opts,
	  .help = "--type string|list|hash|set|zset keeps the keys of that type.  The glob\n"
		  "matches the key's bytes.  The index is walked while the cache runs:\n"
		  "a dump interrupted by a resize is retried, and reported if it keeps\n"
		  "being interrupted." },
	{ .name = "scan", .fn = data_scan, .usage = "CURSOR",
	  .summary = "the next cursor and a batch of keys",
	  .opts = scan_opts,
	  .help = "Start with cursor 0 and pass the printed cursor back until it is 0.\n"
		  "A key present for the whole scan comes at least once.  --match is a\n"
		  "glob as for keys, --count a hint of the batch size, --type a type." },

	GROUP("Databases (-n DB picks one, as SELECT; default 0)"),
	OP("dbsize", "", "the number of keys in the database",
	   KC_OP_DBSIZE, "", RP_INT),
	OP("move", "KEY DB", "move KEY to database DB; prints 1, or 0",
	   KC_OP_MOVE, "kn", RP_DONE,
	   .help = "KEY keeps its value and expiry.  0 (exit 1) when KEY is missing or DB\n"
		   "already has a key of that name; DB must be another database."),
	OP("swapdb", "DB1 DB2", "swap the contents of two databases (needs root)",
	   KC_OP_SWAPDB, "nm", RP_OK,
	   .help = "At once for every client, as Redis's SWAPDB.  Needs CAP_SYS_ADMIN."),

	GROUP("Lists"),
	OP("lpush", "KEY ELEMENT...", "push at the head; prints the length",
	   KC_OP_LPUSH, "k*", RP_INT, .opts = xx_opts),
	OP("rpush", "KEY ELEMENT...", "push at the tail; prints the length",
	   KC_OP_RPUSH, "k*", RP_INT, .opts = xx_opts),
	OP("lpop", "KEY [COUNT]", "pop from the head (COUNT: a list)",
	   KC_OP_LPOP, "k[n", RP_POP, .optflag = KC_POP_COUNT),
	OP("rpop", "KEY [COUNT]", "pop from the tail (COUNT: a list)",
	   KC_OP_RPOP, "k[n", RP_POP, .optflag = KC_POP_COUNT),
	OP("lrange", "KEY START STOP", "elements START..STOP (inclusive)",
	   KC_OP_LRANGE, "knm", RP_ELEMS),
	OP("llen", "KEY", "the length of the list", KC_OP_LLEN, "k", RP_INT),
	OP("lindex", "KEY INDEX", "the element at INDEX", KC_OP_LINDEX, "kn",
	   RP_VALUE),
	OP("lset", "KEY INDEX ELEMENT", "replace the element at INDEX",
	   KC_OP_LSET, "knv", RP_OK),
	OP("lrem", "KEY COUNT ELEMENT",
	   "remove COUNT copies (<0: from the end, 0: all)",
	   KC_OP_LREM, "knv", RP_INT),
	OP("ltrim", "KEY START STOP", "keep only START..STOP", KC_OP_LTRIM,
	   "knm", RP_OK),
	OP("lmove", "SOURCE DESTINATION FROM TO",
	   "move an element (FROM, TO: 0 head, 1 tail); prints it",
	   KC_OP_LMOVE, "kanm", RP_VALUE),
	OP("lmpop", "COUNT END KEY...",
	   "pop up to COUNT from END (0 head, 1 tail) of the first list; prints the key, then them",
	   KC_OP_LMPOP, "nm*", RP_ELEMS),
	{ .name = "linsert", .fn = data_linsert,
	  .usage = "KEY before|after PIVOT ELEMENT",
	  .summary = "insert at PIVOT; prints the length or -1",
	  .opcode = KC_OP_LINSERT },

	GROUP("Hashes"),
	OP("hset", "KEY FIELD VALUE [FIELD VALUE...]",
	   "set fields (--nx: new only); prints # new",
	   KC_OP_HSET, "k2", RP_INT, .opts = nx_opts),
	OP("hget", "KEY FIELD", "the value of a field", KC_OP_HGET, "kv",
	   RP_VALUE),
	OP("hmget", "KEY FIELD...", "the values of several fields",
	   KC_OP_HMGET, "k*", RP_ELEMS),
	OP("hdel", "KEY FIELD...", "delete fields; prints how many existed",
	   KC_OP_HDEL, "k*", RP_COUNT),
	OP("hlen", "KEY", "the number of fields", KC_OP_HLEN, "k", RP_INT),
	OP("hexists", "KEY FIELD", "1 if the field exists, else 0",
	   KC_OP_HEXISTS, "kv", RP_BOOL),
	OP("hgetall", "KEY", "every field and value", KC_OP_HGETALL, "k",
	   RP_PAIRS),
	OP("hkeys", "KEY", "every field", KC_OP_HKEYS, "k", RP_ELEMS),
	OP("hvals", "KEY", "every value", KC_OP_HVALS, "k", RP_ELEMS),
	OP("hincrby", "KEY FIELD DELTA", "add DELTA to a field; prints it",
	   KC_OP_HINCRBY, "kvn", RP_INT),
	OP("hstrlen", "KEY FIELD", "the length of a field's value",
	   KC_OP_HSTRLEN, "kv", RP_INT),

	GROUP("Sets"),
	OP("sadd", "KEY MEMBER...", "add members; prints how many were new",
	   KC_OP_SADD, "k*", RP_INT),
	OP("srem", "KEY MEMBER...", "remove members; prints how many were there",
	   KC_OP_SREM, "k*", RP_COUNT),
	OP("smembers", "KEY", "every member", KC_OP_SMEMBERS, "k", RP_ELEMS),
	OP("sismember", "KEY MEMBER", "1 if MEMBER is in the set, else 0",
	   KC_OP_SISMEMBER, "kv", RP_BOOL),
	OP("smismember", "KEY MEMBER...", "1 or 0 for each member",
	   KC_OP_SMISMEMBER, "k*", RP_BOOLS),
	OP("scard", "KEY", "the number of members", KC_OP_SCARD, "k", RP_INT),
	OP("spop", "KEY [COUNT]", "remove and print random members",
	   KC_OP_SPOP, "k[n", RP_POP, .optflag = KC_POP_COUNT),
	OP("srandmember", "KEY [COUNT]",
	   "random members (negative COUNT: may repeat)", KC_OP_SRANDMEMBER,
	   "k[n", RP_POP, .optflag = KC_POP_COUNT),
	OP("smove", "SOURCE DESTINATION MEMBER",
	   "move a member; prints 1, or 0",
	   KC_OP_SMOVE, "kav", RP_BOOL),
	OP("sdiff", "KEY...", "members of the first set not in the others",
	   KC_OP_SDIFF, "*", RP_ELEMS),
	OP("sinter", "KEY...", "members in every set", KC_OP_SINTER, "*",
	   RP_ELEMS),
	OP("sunion", "KEY...", "members in any set", KC_OP_SUNION, "*",
	   RP_ELEMS),
	OP("sdiffstore", "DESTINATION KEY...",
	   "store an sdiff; prints its size", KC_OP_SDIFFSTORE, "k*", RP_INT),
	OP("sinterstore", "DESTINATION KEY...",
	   "store an sinter; prints its size", KC_OP_SINTERSTORE, "k*", RP_INT),
	OP("sunionstore", "DESTINATION KEY...",
	   "store an sunion; prints its size", KC_OP_SUNIONSTORE, "k*", RP_INT),

	GROUP("Sorted sets"),
	{ .name = "zadd", .fn = data_zadd, .usage = "KEY SCORE MEMBER...",
	  .summary = "add members or set scores; prints how many were new",
	  .opts = zadd_opts,
	  .help = "SCORE is a double (inf, -inf too).  --nx only adds, --xx only updates,\n"
		  "--gt/--lt only raise/lower a score, --ch counts changed scores too,\n"
		  "--incr adds SCORE to the member's score (one pair) and prints it." },
	OP("zrem", "KEY MEMBER...", "remove members; prints how many were there",
	   KC_OP_ZREM, "k*", RP_COUNT),
	OP("zcard", "KEY", "the number of members", KC_OP_ZCARD, "k", RP_INT),
	{ .name = "zscore", .fn = data_zscore, .usage = "KEY MEMBER...",
	  .summary = "the scores of members ((nil) if absent)" },
	{ .name = "zrank", .fn = data_zrank, .usage = "KEY MEMBER",
	  .summary = "the rank from the lowest score (--rev: highest)",
	  .opts = zrank_opts },
	{ .name = "zrange", .fn = data_zrange, .usage = "KEY MIN MAX",
	  .summary = "members by rank, --byscore or --bylex",
	  .opts = zrange_opts,
	  .help = "Ranks count from 0, negative from the end.  --byscore: MIN and MAX are\n"
		  "scores, '(' before one excludes it; --bylex: [m, (m, - or +.  --rev\n"
		  "walks from the highest, --withscores prints scores, --limit OFFSET\n"
		  "--count N take a part of a score or lex range, --count-only prints\n"
		  "how many members the range has." },
	{ .name = "zremrange", .fn = data_zrange, .usage = "KEY MIN MAX",
	  .summary = "remove a range of ranks (--byscore, --bylex)",
	  .opts = zrem_opts, .flags = KC_Z_REMOVE | KC_Z_COUNT },
	{ .name = "zpopmin", .fn = data_zrange, .usage = "KEY [COUNT]",
	  .summary = "remove and print the lowest members with scores",
	  .flags = KC_Z_REMOVE | KC_Z_WITHSCORES },
	{ .name = "zpopmax", .fn = data_zrange, .usage = "KEY [COUNT]",
	  .summary = "remove and print the highest members with scores",
	  .flags = KC_Z_REMOVE | KC_Z_WITHSCORES | KC_Z_REV },
	OP("zunion", "KEY...", "members of any sorted set (or set), by score sum",
	   KC_OP_ZUNION, "*", RP_ELEMS),
	OP("zinter", "KEY...", "members of every one, by score sum",
	   KC_OP_ZINTER, "*", RP_ELEMS),
	OP("zdiff", "KEY...", "members of the first not in the others",
	   KC_OP_ZDIFF, "*", RP_ELEMS),
	OP("zunionstore", "DESTINATION KEY...",
	   "store a zunion (scores summed); prints its size",
	   KC_OP_ZUNIONSTORE, "k*", RP_INT),
	OP("zinterstore", "DESTINATION KEY...",
	   "store a zinter (scores summed); prints its size",
	   KC_OP_ZINTERSTORE, "k*", RP_INT),
	OP("zdiffstore", "DESTINATION KEY...",
	   "store a zdiff; prints its size", KC_OP_ZDIFFSTORE, "k*", RP_INT),
	OP("zrandmember", "KEY [COUNT]",
	   "random members (negative COUNT: may repeat)", KC_OP_ZRANDMEMBER,
	   "k[n", RP_POP, .optflag = KC_POP_COUNT),

	GROUP("Pub/sub and events"),
	{ .name = "publish", .fn = ps_publish, .usage = "CHANNEL MESSAGE",
	  .summary = "send MESSAGE to the subscribers of CHANNEL" },
	{ .name = "subscribe", .fn = ps_subscribe,
	  .usage = "CHANNEL|PATTERN...",
	  .summary = "print the messages of channels until Ctrl-C",
	  .opts = sub_opts,
	  .help = "Channels are names or globs (fnmatch(3)).  --count N stops after N\n"
		  "messages, --timeout S after S seconds (exit 1 if fewer came).  A\n"
		  "subscriber that falls more than --rcvbuf BYTES behind loses messages:\n"
		  "each loss is reported on stderr and the exit status is then 2.\n"
		  "Needs CAP_NET_ADMIN." },
	{ .name = "monitor", .fn = ps_monitor, .usage = "[KEY-PATTERN]",
	  .summary = "print keyspace events until Ctrl-C",
	  .opts = sub_opts,
	  .help = "One line per event: '[DB] EVENT KEY', DB '*' for a flush of every\n"
		  "database (--json: event, db and key; null for none).  With -n DB only\n"
		  "the events of that database and flushes of all.  Events are sent only\n"
		  "while 'config set notify 1' is in effect.  --count, --timeout and\n"
		  "--rcvbuf work as for subscribe.  Needs CAP_NET_ADMIN." },

	GROUP("Server"),
	{ .name = "stats", .fn = admin_stats, .usage = "[--class [ID]]",
	  .summary = "counters (--class: per slab class)",
	  .opts = stats_opts },
	{ .name = "instances", .fn = admin_instances, .usage = "",
	  .summary = "every network namespace's cache (initial namespace)",
	  .help = "One row per cache instance: the inode number of its network namespace\n"
		  "(as 'ls -L -i /proc/PID/ns/net' or lsns shows it), items, bytes used,\n"
		  "limit, evictions and age.  Only from the initial network namespace,\n"
		  "with CAP_NET_ADMIN." },
	{ .name = "config", .fn = admin_config,
	  .usage = "get [NAME] | set NAME VALUE [NAME VALUE...]",
	  .summary = "read or change the runtime configuration",
	  .help = "NAME: memory_limit_mb, notify (keyspace events, 0 or 1), automove\n"
		  "(0 or 1), item_size_max (1024..536870912 bytes), noevict (1: never\n"
		  "evict a live key, stores fail at the limit); chunk_min and\n"
		  "growth_factor_pct are read-only.\n"
		  "set needs CAP_NET_ADMIN and CAP_SYS_ADMIN." },
	{ .name = "save", .fn = persist_save, .usage = "FILE",
	  .summary = "write every key to an RDB file (Redis 7.0 format)",
	  .help = "Walks the cache through /dev/kcache, every database (-n does not\n"
		  "apply); each key is read atomically, the snapshot as a whole is not\n"
		  "point-in-time.  The file is written to FILE.tmp.PID, fsynced and\n"
		  "renamed.  Documentation/persistence.rst." },
	{ .name = "restore", .fn = persist_restore, .usage = "FILE",
	  .summary = "load an RDB file (kcache's or redis-server 7.0's)",
	  .opts = restore_opts,
	  .help = "The whole file is validated first; a corrupt file, or one with a\n"
		  "database past 15, loads nothing.  Each key goes to the database the\n"
		  "file names (-n does not apply).  Keys already expired are dropped;\n"
		  "streams and module values are skipped and counted.  --check only\n"
		  "validates." },
	{ .name = "flush", .fn = admin_flush, .usage = "",
	  .summary = "delete every key, or with -n DB those of DB (needs root)" },
	{ .name = "version", .fn = admin_version, .usage = "",
	  .summary = "versions and limits of the module" },
	{ .name = "help", .fn = cmd_help, .usage = "[COMMAND]",
	  .summary = "this list, or the details of a command" },
};

const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

int usage_error(struct cli *cli, const char *fmt, ...)
{
	const struct cmd *c = cli->cmd;
	va_list ap;

	fprintf(stderr, "kcache-cli: %s%s", c ? c->name : "", c ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		fprintf(stderr, "usage: kcache-cli %s %s\n", c->name, c->usage);
	else
		fprintf(stderr, "usage: kcache-cli [--json | --raw] [-n DB] COMMAND [ARGS]; see 'kcache-cli help'\n");
	return EXIT_ERR;
}

/* A base-10 signed 64-bit integer, all of s. */
int parse_s64(struct cli *cli, const char *what, const char *s, int64_t *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *end || errno) {
		usage_error(cli, "%s must be an integer, not '%s'", what, s);
		return -EINVAL;
	}
	*v = n;
	return 0;
}

/*
 * Splits a command's arguments into options (of cmd->opts: flags ORed
 * into *flags, values into vals[index of the option]) and positional
 * arguments.  "--" ends the options.  Returns 0 or an exit status.
 */
int parse_opts(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
	       struct args *a, uint32_t *flags, const char **vals)
{
	bool opts_done = false;
	int i, j;

	a->argc = 0;
	a->argv = argv;
	*flags = 0;
	for (i = 0; i < argc; i++) {
		char *s = argv[i];
		const struct opt *o = NULL;

		if (opts_done || strncmp(s, "--", 2) || !s[2]) {
			if (!opts_done && !strcmp(s, "--")) {
				opts_done = true;
				continue;
			}
			a->argv[a->argc++] = s;
			continue;
		}
		for (j = 0; cmd->opts && cmd->opts[j].name; j++) {
			size_t n = strlen(cmd->opts[j].name);

			if (!strncmp(s, cmd->opts[j].name, n) &&
			    (!s[n] || (s[n] == '=' && cmd->opts[j].arg))) {
				o = &cmd->opts[j];
				break;
			}
		}
		if (!o)
			return usage_error(cli, "unknown option '%s'", s);
		if (!o->arg) {
			*flags |= o->flag;
			continue;
		}
		if (strchr(s, '='))
			vals[j] = strchr(s, '=') + 1;
		else if (i + 1 < argc)
			vals[j] = argv[++i];
		else
			return usage_error(cli, "%s needs a value (%s)", o->name,
					   o->arg);
	}
	return 0;
}

/*
 * The global option at argv[i], if it is one: 0 when not, else how many
 * arguments it took (-n and --db take the next one), or -EINVAL after
 * saying what is wrong.
 */
static int global_opt(struct cli *cli, int argc, char **argv, int i)
{
	const char *v = NULL;
	int64_t db;
	int used = 1;

	if (!strcmp(argv[i], "--json")) {
		cli->out = OUT_JSON;
		return 1;
	}
	if (!strcmp(argv[i], "--raw")) {
		cli->out = OUT_RAW;
		return 1;
	}
	if (!strncmp(argv[i], "--db=", 5)) {
		v = argv[i] + 5;
	} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--db")) {
		if (i + 1 == argc) {
			usage_error(cli, "%s needs a database (0 to %d)",
				    argv[i], KC_DB_COUNT - 1);
			return -EINVAL;
		}
		v = argv[i + 1];
		used = 2;
	} else {
		return 0;
	}
	if (parse_s64(cli, "the database", v, &db))
		return -EINVAL;
	if (db < 0 || db >= KC_DB_COUNT) {
		usage_error(cli, "no database %s: kcache has 0 to %d", v,
			    KC_DB_COUNT - 1);
		return -EINVAL;
	}
	cli->db = (uint32_t)db;
	cli->has_db = true;
	return used;
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < cli_ncmds; i++)
		if (cli_cmds[i].name && !strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

static void help_all(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: kcache-cli [--json | --raw] [-n DB] COMMAND [ARGS] [OPTIONS]\n"
		"\n"
		"The kcache in-kernel cache over generic netlink.  Output is for people;\n"
		"--json prints JSON, --raw the bytes of values unquoted.  -n DB (--db DB)\n"
		"picks the database (0 to %d, default 0) of the data commands, keys, scan,\n"
		"dbsize, move, monitor and flush.\n", KC_DB_COUNT - 1);
	for (i = 0; i < cli_ncmds; i++) {
		const struct cmd *c = &cli_cmds[i];
		char left[64];

		if (!c->name) {
			fprintf(f, "\n%s:\n", c->summary);
			continue;
		}
		snprintf(left, sizeof(left), "%s %s", c->name, c->usage);
		if (strlen(left) > 30)
			fprintf(f, "  %s\n  %-30s  %s\n", left, "", c->summary);
		else
			fprintf(f, "  %-30s  %s\n", left, c->summary);
	}
	fprintf(f,
		"\n'kcache-cli help COMMAND' tells more.  Exit status: 0 success, 1 a miss\n"
		"or a false answer, 2 an error.\n");
}

static void help_one(const struct cmd *c)
{
	int i;

	printf("usage: kcache-cli %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (c->help)
		printf("\n%s\n", c->help);
	if (c->opts && c->opts[0].name) {
		printf("\noptions:\n");
		for (i = 0; c->opts[i].name; i++)
			printf("  %s%s%s\n", c->opts[i].name,
			       c->opts[i].arg ? " " : "",
			       c->opts[i].arg ? c->opts[i].arg : "");
	}
}

int cmd_help(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const struct cmd *c;

	(void)cmd;
	if (!a->argc) {
		help_all(stdout);
		return EXIT_OK;
	}
	c = find_cmd(a->argv[0]);
	if (!c)
		return usage_error(cli, "no command '%s'", a->argv[0]);
	help_one(c);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli = { .out = OUT_HUMAN, .miss_type = -1 };
	const struct cmd *cmd;
	struct args a = { 0 };
	char **rest;
	int i, n = 0, ret, used;
	bool dashdash = false;

	/* Global options may come anywhere before "--". */
	rest = calloc(argc + 1, sizeof(*rest));
	if (!rest)
		return EXIT_ERR;
	for (i = 1; i < argc; i++) {
		used = dashdash ? 0 : global_opt(&cli, argc, argv, i);
		if (used < 0) {
			free(rest);
			return EXIT_ERR;
		}
		if (used) {
			i += used - 1;
		} else if (!dashdash && (!strcmp(argv[i], "-h") ||
				       !strcmp(argv[i], "--help"))) {
			rest[n++] = "help";
		} else {
			if (!strcmp(argv[i], "--"))
				dashdash = true;
			rest[n++] = argv[i];
		}
	}
	if (!n) {
		help_all(stderr);
		free(rest);
		return EXIT_ERR;
	}
	cmd = find_cmd(rest[0]);
	if (!cmd) {
		ret = usage_error(&cli, "no command '%s'", rest[0]);
		free(rest);
		return ret;
	}
	cli.cmd = cmd;
	if (cmd->fn == cmd_help) {
		a.argc = n - 1;
		a.argv = rest + 1;
		ret = cmd_help(&cli, cmd, &a);
		free(rest);
		return ret;
	}
	/* save and restore use /dev/kcache, not netlink */
	if (cmd->fn != persist_save && cmd->fn != persist_restore &&
	    cli_connect(&cli)) {
		free(rest);
		return EXIT_ERR;
	}
	a.argc = n - 1;
	a.argv = rest + 1;
	ret = cmd->fn(&cli, cmd, &a);
	fflush(stdout);
	cli_disconnect(&cli);
	free(rest);
	return ret;
}
