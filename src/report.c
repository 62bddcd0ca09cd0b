/* report: see report.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "report.h"
#include "util.h"

/* ---- loading --------------------------------------------------------------- */

#define CHUNK (256 * 1024)

/* n bytes in the report's chunks (one allocation per 256 KiB, not several
 * per row); aligned for a struct report_row. */
static void *keep_mem(struct report *r, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (!r->nchunks || r->used + n > CHUNK) {
		r->chunks = xrealloc(r->chunks, (r->nchunks + 1) * sizeof(*r->chunks));
		r->chunks[r->nchunks++] = xmalloc(n > CHUNK ? n : CHUNK);
		r->used = 0;
	}
	char *p = r->chunks[r->nchunks - 1] + r->used;
	r->used += n;
	return p;
}

static char *keep_str(struct report *r, const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(keep_mem(r, n), s, n);
}

static void add_row(struct report *r, int64_t account_id, const char *account, const char *client,
		    const char *department, const char *address, int64_t as_of,
		    const struct score *s)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
	}
	struct report_row *row = keep_mem(r, sizeof(*row));
	r->rows[r->n++] = row;
	row->account_id = account_id;
	row->account = keep_str(r, account ? account : "");
	row->client = keep_str(r, client ? client : "");
	row->department = keep_str(r, department ? department : "(unassigned)");
	row->address = keep_str(r, address ? address : "");
	row->as_of = as_of;
	row->s = *s;
}

static int on_score(void *ud, const struct store_score_row *row)
{
	add_row(ud, row->account_id, row->account, row->client, row->department, row->address,
		row->as_of, &row->s);
	return 0;
}

static bool is_weak(const struct score *s)
{
	return s->phase != PHASE_DORMANT && (s->klass == CLASS_WEAK || s->one_sided);
}

struct accounts {
	struct strlist names;
	int64_t *ids;
};

static void on_account_count(void *ud, int64_t id, const char *name)
{
	(void)id;
	(void)name;
	(*(size_t *)ud)++;
}

static void on_account(void *ud, int64_t id, const char *name)
{
	struct accounts *a = ud;
	a->ids = xrealloc(a->ids, (a->names.n + 1) * sizeof(*a->ids));
	a->ids[a->names.n] = id;
	sl_add(&a->names, name);
}

int report_load(struct store *st, const struct conf *c, int64_t as_of, bool weak_only,
		size_t limit, bool brief, struct report *ret)
{
	struct report r = {0};
	int e;

	struct accounts acc = {0};
	if ((e = store_each_account(st, on_account, &acc)) < 0)
		return e;
	r.naccounts = acc.names.n;
	if (!as_of) {
		sl_free(&acc.names);
		free(acc.ids);
		e = store_each_score(st, weak_only, limit, brief, on_score, &r);
		if (e < 0) {
			report_free(&r);
			return e;
		}
		if (!weak_only) /* the weak rows come in order */
			report_sort(&r, SORT_NAME);
		*ret = r;
		return 0;
	}
	for (size_t a = 0; a < acc.names.n; a++) {
		struct model md;
		if ((e = model_load(st, c, acc.names.v[a], as_of, 0, 0, &md)) < 0)
			break;
		model_compute(&md);
		for (size_t i = 0; i < md.nclients; i++) {
			const struct model_client *cl = &md.clients[i];
			if (!weak_only || is_weak(&cl->score))
				add_row(&r, acc.ids[a], acc.names.v[a], cl->name,
					cl->department, cl->first_address, as_of, &cl->score);
		}
		model_free(&md);
	}
	sl_free(&acc.names);
	free(acc.ids);
	if (e < 0) {
		report_free(&r);
		return e;
	}
	report_sort(&r, weak_only ? SORT_WEAK : SORT_NAME);
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nchunks; i++)
		free(r->chunks[i]);
	free(r->chunks);
	free(r->rows);
	*r = (struct report){0};
}

void report_truncate(struct report *r, size_t n)
{
	if (n < r->n)
		r->n = n;
}

void report_filter(struct report *r, bool (*keep)(const struct report_row *, void *), void *ud)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		if (keep(r->rows[i], ud))
			r->rows[k++] = r->rows[i];
	r->n = k;
}

/* ---- order ------------------------------------------------------------------ */

static const char *const sort_names[] = {"name", "tie", "weak", "reciprocity", "response",
					 "last", "volume"};

int report_sort_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sort_names); i++)
		if (strcmp(s, sort_names[i]) == 0)
			return (int)i;
	return -1;
}

/* A row's sort keys, ascending; names break ties. Kept apart from the
 * row (a few hundred bytes) so that the comparisons stay in cache. */
struct sort_item {
	double k1, k2;
	struct report_row *row;
};

static int cmp_items(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	if (x->k2 != y->k2)
		return x->k2 < y->k2 ? -1 : 1;
	int c = strcmp(x->row->client, y->row->client);
	if (c)
		return c;
	return (x->row->account_id > y->row->account_id) - (x->row->account_id < y->row->account_id);
}

static void sort_keys(const struct score *s, enum report_sort key, struct sort_item *it)
{
	it->k2 = 0;
	switch (key) {
	case SORT_NAME: it->k1 = 0; break;
	case SORT_TIE: it->k1 = -s->tie_strength; break;
	case SORT_WEAK:
		it->k1 = s->tie_strength;
		it->k2 = -s->out_weight;
		break;
	case SORT_RECIPROCITY: it->k1 = -s->reciprocity; break;
	case SORT_RESPONSE: it->k1 = -s->response_rate; break;
	case SORT_LAST: it->k1 = -(double)s->last_message; break;
	case SORT_VOLUME: it->k1 = -s->volume; break;
	}
}

/* Sorts the keys, then the row pointers. */
void report_sort(struct report *r, enum report_sort key)
{
	if (r->n < 2)
		return;
	struct sort_item *items = xmalloc(r->n * sizeof(*items));
	for (size_t i = 0; i < r->n; i++) {
		sort_keys(&r->rows[i]->s, key, &items[i]);
		items[i].row = r->rows[i];
	}
	qsort(items, r->n, sizeof(*items), cmp_items);
	for (size_t i = 0; i < r->n; i++)
		r->rows[i] = items[i].row;
	free(items);
}

/* ---- words ------------------------------------------------------------------ */

static void reason_into(struct sbuf *out, const struct score *s, int64_t as_of);

static long days_ago(int64_t as_of, int64_t t)
{
	return (long)floor((double)(as_of - t) / 86400.0);
}

char *report_reason(const struct score *s, int64_t as_of)
{
	struct sbuf sb = {0};
	reason_into(&sb, s, as_of);
	return sb_steal(&sb);
}

/* "s" for plurals */
static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

/* report_reason into a reused buffer (the weak list writes thousands, so
 * no printf). */
static void reason_into(struct sbuf *out, const struct score *s, int64_t as_of)
{
	struct sbuf sb = *out;
	sb_reset(&sb);
	int unanswered = s->decided - s->answered;
	if (s->decided && unanswered == 0) {
		sb_adds(&sb, s->decided == 1 ? "the " : "all ");
		sb_addi(&sb, s->decided);
		sb_adds(&sb, " outreach thread");
		sb_adds(&sb, plural(s->decided));
		sb_adds(&sb, " answered");
	} else if (s->decided) {
		sb_addi(&sb, unanswered);
		sb_adds(&sb, " of ");
		sb_addi(&sb, s->decided);
		sb_adds(&sb, " outreach thread");
		sb_adds(&sb, plural(s->decided));
		sb_adds(&sb, " unanswered");
	} else if (s->pending) {
		sb_addi(&sb, s->pending);
		sb_adds(&sb, " outreach thread");
		sb_adds(&sb, plural(s->pending));
		sb_adds(&sb, " awaiting an answer");
	} else if (s->liaison_initiated == 0 && s->client_initiated == 0) {
		sb_adds(&sb, "no conversation started by either side in the window");
	} else {
		sb_addi(&sb, s->client_initiated);
		sb_adds(&sb, " thread");
		sb_adds(&sb, plural(s->client_initiated));
		sb_adds(&sb, " started by them, ");
		sb_addi(&sb, s->liaison_initiated);
		sb_adds(&sb, " by you");
	}
	if (s->unanswered_streak >= 2) {
		sb_adds(&sb, " (the last ");
		sb_addi(&sb, s->unanswered_streak);
		sb_adds(&sb, " in a row)");
	}
	if (s->last_inbound) {
		sb_adds(&sb, "; last reply ");
		sb_addi(&sb, days_ago(as_of, s->last_inbound));
		sb_adds(&sb, " days ago");
	} else if (s->last_message) {
		sb_adds(&sb, "; no reply in the window");
	}
	if (s->undelivered) {
		sb_adds(&sb, "; ");
		sb_addi(&sb, s->undelivered);
		sb_adds(&sb, " bounced");
	}
	if (s->klass == CLASS_WEAK && !s->one_sided && s->phase != PHASE_DORMANT) {
		sb_adds(&sb, "; only ");
		sb_addi(&sb, s->recent + s->before);
		sb_adds(&sb, " message");
		sb_adds(&sb, plural(s->recent + s->before));
		sb_adds(&sb, " in 180 days");
	}
	sb_cstr(&sb);
	*out = sb;
}

/* ---- output ----------------------------------------------------------------- */

void report_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (v < 0 || isnan(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_time(FILE *f, int64_t t)
{
	char buf[32];
	if (!t) {
		fputs("null", f);
		return;
	}
	epoch_to_iso(t, buf);
	fprintf(f, "\"%s\"", buf);
}

void report_json_score(FILE *f, const struct report_row *row, const char *in)
{
	const struct score *s = &row->s;
	char *reason = report_reason(s, row->as_of);
	fprintf(f, "%s\"liaison\": ", in);
	report_json_string(f, row->account);
	fprintf(f, ",\n%s\"client\": ", in);
	report_json_string(f, row->client);
	fprintf(f, ",\n%s\"address\": ", in);
	report_json_string(f, row->address);
	fprintf(f, ",\n%s\"department\": ", in);
	report_json_string(f, row->department);
	fprintf(f, ",\n%s\"as_of\": ", in);
	json_time(f, row->as_of);
	fprintf(f, ",\n%s\"out_weight\": ", in);
	json_num(f, s->out_weight);
	fprintf(f, ",\n%s\"in_weight\": ", in);
	json_num(f, s->in_weight);
	fprintf(f, ",\n%s\"reciprocity\": ", in);
	json_num(f, s->reciprocity);
	fprintf(f, ",\n%s\"response_rate\": ", in);
	json_num(f, s->response_rate);
	fprintf(f, ",\n%s\"raw_response_rate\": ", in);
	json_num(f, s->decided ? (double)s->answered / s->decided : -1);
	fprintf(f, ",\n%s\"answered\": %d,\n%s\"decided\": %d,\n%s\"pending\": %d,\n"
		   "%s\"undelivered\": %d,\n", in, s->answered, in, s->decided, in, s->pending,
		in, s->undelivered);
	fprintf(f, "%s\"initiation_balance\": ", in);
	json_num(f, s->initiation_balance);
	fprintf(f, ",\n%s\"client_initiated\": %d,\n%s\"liaison_initiated\": %d,\n"
		   "%s\"unknown_initiated\": %d,\n", in, s->client_initiated, in,
		s->liaison_initiated, in, s->unknown_initiated);
	fprintf(f, "%s\"volume\": ", in);
	json_num(f, s->volume);
	fprintf(f, ",\n%s\"tie_strength\": %d,\n%s\"class\": \"%s\",\n%s\"one_sided\": %s,\n"
		   "%s\"unanswered_streak\": %d,\n%s\"phase\": \"%s\",\n%s\"trend\": \"%s\",\n",
		in, s->tie_strength, in, score_class_name(s->klass), in,
		s->one_sided ? "true" : "false", in, s->unanswered_streak, in,
		score_phase_name(s->phase), in, score_trend_name(s->trend));
	fprintf(f, "%s\"recent_messages\": %d,\n%s\"before_messages\": %d,\n", in, s->recent, in,
		s->before);
	fprintf(f, "%s\"latencies\": {\"client_median_hours\": ", in);
	json_num(f, s->client_latency_h);
	fputs(", \"liaison_median_hours\": ", f);
	json_num(f, s->liaison_latency_h);
	fprintf(f, "},\n%s\"last_message\": ", in);
	json_time(f, s->last_message);
	fprintf(f, ",\n%s\"last_reply\": ", in);
	json_time(f, s->last_inbound);
	fprintf(f, ",\n%s\"reason\": ", in);
	report_json_string(f, reason);
	fputc('\n', f);
	free(reason);
}

void report_csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void csv_num(FILE *f, double v)
{
	if (v < 0 || isnan(v))
		fputc(',', f);
	else
		fprintf(f, "%.6g,", v);
}

static void csv_rows(FILE *f, const struct report *r)
{
	fputs("liaison,client,address,department,as_of,out_weight,in_weight,reciprocity,"
	      "response_rate,raw_response_rate,answered,decided,pending,undelivered,"
	      "initiation_balance,client_initiated,liaison_initiated,unknown_initiated,volume,"
	      "tie_strength,class,one_sided,unanswered_streak,phase,trend,recent_messages,"
	      "before_messages,client_latency_hours,liaison_latency_hours,last_message,"
	      "last_reply,reason\r\n", f);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *row = r->rows[i];
		const struct score *s = &row->s;
		char t[32], lm[32] = "", lr[32] = "";
		epoch_to_iso(row->as_of, t);
		if (s->last_message)
			epoch_to_iso(s->last_message, lm);
		if (s->last_inbound)
			epoch_to_iso(s->last_inbound, lr);
		report_csv_field(f, row->account, false);
		report_csv_field(f, row->client, false);
		report_csv_field(f, row->address, false);
		report_csv_field(f, row->department, false);
		report_csv_field(f, t, false);
		csv_num(f, s->out_weight);
		csv_num(f, s->in_weight);
		csv_num(f, s->reciprocity);
		csv_num(f, s->response_rate);
		csv_num(f, s->decided ? (double)s->answered / s->decided : -1);
		fprintf(f, "%d,%d,%d,%d,", s->answered, s->decided, s->pending, s->undelivered);
		csv_num(f, s->initiation_balance);
		fprintf(f, "%d,%d,%d,", s->client_initiated, s->liaison_initiated,
			s->unknown_initiated);
		csv_num(f, s->volume);
		fprintf(f, "%d,%s,%s,%d,", s->tie_strength, score_class_name(s->klass),
			s->one_sided ? "true" : "false", s->unanswered_streak);
		report_csv_field(f, score_phase_name(s->phase), false);
		report_csv_field(f, score_trend_name(s->trend), false);
		fprintf(f, "%d,%d,", s->recent, s->before);
		csv_num(f, s->client_latency_h);
		csv_num(f, s->liaison_latency_h);
		report_csv_field(f, lm, false);
		report_csv_field(f, lr, false);
		char *reason = report_reason(s, row->as_of);
		report_csv_field(f, reason, true);
		free(reason);
	}
}

/* Copies at most width display columns of a UTF-8 string into buf,
 * padded with spaces to exactly width columns. */
static void cell(char *buf, size_t size, const char *s, int width)
{
	size_t o = 0;
	int cols = 0;
	/* the common case: short ASCII */
	size_t n = 0;
	while (n < (size_t)width && s[n] > 0)
		n++;
	if (s[n] == '\0' && (size_t)width < size) {
		memcpy(buf, s, n);
		memset(buf + n, ' ', (size_t)width - n);
		buf[width] = '\0';
		return;
	}
	if (n == (size_t)width && width > 0 && (size_t)width + 3 < size) {
		/* longer ASCII: cut, and mark the cut */
		memcpy(buf, s, n - 1);
		memcpy(buf + n - 1, "\xe2\x80\xa6", 4);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p && cols < width;) {
		size_t k = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if (o + k + 1 >= size)
			break;
		if (cols == width - 1 && strlen((const char *)p) > k) {
			/* one column left and more to come: mark the cut */
			memcpy(buf + o, "\xe2\x80\xa6", 3);
			o += 3;
			cols++;
			break;
		}
		for (size_t i = 0; i < k && p[i]; i++)
			buf[o++] = (char)p[i];
		p += k;
		cols++;
	}
	while (cols < width && o + 1 < size) {
		buf[o++] = ' ';
		cols++;
	}
	buf[o] = '\0';
}

void report_wrap(FILE *f, const char *text, int indent, int width)
{
	static const char spaces[] = "                                ";
	const char *p = text;
	size_t n = strlen(p);
	if (indent > (int)sizeof(spaces) - 1)
		indent = (int)sizeof(spaces) - 1;
	while (n) {
		size_t room = (size_t)(width - indent), take = n;
		if (n > room) {
			take = room;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0)
				take = room;
		}
		fwrite(spaces, 1, (size_t)indent, f);
		fwrite(p, 1, take, f);
		fputc('\n', f);
		p += take;
		n -= take;
		while (n && *p == ' ') {
			p++;
			n--;
		}
	}
}

/* v in [0, 1] as "0.35", rounded like printf's %4.2f. */
static void fixed2(struct sbuf *sb, double v)
{
	int h = (int)(v * 100.0 + 0.5);
	if (h < 0)
		h = 0;
	char s[8] = {(char)('0' + h / 100 % 10), '.', (char)('0' + h / 10 % 10),
		     (char)('0' + h % 10), 0};
	sb_adds(sb, s);
}

static const char *colour_of(const struct score *s, bool colour)
{
	if (!colour)
		return "";
	if (s->one_sided || s->klass == CLASS_WEAK)
		return "\033[31m";
	return s->klass == CLASS_STRONG ? "\033[32m" : "\033[33m";
}

/* The client table, a row at a time. */
struct table {
	FILE *f;
	bool team, reasons, colour;
	bool head;         /* the header is printed */
	size_t n;          /* rows printed */
	struct sbuf line, reason;
};

static void table_head(struct table *t)
{
	if (t->head)
		return;
	t->head = true;
	if (t->team)
		fprintf(t->f, "%-18s %-8s %-12s %3s %-9s %4s %4s %-11s %s\n", "CLIENT", "LIAISON",
			"DEPARTMENT", "TIE", "CLASS", "R", "P", "PHASE", "TRD");
	else
		fprintf(t->f, "%-23s %-16s %3s %-9s %4s %4s %-11s %s\n", "CLIENT", "DEPARTMENT",
			"TIE", "CLASS", "R", "P", "PHASE", "TRD");
}

static void table_row(struct table *t, const char *client, const char *account,
		      const char *department, int64_t as_of, const struct score *s)
{
	FILE *f = t->f;
	/* 23 + 1 + 16 + 1 + 3 + 1 + 9 + 1 + 4 + 1 + 4 + 1 + 11 + 1 + 3 = 80: the
	 * CLASS column holds "moderate*"; with several liaisons, CLIENT 18,
	 * LIAISON 8 and DEPARTMENT 12 share the first 40 */
	bool team = t->team, colour = t->colour;
	int wc = team ? 18 : 23, wd = team ? 12 : 16;
	table_head(t);
	t->n++;
	char name[128], dept[96], cls[16], phase[16], acct[64];
	static const char *const trend_short[] = {"=", "new", "up", "dn"};
	static const char *const one_sided[] = {"weak*", "moderate*", "strong*"};
	cell(name, sizeof(name), client, wc);
	cell(dept, sizeof(dept), department, wd);
	cell(acct, sizeof(acct), account, 8);
	cell(cls, sizeof(cls), s->one_sided ? one_sided[s->klass] : score_class_name(s->klass), 9);
	cell(phase, sizeof(phase), score_phase_name(s->phase), 11);
	/* built piece by piece: thousands of rows, no printf */
	struct sbuf *line = &t->line;
	sb_reset(line);
	sb_adds(line, name);
	sb_addc(line, ' ');
	if (team) {
		sb_adds(line, acct);
		sb_addc(line, ' ');
	}
	sb_adds(line, dept);
	sb_adds(line, s->tie_strength < 10 ? "   " : s->tie_strength < 100 ? "  " : " ");
	sb_addi(line, s->tie_strength);
	sb_addc(line, ' ');
	sb_adds(line, colour_of(s, colour));
	sb_adds(line, cls);
	if (colour)
		sb_adds(line, "\033[0m");
	sb_addc(line, ' ');
	fixed2(line, s->reciprocity);
	sb_addc(line, ' ');
	fixed2(line, s->response_rate);
	sb_addc(line, ' ');
	sb_adds(line, phase);
	sb_addc(line, ' ');
	sb_adds(line, trend_short[s->trend]);
	sb_addc(line, '\n');
	fwrite(line->buf, 1, line->len, f);
	if (t->reasons) {
		reason_into(&t->reason, s, as_of);
		report_wrap(f, t->reason.buf, 4, 80);
	}
}

static void table_end(struct table *t)
{
	if (t->n)
		fprintf(t->f, "(* one-sided; TRD: = steady, up coming together, dn coming apart)\n");
	sb_free(&t->reason);
	sb_free(&t->line);
}

void report_print_clients(FILE *f, const struct report *r, enum report_format fmt,
			  bool reasons, bool colour)
{
	if (fmt == FMT_JSON) {
		fputs("[", f);
		for (size_t i = 0; i < r->n; i++) {
			fputs(i ? ",\n  {\n" : "\n  {\n", f);
			report_json_score(f, r->rows[i], "    ");
			fputs("  }", f);
		}
		fputs(r->n ? "\n]\n" : "]\n", f);
		return;
	}
	if (fmt == FMT_CSV) {
		csv_rows(f, r);
		return;
	}
	struct table t = {f, r->naccounts > 1, reasons, colour, false, 0, {0}, {0}};
	table_head(&t);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *row = r->rows[i];
		table_row(&t, row->client, row->account, row->department, row->as_of, &row->s);
	}
	table_end(&t);
}

static int stream_row(void *ud, const struct store_score_row *row)
{
	table_row(ud, row->client ? row->client : "", row->account,
		  row->department ? row->department : "(unassigned)", row->as_of, &row->s);
	return 0;
}

int report_stream_weak(FILE *f, struct store *st, size_t limit, bool colour, size_t *ret_n)
{
	size_t naccounts = 0;
	int e = store_each_account(st, on_account_count, &naccounts);
	if (e < 0)
		return e;
	struct table t = {f, naccounts > 1, true, colour, false, 0, {0}, {0}};
	e = store_each_score(st, true, limit, true, stream_row, &t);
	table_end(&t);
	*ret_n = t.n;
	return e;
}

/* ---- aggregates --------------------------------------------------------------- */

struct group {
	const char *name;
	int n, klass[3], phase[4], one_sided;
	double *ties, *rates;
};

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int report_stronger(const struct score *a, const char *account_a, const struct score *b,
		    const char *account_b)
{
	if (a->tie_strength != b->tie_strength)
		return a->tie_strength > b->tie_strength ? -1 : 1;
	if (a->response_rate != b->response_rate)
		return a->response_rate > b->response_rate ? -1 : 1;
	return strcmp(account_a, account_b);
}

/* The library's tie to a client: its strongest row first. */
static int cmp_strongest(const void *a, const void *b)
{
	const struct report_row *x = *(const struct report_row *const *)a;
	const struct report_row *y = *(const struct report_row *const *)b;
	int c = strcmp(x->client, y->client);
	return c ? c : report_stronger(&x->s, x->account, &y->s, y->account);
}

char *report_intro(const struct report *r, const struct conf *c, const char *account,
		   const char *client)
{
	const struct report_row *best = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = r->rows[i];
		if (x->s.klass != CLASS_STRONG || strcmp(x->client, client) != 0 ||
		    strcmp(x->account, account) == 0)
			continue;
		if (!best || report_stronger(&x->s, x->account, &best->s, best->account) < 0)
			best = x;
	}
	if (!best)
		return NULL;
	const struct conf_account *a = c ? conf_account_find(c, best->account) : NULL;
	return xasprintf("%s has a strong tie (%d) with this client: ask for an introduction.",
			 a && a->liaison ? a->liaison : best->account, best->s.tie_strength);
}

char *report_with_intro(const struct report *r, const struct conf *c, const char *account,
			const char *client, const char *kind, const char *reason)
{
	char *intro = NULL;
	if (!reason)
		reason = "";
	if (!strcmp(kind, "follow-up") || !strcmp(kind, "one-sided"))
		intro = report_intro(r, c, account, client);
	if (!intro)
		return xstrdup(reason);
	size_t n = strlen(reason);
	bool stop = !n || strchr(".!?", reason[n - 1]);
	char *t = xasprintf("%s%s%s", reason, !n ? "" : stop ? " " : ". ", intro);
	free(intro);
	return t;
}

size_t report_strongest(struct report_row **rows, size_t n)
{
	if (!n)
		return 0;
	qsort(rows, n, sizeof(*rows), cmp_strongest);
	size_t u = 1;
	for (size_t i = 1; i < n; i++)
		if (strcmp(rows[i]->client, rows[u - 1]->client) != 0)
			rows[u++] = rows[i];
	return u;
}

void report_print_groups(FILE *f, const struct report *all, bool by_account,
			 enum report_format fmt)
{
	/* by department, each client once */
	struct report one = *all;
	one.rows = xmalloc((all->n + 1) * sizeof(*one.rows));
	memcpy(one.rows, all->rows, all->n * sizeof(*one.rows));
	if (!by_account)
		one.n = report_strongest(one.rows, all->n);
	const struct report *r = &one;
	/* the distinct group names, sorted */
	const char **names = xcalloc(r->n + 1, sizeof(*names));
	size_t ng = 0;
	for (size_t i = 0; i < r->n; i++)
		names[ng++] = by_account ? r->rows[i]->account : r->rows[i]->department;
	if (ng)
		qsort(names, ng, sizeof(*names), cmp_str_ptr);
	size_t u = 0;
	for (size_t i = 0; i < ng; i++)
		if (!u || strcmp(names[u - 1], names[i]) != 0)
			names[u++] = names[i];
	struct group *g = xcalloc(u + 1, sizeof(*g));
	for (size_t i = 0; i < u; i++) {
		g[i].name = names[i];
		g[i].ties = xcalloc(r->n + 1, sizeof(double));
		g[i].rates = xcalloc(r->n + 1, sizeof(double));
	}
	for (size_t i = 0; i < r->n; i++) {
		const char *key = by_account ? r->rows[i]->account : r->rows[i]->department;
		size_t lo = 0, hi = u;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (strcmp(names[mid], key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		struct group *gr = &g[lo];
		const struct score *s = &r->rows[i]->s;
		gr->ties[gr->n] = s->tie_strength;
		gr->rates[gr->n] = s->response_rate;
		gr->n++;
		gr->klass[s->klass]++;
		gr->phase[s->phase]++;
		gr->one_sided += s->one_sided;
	}
	const char *label = by_account ? "liaison" : "department";
	if (fmt == FMT_CSV)
		fprintf(f, "%s,clients,strong,moderate,weak,commitment,exploration,awareness,"
			   "dormant,median_tie_strength,median_response_rate,share_one_sided\r\n",
			label);
	else if (fmt == FMT_JSON)
		fputs("[", f);
	else
		fprintf(f, "%-17s %7s %4s %4s %4s %4s %4s %4s %4s %5s %5s %7s\n",
			by_account ? "LIAISON" : "DEPARTMENT", "CLIENTS", "STR", "MOD", "WEAK",
			"COM", "EXP", "AWA", "DOR", "TIE", "P", "1-SIDED");
	for (size_t i = 0; i < u; i++) {
		struct group *gr = &g[i];
		double mt = score_median(gr->ties, (size_t)gr->n);
		double mp = score_median(gr->rates, (size_t)gr->n);
		double share = gr->n ? (double)gr->one_sided / gr->n : 0;
		if (fmt == FMT_CSV) {
			report_csv_field(f, gr->name, false);
			fprintf(f, "%d,%d,%d,%d,%d,%d,%d,%d,%.6g,%.6g,%.6g\r\n", gr->n,
				gr->klass[CLASS_STRONG], gr->klass[CLASS_MODERATE],
				gr->klass[CLASS_WEAK], gr->phase[PHASE_COMMITMENT],
				gr->phase[PHASE_EXPLORATION], gr->phase[PHASE_AWARENESS],
				gr->phase[PHASE_DORMANT], mt, mp, share);
		} else if (fmt == FMT_JSON) {
			fprintf(f, "%s\n  {\"%s\": ", i ? "," : "", label);
			report_json_string(f, gr->name);
			fprintf(f, ", \"clients\": %d,\n   \"by_class\": {\"strong\": %d, "
				   "\"moderate\": %d, \"weak\": %d},\n   \"by_phase\": "
				   "{\"commitment\": %d, \"exploration\": %d, \"awareness\": %d, "
				   "\"dormant\": %d},\n   \"median_tie_strength\": %.6g, "
				   "\"median_response_rate\": %.6g, \"share_one_sided\": %.6g}",
				gr->n, gr->klass[CLASS_STRONG], gr->klass[CLASS_MODERATE],
				gr->klass[CLASS_WEAK], gr->phase[PHASE_COMMITMENT],
				gr->phase[PHASE_EXPLORATION], gr->phase[PHASE_AWARENESS],
				gr->phase[PHASE_DORMANT], mt, mp, share);
		} else {
			char name[96];
			cell(name, sizeof(name), gr->name, 17);
			fprintf(f, "%s %7d %4d %4d %4d %4d %4d %4d %4d %5.1f %5.2f %6.0f%%\n", name,
				gr->n, gr->klass[CLASS_STRONG], gr->klass[CLASS_MODERATE],
				gr->klass[CLASS_WEAK], gr->phase[PHASE_COMMITMENT],
				gr->phase[PHASE_EXPLORATION], gr->phase[PHASE_AWARENESS],
				gr->phase[PHASE_DORMANT], mt, mp, 100.0 * share);
		}
		free(gr->ties);
		free(gr->rates);
	}
	if (fmt == FMT_JSON)
		fputs(u ? "\n]\n" : "]\n", f);
	free(g);
	free(names);
	free(one.rows);
}
