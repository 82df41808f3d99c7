/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-cli: the kcache cache from the command line, over the generic
 * netlink family "kcache" (uapi/linux/kcache.h).  Documentation/kcache-cli.rst
 * is its manual.
 *
 * Layout: main.c has the command table, the option parsing and help;
 * nl.c talks netlink (libnl-genl-3); out.c prints (human, --json, --raw);
 * data.c, admin.c and pubsub.c hold the command handlers.
 */
#ifndef KCACHE_CLI_H
#define KCACHE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <linux/kcache.h>

#define CLI_VERSION	"0.1"

/* Exit status (Documentation/kcache-cli.rst). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1,		/* a miss, or a false answer */
	EXIT_ERR = 2,		/* an error */
};

enum out_mode {
	OUT_HUMAN,
	OUT_JSON,
	OUT_RAW,
};

struct cmd;

struct cli {
	struct nl_sock *sk;
	int family;
	enum out_mode out;
	const struct cmd *cmd;
	uint32_t db;		/* -n DB: the database of data commands */
	bool has_db;		/* -n given: KC_A_DB is sent */
	char ext[512];		/* the kernel's extack message, "" if none */
	int miss_type;		/* a missing attribute the kernel named, or -1 */
	bool intr;		/* the last dump had NLM_F_DUMP_INTR */
};

/* A positional-argument and option parser's view of one command line. */
struct args {
	int argc;
	char **argv;		/* positional arguments only */
};

/* One option a command accepts: a flag (no value) or with a value. */
struct opt {
	const char *name;	/* "--nx" */
	uint32_t flag;		/* kc_op flag it sets, for flag options */
	const char *arg;	/* NULL: a flag; else the value's name */
};

typedef int (*cmd_fn)(struct cli *cli, const struct cmd *cmd,
		      struct args *a);

/*
 * Reply kinds of the generic data handler: how an op's reply (or a miss)
 * is printed and which exit status it gives.
 */
enum reply {
	RP_OK,		/* "OK" */
	RP_VALUE,	/* a value; a miss prints (nil), exits 1 */
	RP_STR,		/* a value, "" when there is none */
	RP_STR_OR_NIL,	/* a value or (nil), both success (SET --get) */
	RP_LINSERT,	/* KC_A_NUM; -1 (no pivot) exits 1 */
	RP_DONE,		/* 1, or 0 (exit 1) for a miss or a false condition */
	RP_INT,		/* KC_A_NUM */
	RP_BOOL,		/* KC_A_NUM 0 or 1; 0 exits 1 */
	RP_COUNT,	/* KC_A_NUM, a count; 0 exits 1 */
	RP_ELEMS,	/* a list of values (nil possible) */
	RP_PAIRS,	/* elements as field, value pairs */
	RP_BOOLS,	/* elements present or nil: 1 or 0 each */
	RP_POP,		/* a value, or elements with a count */
};

/*
 * struct cmd - one subcommand.  For data commands run by data_generic(),
 * spec says what the positional arguments are, in order:
 *	k  the key (KC_A_KEY)          v  a value (KC_A_VALUE)
 *	n  an integer (KC_A_NUM)       m  a second integer (KC_A_NUM2)
 *	a  one KC_A_ARG                *  every remaining argument as KC_A_ARG
 *	[  what follows is optional    2  remaining arguments come in pairs
 * and optflag is set in KC_A_FLAGS when the optional part is given.
 */
struct cmd {
	const char *name;
	cmd_fn fn;
	const char *usage;	/* arguments, for help */
	const char *summary;	/* one line */
	const char *help;	/* more, for "help CMD"; may be NULL */
	const struct opt *opts;	/* NULL-terminated; may be NULL */
	uint32_t opcode;
	uint32_t flags;		/* KC_A_FLAGS always sent */
	uint32_t optflag;
	const char *spec;
	enum reply reply;
	int64_t num;		/* KC_A_NUM when spec has no n (INCR: 1) */
	bool has_num;
};

extern const struct cmd cli_cmds[];
extern const size_t cli_ncmds;

/* main.c */
int usage_error(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int parse_s64(struct cli *cli, const char *what, const char *s, int64_t *v);
int parse_opts(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
	       struct args *a, uint32_t *flags, const char **vals);

/* nl.c */
int cli_connect(struct cli *cli);
void cli_disconnect(struct cli *cli);
struct nl_msg *cli_msg(struct cli *cli, uint8_t cmd, int flags);
typedef int (*reply_fn)(struct nlattr **tb, struct nlmsghdr *nlh, void *arg);
int cli_exec(struct cli *cli, struct nl_msg *msg, reply_fn fn, void *arg);
int cli_error(struct cli *cli, int err, const char *what);
int cli_group(struct cli *cli, const char *name);

/* out.c */
void out_bytes(struct cli *cli, const void *p, size_t len);
void out_json_string(const void *p, size_t len);
void out_value(struct cli *cli, const void *p, size_t len);
void out_nil(struct cli *cli);
void out_int(struct cli *cli, int64_t v);
void out_ok(struct cli *cli);
struct out_list {
	struct cli *cli;
	int n;
	bool pairs;
};
void out_list_start(struct out_list *l, struct cli *cli, bool pairs);
void out_list_item(struct out_list *l, const void *p, size_t len, bool nil);
void out_list_int(struct out_list *l, int64_t v);
void out_list_end(struct out_list *l);
struct out_table {
	int ncols;
	int nrows;
	int cap;
	char **cells;		/* nrows x ncols */
};
void table_add(struct out_table *t, int ncols, ...);
void table_print(struct out_table *t, FILE *f, const bool *right);
void table_free(struct out_table *t);

/* data.c, admin.c, pubsub.c: handlers */
int data_generic(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_set(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_multi(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_expire(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_ttl(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_type(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_linsert(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_scan(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_zadd(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_zscore(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_zrank(struct cli *cli, const struct cmd *cmd, struct args *a);
int data_zrange(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_keys(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_stats(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_instances(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_config(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_flush(struct cli *cli, const struct cmd *cmd, struct args *a);
int admin_version(struct cli *cli, const struct cmd *cmd, struct args *a);
int ps_publish(struct cli *cli, const struct cmd *cmd, struct args *a);
int ps_subscribe(struct cli *cli, const struct cmd *cmd, struct args *a);
int ps_monitor(struct cli *cli, const struct cmd *cmd, struct args *a);
int persist_save(struct cli *cli, const struct cmd *cmd, struct args *a);
int persist_restore(struct cli *cli, const struct cmd *cmd, struct args *a);
int cmd_help(struct cli *cli, const struct cmd *cmd, struct args *a);

const char *type_name(uint32_t type);
int type_parse(const char *s);

#endif /* KCACHE_CLI_H */
