// SPDX-License-Identifier: GPL-2.0
/*
 * Output.  Three modes, the same everywhere:
 *   human  strings in double quotes with C escapes for anything but
 *          printable ASCII ("a\x00b", "\\", "\""), integers bare, a miss
 *          as (nil), lists numbered, tables aligned;
 *   --json one JSON value per reply (objects for stats and config); a
 *          string's bytes are code points U+0000..U+00FF, so any byte
 *          string survives: decode with .encode('latin-1') in Python;
 *   --raw  the bytes as they are, one value per line, nil as an empty line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void out_escaped(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				putchar(c);
			else
				printf("\\x%02x", c);
		}
	}
}

void out_json_string(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\u%04x", c);
	}
	putchar('"');
}

/* A string in the current mode, without a newline. */
void out_bytes(struct cli *cli, const void *p, size_t len)
{
	switch (cli->out) {
	case OUT_JSON:
		out_json_string(p, len);
		break;
	case OUT_RAW:
		fwrite(p, 1, len, stdout);
		break;
	default:
		putchar('"');
		out_escaped(p, len);
		putchar('"');
	}
}

void out_value(struct cli *cli, const void *p, size_t len)
{
	out_bytes(cli, p, len);
	putchar('\n');
}

void out_nil(struct cli *cli)
{
	puts(cli->out == OUT_JSON ? "null" : cli->out == OUT_RAW ? "" :
	     "(nil)");
}

void out_int(struct cli *cli, int64_t v)
{
	(void)cli;
	printf("%lld\n", (long long)v);
}

void out_ok(struct cli *cli)
{
	puts(cli->out == OUT_JSON ? "\"OK\"" : "OK");
}

/* Lists: numbered for people, a JSON array (or object of pairs), lines. */
void out_list_start(struct out_list *l, struct cli *cli, bool pairs)
{
	l->cli = cli;
	l->n = 0;
	l->pairs = pairs;
	if (cli->out == OUT_JSON)
		putchar(pairs ? '{' : '[');
}

static void list_sep(struct out_list *l)
{
	if (l->cli->out == OUT_JSON) {
		if (l->n)
			fputs(l->pairs && (l->n & 1) ? ": " : ", ", stdout);
	} else if (l->cli->out == OUT_HUMAN) {
		if (l->pairs && (l->n & 1))
			fputs(" => ", stdout);
		else
			printf("%d) ", l->pairs ? l->n / 2 + 1 : l->n + 1);
	}
}

static void list_end_item(struct out_list *l)
{
	l->n++;
	if (l->cli->out != OUT_JSON && (!l->pairs || !(l->n & 1)))
		putchar('\n');
}

void out_list_item(struct out_list *l, const void *p, size_t len, bool nil)
{
	list_sep(l);
	if (!nil)
		out_bytes(l->cli, p, len);
	else if (l->cli->out == OUT_JSON)
		fputs("null", stdout);
	else if (l->cli->out == OUT_HUMAN)
		fputs("(nil)", stdout);
	list_end_item(l);
}

void out_list_int(struct out_list *l, int64_t v)
{
	list_sep(l);
	printf("%lld", (long long)v);
	list_end_item(l);
}

void out_list_end(struct out_list *l)
{
	if (l->cli->out == OUT_JSON)
		puts(l->pairs ? "}" : "]");
	else if (!l->n && l->cli->out == OUT_HUMAN)
		puts("(empty)");
}

/* Aligned tables of strings; the caller formats the cells. */
void table_add(struct out_table *t, int ncols, ...)
{
	va_list ap;
	int i;

	if (!t->ncols)
		t->ncols = ncols;
	if (t->nrows == t->cap) {
		char **c;

		t->cap = t->cap ? 2 * t->cap : 64;
		c = realloc(t->cells, sizeof(*c) * t->cap * t->ncols);
		if (!c) {
			perror("kcache-cli");
			exit(EXIT_ERR);
		}
		t->cells = c;
	}
	va_start(ap, ncols);
	for (i = 0; i < t->ncols; i++) {
		const char *s = i < ncols ? va_arg(ap, const char *) : "";

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

/* Prints t; right[i] right-aligns column i (numbers). */
void table_print(struct out_table *t, FILE *f, const bool *right)
{
	int w[32] = { 0 };
	int r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols && c < 32; c++) {
			int len = (int)strlen(t->cells[r * t->ncols + c]);

			if (len > w[c])
				w[c] = len;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols && c < 32; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c == t->ncols - 1;

			if (right && right[c])
				fprintf(f, "%*s", w[c], s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", w[c], s);
			if (!last)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
}

void table_free(struct out_table *t)
{
	int i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
