// SPDX-License-Identifier: GPL-2.0
/* Commands about the cache as a whole: keys, stats, config, flush, version. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "cli.h"

struct name {
	int attr;
	const char *name;
	bool u32;
};

/* The names are the fields of struct kc_stats and struct kc_class_stats. */
static const struct name stats_names[] = {
	{ KC_STATS_A_NR_CLASSES, "nr_classes", true },
	{ KC_STATS_A_LIMIT_BYTES, "limit_bytes", false },
	{ KC_STATS_A_USED_BYTES, "used_bytes", false },
	{ KC_STATS_A_SLAB_PAGES, "slab_pages", false },
	{ KC_STATS_A_LARGE_BYTES, "large_bytes", false },
	{ KC_STATS_A_CURR_ITEMS, "curr_items", false },
	{ KC_STATS_A_TOTAL_ITEMS, "total_items", false },
	{ KC_STATS_A_BYTES, "bytes", false },
	{ KC_STATS_A_GET_HITS, "get_hits", false },
	{ KC_STATS_A_GET_MISSES, "get_misses", false },
	{ KC_STATS_A_GET_EXPIRED, "get_expired", false },
	{ KC_STATS_A_CMD_GET, "cmd_get", false },
	{ KC_STATS_A_CMD_SET, "cmd_set", false },
	{ KC_STATS_A_CMD_TOUCH, "cmd_touch", false },
	{ KC_STATS_A_DELETE_HITS, "delete_hits", false },
	{ KC_STATS_A_DELETE_MISSES, "delete_misses", false },
	{ KC_STATS_A_INCR_HITS, "incr_hits", false },
	{ KC_STATS_A_INCR_MISSES, "incr_misses", false },
	{ KC_STATS_A_CAS_HITS, "cas_hits", false },
	{ KC_STATS_A_CAS_BADVAL, "cas_badval", false },
	{ KC_STATS_A_CAS_MISSES, "cas_misses", false },
	{ KC_STATS_A_EVICTIONS, "evictions", false },
	{ KC_STATS_A_EXPIRED_UNFETCHED, "expired_unfetched", false },
	{ KC_STATS_A_EVICTED_UNFETCHED, "evicted_unfetched", false },
	{ KC_STATS_A_RECLAIMED, "reclaimed", false },
	{ KC_STATS_A_CRAWLER_RECLAIMED, "crawler_reclaimed", false },
	{ KC_STATS_A_OUTOFMEMORY, "outofmemory", false },
	{ KC_STATS_A_SLABS_MOVED, "slabs_moved", false },
	{ KC_STATS_A_SHRINKER_FREED, "shrinker_freed", false },
	{ KC_STATS_A_HASH_ITEMS, "hash_items", false },
	{ KC_STATS_A_UPTIME_MS, "uptime_ms", false },
	{ KC_STATS_A_CAS_COUNTER, "cas_counter", false },
	{ 0, NULL, false }
};

static const struct name class_names[] = {
	{ KC_CLASS_A_ID, "id", true },
	{ KC_CLASS_A_CHUNK_SIZE, "chunk_size", true },
	{ KC_CLASS_A_CHUNKS_PER_PAGE, "chunks_per_page", true },
	{ KC_CLASS_A_PAGES, "pages", false },
	{ KC_CLASS_A_USED_CHUNKS, "used_chunks", false },
	{ KC_CLASS_A_FREE_CHUNKS, "free_chunks", false },
	{ KC_CLASS_A_ITEMS, "items", false },
	{ KC_CLASS_A_HOT, "hot", false },
	{ KC_CLASS_A_WARM, "warm", false },
	{ KC_CLASS_A_COLD, "cold", false },
	{ KC_CLASS_A_EVICTIONS, "evictions", false },
	{ KC_CLASS_A_RECLAIMED, "reclaimed", false },
	{ KC_CLASS_A_OUTOFMEMORY, "outofmemory", false },
	{ KC_CLASS_A_MEM_REQUESTED, "mem_requested", false },
	{ 0, NULL, false }
};

/* Short column titles of the class table, in class_names order. */
static const char *const class_titles[] = {
	"class", "chunk", "per_page", "pages", "used", "free", "items",
	"hot", "warm", "cold", "evicted", "reclaimed", "oom", "requested",
};

static const struct name config_names[] = {
	{ KC_A_MEMORY_LIMIT_MB, "memory_limit_mb", false },
	{ KC_A_NOTIFY, "notify", true },
	{ KC_A_AUTOMOVE, "automove", true },
	{ KC_A_ITEM_SIZE_MAX, "item_size_max", true },
	{ KC_A_CHUNK_MIN, "chunk_min", true },
	{ KC_A_GROWTH_FACTOR_PCT, "growth_factor_pct", true },
	{ KC_A_NOEVICT, "noevict", true },
	{ 0, NULL, false }
};

static int nested(struct nlattr *a, struct nlattr **tb, int max)
{
	return a ? nla_parse_nested(tb, max, a, NULL) : -EBADMSG;
}

static void num_str(char *buf, size_t size, const struct name *n,
		    struct nlattr *a)
{
	if (!a)
		snprintf(buf, size, "-");
	else if (n->u32)
		snprintf(buf, size, "%" PRIu32, nla_get_u32(a));
	else
		snprintf(buf, size, "%" PRIu64, nla_get_u64(a));
}

/* name value lines (aligned), or one JSON object. */
static void print_names(struct cli *cli, const struct name *names,
			struct nlattr **tb)
{
	struct out_table t = { 0 };
	static const bool right[] = { false, true };
	char buf[32];
	int i;

	if (cli->out == OUT_JSON)
		putchar('{');
	for (i = 0; names[i].name; i++) {
		num_str(buf, sizeof(buf), &names[i], tb[names[i].attr]);
		if (cli->out == OUT_JSON)
			printf("%s\"%s\": %s", i ? ", " : "", names[i].name,
			       tb[names[i].attr] ? buf : "null");
		else
			table_add(&t, 2, names[i].name, buf);
	}
	if (cli->out == OUT_JSON) {
		puts("}");
		return;
	}
	table_print(&t, stdout, right);
	table_free(&t);
}

/* keys [PATTERN] [--type T] */

struct keyrec {
	char *key;
	size_t len;
};

struct keylist {
	struct keyrec *v;
	size_t n, cap;
};

static int keys_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct keylist *l = arg;
	struct keyrec *r;

	(void)nlh;
	if (!tb[KC_A_KEY])
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct keyrec *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	r = &l->v[l->n];
	r->len = nla_len(tb[KC_A_KEY]);
	r->key = malloc(r->len + 1);
	if (!r->key)
		return -ENOMEM;
	memcpy(r->key, nla_data(tb[KC_A_KEY]), r->len);
	l->n++;
	return 0;
}

static void keylist_free(struct keylist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int keycmp(const void *a, const void *b)
{
	const struct keyrec *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

#define KEYS_TRIES	3

int admin_keys(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct keylist l = { 0 };
	const char *vals[1] = { NULL };
	struct out_list ol;
	uint32_t flags;
	int ret, type = 0, tries, err = 0;
	size_t i;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc > 1)
		return usage_error(cli, "one PATTERN at most (quote it for the shell)");
	if (vals[0]) {
		type = type_parse(vals[0]);
		if (type < 0)
			return usage_error(cli, "--type: string, list, hash or set, not '%s'",
					   vals[0]);
	}
	for (tries = 0; tries < KEYS_TRIES; tries++) {
		struct nl_msg *msg = cli_msg(cli, KC_CMD_KEYS, NLM_F_DUMP);

		if (msg && a->argc &&
		    nla_put(msg, KC_A_PATTERN, strlen(a->argv[0]), a->argv[0])) {
			nlmsg_free(msg);
			return cli_error(cli, -EMSGSIZE, "pattern too long");
		}
		if (msg && type && nla_put_u32(msg, KC_A_TYPE, type)) {
			nlmsg_free(msg);
			msg = NULL;
		}
		keylist_free(&l);
		err = cli_exec(cli, msg, keys_cb, &l);
		if (err || !cli->intr)
			break;
	}
	if (err) {
		keylist_free(&l);
		return cli_error(cli, err, NULL);
	}
	if (cli->intr)
		fprintf(stderr,
			"kcache-cli: keys: the index was resized during each of %d dumps: keys may be missing or repeated\n",
			KEYS_TRIES);
	qsort(l.v, l.n, sizeof(*l.v), keycmp);
	out_list_start(&ol, cli, false);
	for (i = 0; i < l.n; i++)
		out_list_item(&ol, l.v[i].key, l.v[i].len, false);
	out_list_end(&ol);
	keylist_free(&l);
	return EXIT_OK;
}

/* stats [--class [ID]] */

static int stats_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct cli *cli = arg;
	struct nlattr *st[KC_STATS_A_MAX + 1], *ct[KC_CLASS_A_MAX + 1];

	(void)nlh;
	if (tb[KC_A_STATS]) {
		if (nested(tb[KC_A_STATS], st, KC_STATS_A_MAX))
			return -EBADMSG;
		print_names(cli, stats_names, st);
	} else if (tb[KC_A_CLASS]) {
		if (nested(tb[KC_A_CLASS], ct, KC_CLASS_A_MAX))
			return -EBADMSG;
		print_names(cli, class_names, ct);
	}
	return 0;
}

struct class_table {
	struct cli *cli;
	struct out_table t;
	int n;
};

static int class_row_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct class_table *ct = arg;
	struct nlattr *c[KC_CLASS_A_MAX + 1];
	char cells[14][32];
	int i;

	(void)nlh;
	if (nested(tb[KC_A_CLASS], c, KC_CLASS_A_MAX))
		return -EBADMSG;
	if (ct->cli->out == OUT_JSON) {
		fputs(ct->n++ ? ", " : "[", stdout);
		print_names(ct->cli, class_names, c);
		return 0;
	}
	for (i = 0; class_names[i].name && i < 14; i++)
		num_str(cells[i], sizeof(cells[i]), &class_names[i],
			c[class_names[i].attr]);
	table_add(&ct->t, 14, cells[0], cells[1], cells[2], cells[3],
		  cells[4], cells[5], cells[6], cells[7], cells[8], cells[9],
		  cells[10], cells[11], cells[12], cells[13]);
	ct->n++;
	return 0;
}

int admin_stats(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	static const bool right[14] = {
		true, true, true, true, true, true, true, true, true, true,
		true, true, true, true,
	};
	struct class_table ct = { .cli = cli };
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int64_t id;
	int ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc > (flags ? 1 : 0))
		return usage_error(cli, "too many arguments");
	if (!flags || a->argc) {
		msg = cli_msg(cli, KC_CMD_STATS, 0);
		if (a->argc) {
			if (parse_s64(cli, "the class", a->argv[0], &id)) {
				nlmsg_free(msg);
				return EXIT_ERR;
			}
			if (id < 0 || id > UINT32_MAX) {
				nlmsg_free(msg);
				return usage_error(cli, "no class %s", a->argv[0]);
			}
			if (msg && nla_put_u32(msg, KC_A_CLASS_ID, (uint32_t)id)) {
				nlmsg_free(msg);
				msg = NULL;
			}
		}
		err = cli_exec(cli, msg, stats_cb, cli);
		return err ? cli_error(cli, err, NULL) : EXIT_OK;
	}
	/* Every class, one row each: a dump. */
	table_add(&ct.t, 14, class_titles[0], class_titles[1], class_titles[2],
		  class_titles[3], class_titles[4], class_titles[5],
		  class_titles[6], class_titles[7], class_titles[8],
		  class_titles[9], class_titles[10], class_titles[11],
		  class_titles[12], class_titles[13]);
	err = cli_exec(cli, cli_msg(cli, KC_CMD_STATS, NLM_F_DUMP),
		       class_row_cb, &ct);
	if (cli->out == OUT_JSON && !err)
		puts(ct.n ? "]" : "[]");
	else if (!err)
		table_print(&ct.t, stdout, right);
	table_free(&ct.t);
	return err ? cli_error(cli, err, NULL) : EXIT_OK;
}

/* instances: every namespace's cache (initial namespace, CAP_NET_ADMIN) */

/* The columns of the instances table: the namespace, then these. */
static const struct name inst_names[] = {
	{ KC_STATS_A_CURR_ITEMS, "curr_items", false },
	{ KC_STATS_A_USED_BYTES, "used_bytes", false },
	{ KC_STATS_A_LIMIT_BYTES, "limit_bytes", false },
	{ KC_STATS_A_EVICTIONS, "evictions", false },
	{ KC_STATS_A_UPTIME_MS, "uptime_ms", false },
	{ 0, NULL, false }
};

#define INST_COLS	6
#define INST_TRIES	3

struct inst_table {
	struct cli *cli;
	struct out_table t;
	int n;
};

static int inst_row_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct inst_table *it = arg;
	struct nlattr *st[KC_STATS_A_MAX + 1];
	char cells[INST_COLS][32];
	int i;

	(void)nlh;
	if (!tb[KC_A_NETNS_INO] || nested(tb[KC_A_STATS], st, KC_STATS_A_MAX))
		return -EBADMSG;
	snprintf(cells[0], sizeof(cells[0]), "%" PRIu32,
		 nla_get_u32(tb[KC_A_NETNS_INO]));
	for (i = 1; i < INST_COLS; i++)
		num_str(cells[i], sizeof(cells[i]), &inst_names[i - 1],
			st[inst_names[i - 1].attr]);
	if (it->cli->out == OUT_JSON) {
		printf("%s{\"netns\": %s", it->n ? ", " : "[", cells[0]);
		for (i = 1; i < INST_COLS; i++)
			printf(", \"%s\": %s", inst_names[i - 1].name,
			       st[inst_names[i - 1].attr] ? cells[i] : "null");
		putchar('}');
	} else {
		table_add(&it->t, INST_COLS, cells[0], cells[1], cells[2],
			  cells[3], cells[4], cells[5]);
	}
	it->n++;
	return 0;
}

int admin_instances(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	static const bool right[INST_COLS] = {
		true, true, true, true, true, true,
	};
	struct inst_table it = { .cli = cli };
	int ret, tries, err = 0;
	uint32_t flags;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, NULL);
	if (ret)
		return ret;
	if (a->argc)
		return usage_error(cli, "no arguments");
	for (tries = 0; tries < INST_TRIES; tries++) {
		/* JSON rows go out as they come: no second try there. */
		if (tries && cli->out == OUT_JSON)
			break;
		table_free(&it.t);
		it.n = 0;
		table_add(&it.t, INST_COLS, "netns", "items", "used", "limit",
			  "evicted", "uptime_ms");
		err = cli_exec(cli, cli_msg(cli, KC_CMD_INSTANCES, NLM_F_DUMP),
			       inst_row_cb, &it);
		if (err || !cli->intr)
			break;
	}
	if (cli->out == OUT_JSON && !err)
		puts(it.n ? "]" : "[]");
	else if (!err)
		table_print(&it.t, stdout, right);
	table_free(&it.t);
	if (!err && cli->intr)
		fprintf(stderr,
			"kcache-cli: instances: a namespace came or went during the listing: it may be missing\n");
	return err ? cli_error(cli, err, NULL) : EXIT_OK;
}

/* config get [NAME] | config set NAME VALUE... */

struct config_ctx {
	struct cli *cli;
	const struct name *only;
};

static int config_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct config_ctx *c = arg;
	char buf[32];

	(void)nlh;
	if (!c->only) {
		print_names(c->cli, config_names, tb);
		return 0;
	}
	num_str(buf, sizeof(buf), c->only, tb[c->only->attr]);
	puts(buf);
	return 0;
}

static const struct name *config_name(const char *s)
{
	int i;

	for (i = 0; config_names[i].name; i++)
		if (!strcmp(s, config_names[i].name))
			return &config_names[i];
	return NULL;
}

int admin_config(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct config_ctx c = { .cli = cli };
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int ret, i, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc >= 1 && !strcmp(a->argv[0], "get")) {
		if (a->argc > 2)
			return usage_error(cli, "config get takes one NAME at most");
		if (a->argc == 2) {
			c.only = config_name(a->argv[1]);
			if (!c.only)
				return usage_error(cli, "no setting '%s'", a->argv[1]);
		}
		err = cli_exec(cli, cli_msg(cli, KC_CMD_CONFIG_GET, 0),
			       config_cb, &c);
		return err ? cli_error(cli, err, NULL) : EXIT_OK;
	}
	if (a->argc < 3 || strcmp(a->argv[0], "set") || !(a->argc % 2))
		return usage_error(cli, "say 'get [NAME]' or 'set NAME VALUE...'");
	msg = cli_msg(cli, KC_CMD_CONFIG_SET, 0);
	if (!msg)
		return cli_error(cli, -ENOMEM, NULL);
	for (i = 1; i < a->argc; i += 2) {
		const struct name *n = config_name(a->argv[i]);
		int64_t v;

		if (!n || n->attr == KC_A_CHUNK_MIN ||
		    n->attr == KC_A_GROWTH_FACTOR_PCT) {
			nlmsg_free(msg);
			return usage_error(cli, n ? "'%s' is read-only (a module parameter)" :
					   "no setting '%s'", a->argv[i]);
		}
		if (parse_s64(cli, n->name, a->argv[i + 1], &v)) {
			nlmsg_free(msg);
			return EXIT_ERR;
		}
		if (v < 0 || (n->u32 && v > UINT32_MAX)) {
			nlmsg_free(msg);
			return usage_error(cli, "%s: %s is out of range", n->name,
					   a->argv[i + 1]);
		}
		err = n->u32 ? nla_put_u32(msg, n->attr, (uint32_t)v) :
			       nla_put_u64(msg, n->attr, (uint64_t)v);
		if (err) {
			nlmsg_free(msg);
			return cli_error(cli, -EMSGSIZE, NULL);
		}
	}
	err = cli_exec(cli, msg, NULL, NULL);
	if (err)
		return cli_error(cli, err, NULL);
	out_ok(cli);
	return EXIT_OK;
}

/* flush: every database; -n DB flush: that one (KC_FLUSH_DB). */
int admin_flush(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc)
		return usage_error(cli, "takes no arguments (-n DB flushes one database)");
	msg = cli_msg(cli, KC_CMD_FLUSH, 0);
	if (msg && cli->has_db &&
	    (nla_put_u32(msg, KC_A_FLAGS, KC_FLUSH_DB) ||
	     nla_put_u32(msg, KC_A_DB, cli->db))) {
		nlmsg_free(msg);
		msg = NULL;
	}
	err = cli_exec(cli, msg, NULL, NULL);
	if (err)
		return cli_error(cli, err, NULL);
	out_ok(cli);
	return EXIT_OK;
}

static const struct name version_names[] = {
	{ KC_A_VERSION_ABI, "abi", true },
	{ KC_A_KEY_MAX, "key_max", true },
	{ KC_A_ITEM_SIZE_MAX, "item_size_max", true },
	{ KC_A_VALUE_MAX, "netlink_value_max", true },
	{ KC_A_NR_CLASSES, "nr_classes", true },
	{ 0, NULL, false }
};

static int version_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct cli *cli = arg;
	const char *mod = tb[KC_A_VERSION_MODULE] ?
			  nla_get_string(tb[KC_A_VERSION_MODULE]) : "?";
	struct out_table t = { 0 };
	char buf[32];
	int i;

	(void)nlh;
	if (cli->out == OUT_JSON) {
		printf("{\"cli\": \"%s\", \"module\": ", CLI_VERSION);
		out_json_string(mod, strnlen(mod, 64));
		for (i = 0; version_names[i].name; i++) {
			num_str(buf, sizeof(buf), &version_names[i],
				tb[version_names[i].attr]);
			printf(", \"%s\": %s", version_names[i].name,
			       tb[version_names[i].attr] ? buf : "null");
		}
		puts("}");
		return 0;
	}
	table_add(&t, 2, "cli", CLI_VERSION);
	table_add(&t, 2, "module", mod);
	for (i = 0; version_names[i].name; i++) {
		num_str(buf, sizeof(buf), &version_names[i],
			tb[version_names[i].attr]);
		table_add(&t, 2, version_names[i].name, buf);
	}
	table_print(&t, stdout, NULL);
	table_free(&t);
	return 0;
}

int admin_version(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	uint32_t flags;
	int ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc)
		return usage_error(cli, "takes no arguments");
	err = cli_exec(cli, cli_msg(cli, KC_CMD_VERSION, 0), version_cb, cli);
	return err ? cli_error(cli, err, NULL) : EXIT_OK;
}
