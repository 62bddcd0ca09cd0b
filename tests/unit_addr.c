/* Unit tests: addr (DOMAIN.md §1 address rules) and util helpers. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "msg.h"
#include "util.h"

static void norm(const char *in, const char *want)
{
	char *a = addr_normalize(in);
	CHECK_STR(a, want);
	free(a);
}

/* The fast path for plain address lists must read every list as libetpan
 * does, or leave it to libetpan: lists an attacker or an odd mailer would
 * write, each read both ways. */
static void same_addresses(const char *v)
{
	struct strlist fast = {0}, slow = {0};
	msg_addresses(v, true, &fast);
	msg_addresses(v, false, &slow);
	bool same = fast.n == slow.n;
	for (size_t i = 0; same && i < fast.n; i++)
		same = strcmp(fast.v[i], slow.v[i]) == 0;
	if (!same)
		fprintf(stderr, "address list read differently: [%.200s] (%zu vs %zu)\n", v, fast.n,
			slow.n);
	CHECK(same);
	sl_free(&fast);
	sl_free(&slow);
}

static void address_lists(void)
{
	static const char *const lists[] = {
		"a@x.example", "A@X.Example, b@y.example", "Ann Lee <ann@x.example>",
		"Ann Lee <ann@x.example>, bob@y.example,\r\n\tCy <cy@z.example>",
		"ann@x.example, ann@x.example, ANN@x.example", "ann+tag@x.example, ann@x.example",
		"\"Lee, Ann\" <ann@x.example>", "ann@x.example (Ann Lee)", "(c) ann@x.example",
		"J. Lee <j@x.example>", "J.. Lee <j@x.example>", ".j@x.example", "j.@x.example",
		"j..k@x.example", "j@x..example", "j@x.example.", "j@[192.0.2.1]", "j@x.example,",
		",j@x.example", "j@x.example,,k@x.example", "j@x.example;k@x.example",
		"undisclosed-recipients:;", "team: a@x.example, b@x.example;", "<j@x.example>",
		"<>", "Ann <>", "Ann <j@x.example", "Ann j@x.example>", "Ann <<j@x.example>>",
		"Ann <j@x.example> Lee", "j@x.example k@x.example", "=?UTF-8?Q?Ren=C3=A9?= <r@x.example>",
		"Ren\xc3\xa9 <r@x.example>", "r\xc3\xa9@x.example", "j@x.example\r\n",
		"\r\n j@x.example", "j @ x.example", "j@ x.example", "\"j\"@x.example",
		"j\\k@x.example", "j@x_y.example", "!#$%&'*+-/=?^_`{|}~@x.example", "@x.example",
		"j@", "j", " ", "Ann\r\n Lee <ann@x.example>", "a@b, c@d, e@f (comment), g@h",
		"j@x.example\x7f", "j@x.exa\tmple", "\"Lee, Ann\" <ann@x.example>, \"B (x)\" <b@x.example>",
		"\"Lee, Ann\"<ann@x.example>", "\"\" <ann@x.example>", "\"Lee\\\"A\" <a@x.example>",
		"\"Lee <a@x.example>", "\"Lee\" \"Ann\" <a@x.example>", "\"a@b\" <a@x.example>",
		"\"a@b\"", "Ann \"Lee\" Roe <a@x.example>", "\"Ren\xc3\xa9\" <r@x.example>",
		"\"L\r\n ee\" <a@x.example>", "\"Lee, Ann\" ann@x.example",
	};
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		same_addresses(lists[i]);
	/* long lists: past MSG_MAX_ADDRS, with duplicates, and past the fast
	 * path's own bound */
	size_t counts[] = {999, 1000, 1001, 3000, 4001, 5000};
	for (size_t c = 0; c < ARRAY_SIZE(counts); c++) {
		struct sbuf sb = {0};
		for (size_t i = 0; i < counts[c]; i++)
			sb_printf(&sb, "%sN%zu <u%zu@x.example>", i ? ",\r\n " : "", i, i % 1500);
		same_addresses(sb_cstr(&sb));
		sb_free(&sb);
	}
}

/* The interning table: dense ids, every string found again, the strings
 * where they were after the table grew (callers keep strtab_str's
 * pointer), the empty string, strings that differ in a last byte or only
 * in length, and ones longer than a block. */
static void interning(void)
{
	struct strtab t = {0};
	const char *first[3];
	CHECK(strtab_find(&t, "x") == STRTAB_NONE);
	CHECK(strtab_intern(&t, "") == 0);
	CHECK(strtab_intern(&t, "a") == 1);
	CHECK(strtab_intern(&t, "ab") == 2);
	first[0] = strtab_str(&t, 0);
	first[1] = strtab_str(&t, 1);
	first[2] = strtab_str(&t, 2);
	char buf[64];
	int misnumbered = 0;
	for (int i = 0; i < 200000; i++) {
		snprintf(buf, sizeof(buf), "<%d.%d@mid.example>", i, i * 7);
		misnumbered += strtab_intern(&t, buf) != (uint32_t)i + 3;
	}
	CHECK(misnumbered == 0);
	size_t big = 100000;
	char *huge = xmalloc(big + 1);
	memset(huge, 'h', big);
	huge[big] = 0;
	uint32_t hid = strtab_intern(&t, huge);
	huge[big - 1] = 'i';
	uint32_t hid2 = strtab_intern(&t, huge);
	CHECK(hid2 == hid + 1);
	CHECK(strtab_intern(&t, "after the huge one") == hid + 2);
	CHECK(strlen(strtab_str(&t, hid)) == big && strtab_str(&t, hid)[big - 1] == 'h');
	CHECK(strtab_find(&t, huge) == hid2);
	free(huge);
	CHECK(t.n == 200006);
	CHECK(strtab_str(&t, 0) == first[0] && strtab_str(&t, 1) == first[1] &&
	      strtab_str(&t, 2) == first[2]);
	CHECK_STR(strtab_str(&t, 2), "ab");
	CHECK(strtab_find(&t, "") == 0 && strtab_find(&t, "a") == 1 && strtab_find(&t, "ab") == 2);
	CHECK(strtab_find(&t, "abc") == STRTAB_NONE);
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		snprintf(buf, sizeof(buf), "<%d.%d@mid.example>", i, i * 7);
		bad += strtab_find(&t, buf) != (uint32_t)i + 3 ||
		       strcmp(strtab_str(&t, (uint32_t)i + 3), buf) != 0;
		snprintf(buf, sizeof(buf), "<%d.%d@mid.example>", i, i * 7 + 1);
		bad += strtab_find(&t, buf) != STRTAB_NONE;
	}
	CHECK(bad == 0);
	CHECK(strtab_str(&t, (uint32_t)t.n) == NULL);
	/* sealed: the strings stay where they were, lookups find nothing,
	 * and the next intern indexes every string anew */
	size_t n_before = t.n;
	strtab_seal(&t);
	CHECK(t.n == n_before && strtab_str(&t, 2) == first[2]);
	CHECK(strtab_find(&t, "ab") == STRTAB_NONE);
	CHECK(strtab_intern(&t, "ab") == 2);
	CHECK(strtab_intern(&t, "new after the seal") == (uint32_t)n_before);
	bad = 0;
	for (int i = 0; i < 200000; i++) {
		snprintf(buf, sizeof(buf), "<%d.%d@mid.example>", i, i * 7);
		bad += strtab_find(&t, buf) != (uint32_t)i + 3;
	}
	CHECK(bad == 0);
	CHECK(strtab_find(&t, strtab_str(&t, hid)) == hid &&
	      strtab_find(&t, strtab_str(&t, hid2)) == hid2);
	strtab_free(&t);
	CHECK(t.n == 0 && strtab_find(&t, "a") == STRTAB_NONE);
	CHECK(strtab_intern(&t, "again") == 0);
	strtab_free(&t);
}

int main(void)
{
	address_lists();
	interning();
	norm("Ada.Roe@Chem.Univ.Example", "ada.roe@chem.univ.example");
	norm("ada+grants@x.example", "ada@x.example");
	norm("ada+a+b@x.example", "ada@x.example");
	norm("+tag@x.example", "+tag@x.example");
	norm("+a+b@x.example", "+a@x.example");
	norm("@x.example", NULL);
	norm("ada@", NULL);
	norm("ada", NULL);
	norm("a da@x.example", NULL);
	norm("\"a@b\"@x.example", "\"a@b\"@x.example");

	CHECK(addr_is_role("noreply@x.example"));
	CHECK(addr_is_role("no-reply@x.example"));
	CHECK(addr_is_role("no_reply.billing@x.example"));
	CHECK(addr_is_role("donotreply@x.example"));
	CHECK(addr_is_role("do-not-reply@x.example"));
	CHECK(addr_is_role("do.not_reply-x@x.example"));
	CHECK(addr_is_role("mailer-daemon@x.example"));
	CHECK(addr_is_role("mailerdaemon@x.example"));
	CHECK(addr_is_role("postmaster@x.example"));
	/* the automated senders DOMAIN.md §1 added, and lookalikes that are people */
	static const char *const roles[] = {
		"no.address@x.example", "noaddress@x.example", "no-address-7@x.example",
		"notification@x.example", "notifications@x.example", "notifications-canvas@x.example",
		"newsletter@x.example", "newsletters.library@x.example", "announcement@x.example",
		"announcements_2026@x.example", "bounce@x.example", "bounces@x.example",
		"bounce-12345@x.example"};
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		CHECK(addr_is_role(roles[i]));
		if (!addr_is_role(roles[i]))
			fprintf(stderr, "  (%s)\n", roles[i]);
	}
	static const char *const people[] = {
		"notificationsx@x.example", "newslettering@x.example", "bouncer@x.example",
		"nora@x.example", "noaddresses@x.example", "announcer@x.example",
		"bouncess@x.example", "ann.notification@x.example"};
	for (size_t i = 0; i < ARRAY_SIZE(people); i++) {
		CHECK(!addr_is_role(people[i]));
		if (addr_is_role(people[i]))
			fprintf(stderr, "  (%s)\n", people[i]);
	}
	CHECK(addr_is_role("postmaster-2@x.example"));
	CHECK(!addr_is_role("noreplyx@x.example"));
	CHECK(!addr_is_role("reply@x.example"));
	CHECK(!addr_is_role("nobody@x.example"));
	CHECK(!addr_is_role("thepostmaster@x.example"));

	CHECK(addr_domain_matches("chem.univ.example", "univ.example"));
	CHECK(addr_domain_matches("univ.example", "univ.example"));
	CHECK(!addr_domain_matches("notuniv.example", "univ.example"));
	CHECK(!addr_domain_matches("example", "univ.example"));
	CHECK_STR(addr_domain("a@b.example"), "b.example");
	CHECK(addr_glob("*@lists.univ.example", "x@lists.univ.example"));
	CHECK(!addr_glob("*@lists.univ.example", "x@univ.example"));

	/* civil time round trips, including before the epoch and leap days */
	char buf[32];
	epoch_to_iso(civil_to_epoch(2024, 2, 29, 23, 59, 59), buf);
	CHECK_STR(buf, "2024-02-29T23:59:59Z");
	epoch_to_iso(0, buf);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	epoch_to_iso(civil_to_epoch(1969, 12, 31, 0, 0, 0), buf);
	CHECK_STR(buf, "1969-12-31T00:00:00Z");
	int64_t t = 0;
	CHECK_INT(iso_to_epoch("2024-03-05", &t), 0);
	CHECK_INT(t, 1709596800);
	CHECK_INT(iso_to_epoch("2024-03-05T10:20Z", &t), 0);
	CHECK_INT(t, 1709596800 + 10 * 3600 + 20 * 60);
	CHECK(iso_to_epoch("2024-13-05", &t) < 0);
	CHECK(iso_to_epoch("yesterday", &t) < 0);

	/* sb_addi: what printf's %ld writes */
	struct sbuf sb = {0};
	sb_addi(&sb, 0);
	sb_addc(&sb, ' ');
	sb_addi(&sb, -45);
	sb_addc(&sb, ' ');
	sb_addi(&sb, 1234567890123L);
	sb_addc(&sb, ' ');
	sb_addi(&sb, LONG_MIN);
	char want[64];
	snprintf(want, sizeof(want), "0 -45 1234567890123 %ld", LONG_MIN);
	CHECK_STR(sb_cstr(&sb), want);
	sb_free(&sb);

	/* UTF-8 */
	CHECK(utf8_valid("Gr\xc3\xbc\xc3\x9f" "e", 7));
	CHECK(!utf8_valid("Gr\xfc", 3));
	CHECK(!utf8_valid("\xc0\xaf", 2)); /* overlong */
	CHECK(!utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	char *s = utf8_sanitize("a\xff" "b\x01" "c", 5);
	CHECK_STR(s, "a\xef\xbf\xbd" "b c");
	free(s);
	s = utf8_casefold("\xc3\x89T\xc3\x89 \xd0\x9f\xd0\xa0\xd0\x98");
	CHECK_STR(s, "\xc3\xa9t\xc3\xa9 \xd0\xbf\xd1\x80\xd0\xb8");
	free(s);

	struct strlist l = {0};
	CHECK(sl_add_unique(&l, "a"));
	CHECK(!sl_add_unique(&l, "a"));
	sl_add(&l, "b");
	char *j = sl_join(&l, ", ");
	CHECK_STR(j, "a, b");
	free(j);
	sl_free(&l);
	return check_done("unit_addr");
}
