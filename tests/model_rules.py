#!/usr/bin/env python3
"""Small hand-worked mailboxes, one per rule of DOMAIN.md that real mail
showed was missing or misread (issue 12), imported and checked against
the numbers worked out here by hand, from the rules, not from rapport's
output. Dates are relative to NOW (taken once at start); every expected
instant below is NOW minus a whole number of days, to the second.
Usage: model_rules.py BUILDDIR TMPDIR"""
import json
import os
import subprocess
import sys
import time

build, tmp = sys.argv[1:3]
RAPPORTD = os.path.join(build, "src", "rapportd")
RAPPORT = os.path.join(build, "src", "rapport")
NOW = int(time.time()) // 60 * 60 - 60  # a minute ago, on the minute
DAY = 86400
ME = "liaison@univ.example"
passed = failed = 0


def ok(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    print(("ok - " if cond else "not ok - ") + what)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Box:
    """An mbox of INBOX and one of Sent for one account."""

    def __init__(self, name, me=ME):
        self.name, self.me = name, me
        self.inbox, self.sent = [], []

    def msg(self, mid, frm, to, days, subject, irt=None, folder=None, extra=()):
        t = NOW - int(days * DAY)
        h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
             "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
             "Message-ID: <%s@rules.example>" % mid]
        if irt:
            h += ["In-Reply-To: <%s@rules.example>" % irt,
                  "References: <%s@rules.example>" % irt]
        h += list(extra)
        box = folder if folder is not None else (self.sent if frm == self.me else self.inbox)
        box.append("From %s %s\n%s\n\ntext\n" % (
            frm, time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)), "\n".join(h)))

    def write(self):
        d = os.path.join(tmp, self.name)
        os.makedirs(d, exist_ok=True)
        for folder, msgs in (("INBOX", self.inbox), ("Sent", self.sent)):
            with open(os.path.join(d, folder + ".mbox"), "w") as f:
                f.write("\n".join(msgs))
        return d


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def setup(box, accounts=None):
    d = box.write()
    conf = os.path.join(d, "r.conf")
    accounts = accounts or [("chem", ME)]
    with open(conf, "w") as f:
        f.write('database = "%s/r.db";\naccounts = (\n' % d)
        f.write(",\n".join('  { name = "%s"; identity = [ "%s" ]; }' % a for a in accounts))
        f.write("\n);\n")
    return d, conf


def imp(conf, d, account=None, prefix=""):
    args = [RAPPORTD, "-c", conf]
    if account:
        args += ["--account", account]
    r = run(*(args + ["--import", os.path.join(d, prefix + "INBOX.mbox"),
                      os.path.join(d, prefix + "Sent.mbox")]))
    ok(r.returncode == 0, "%s: import exits 0 (%s)" % (os.path.basename(d), r.stderr.strip()[-200:]))


def clients(conf, *extra):
    r = run(RAPPORT, "-c", conf, "--json", *extra, "clients")
    return {c["client"]: c for c in json.loads(r.stdout or "[]")}


def nudges(conf):
    r = run(RAPPORT, "-c", conf, "--json", "nudges")
    return json.loads(r.stdout or "[]")


# --- 1. twin copies at one instant thread as one conversation ------------------
# The liaison's "Grant deadline" to Xena was filed twice under two
# Message-IDs (same Date, same subject, no threading headers), 40 days ago;
# Xena answered the second copy a day later. By §3 the second copy joins
# the first (same subject, common client, "before" = same date, smaller
# Message-ID: twin-a < twin-b). So one outreach, liaison-initiated,
# answered (39 - 40 = 1 day <= 30): n = 1, a = 1, P = (1 + 1) / (1 + 2).
b = Box("twins")
X = "xena@bio.univ.example"
b.msg("twin-a", ME, X, 40, "Grant deadline")
b.msg("twin-b", ME, X, 40, "Grant deadline")
b.msg("twin-reply", X, ME, 39, "Re: Grant deadline", irt="twin-b")
d, conf = setup(b)
imp(conf, d)
c = clients(conf).get(X, {})
ok(c.get("liaison_initiated") == 1, "twins: one outreach, not two (%s)" % c.get("liaison_initiated"))
ok(c.get("decided") == 1 and c.get("answered") == 1,
   "twins: decided 1, answered 1 (%s, %s)" % (c.get("decided"), c.get("answered")))
ok(abs(c.get("response_rate", 0) - 2 / 3) < 1e-6, "twins: P = 2/3 (%s)" % c.get("response_rate"))

# --- 2. a same-dated inbound pair, then later replies (the bug) ------------------
# Yusuf's "Thesis data" reached both of the liaison's addresses as two
# copies, thesis-1 and thesis-2, at the same instant, 50 days ago; the
# liaison answered a day later and Yusuf wrote again, both by subject
# only. thesis-2 joins thesis-1 (same instant, thesis-1 < thesis-2), and
# the two replies join that thread: one client-initiated projection, no
# liaison-initiated one; the liaison's latency is 24 hours.
b = Box("pair")
Y = "yusuf@phys.univ.example"
b.msg("thesis-1", Y, ME, 50, "Thesis data")
b.msg("thesis-2", Y, "l.iaison@univ.example, " + ME, 50, "Thesis data")
b.msg("thesis-3", ME, Y, 49, "Re: Thesis data")
b.msg("thesis-4", Y, ME, 48, "Re: Thesis data")
d, conf = setup(b)
imp(conf, d)
c = clients(conf).get(Y, {})
ok(c.get("client_initiated") == 1, "pair: one client-initiated thread (%s)" % c.get("client_initiated"))
ok(c.get("liaison_initiated") == 0 and c.get("unknown_initiated") == 0,
   "pair: no other thread (%s liaison, %s unknown)" % (c.get("liaison_initiated"), c.get("unknown_initiated")))
ok((c.get("latencies") or {}).get("liaison_median_hours") == 24,
   "pair: the liaison answered in 24 hours (%s)" % (c.get("latencies") or {}))

# --- 3. one-sided by ratio after an answered outreach: the due instant ----------
# Zoe: five outreach threads, each its own subject, t0 = 100, 99, 98, 97
# and 96 days ago; only the last (96) was answered, 95 days ago. Decided
# (reply window 30): the answered one at 95 days ago; the others,
# unanswered, at t0 + 30 = 70, 69, 68, 67 days ago. One-sided means n >= 3
# and a/n < 0.25, or the 3 latest decided (by t0) all unanswered:
#   70 days ago: {U100, A96}               n 2                  no
#   69 days ago: {U100, U99, A96}          a/n 1/3, last 3 UUA  no
#   68 days ago: {U100, U99, U98, A96}     a/n 1/4 (not < 1/4)  no
#   67 days ago: {U100 .. U97, A96}        a/n 1/5 = 0.2        yes (ratio)
# Nothing changes after (no message leaves the 365-day window), so the
# run began 67 days ago: the one-sided nudge is due at NOW - 67 days, to
# the second, and it is about the latest unanswered outreach (97 days).
b = Box("ratio")
Z = "zoe@hist.univ.example"
for days in (100, 99, 98, 97, 96):
    b.msg("out-%d" % days, ME, Z, days, "Question %d" % days)
b.msg("ans-96", Z, ME, 95, "Re: Question 96", irt="out-96")
d, conf = setup(b)
imp(conf, d)
c = clients(conf).get(Z, {})
ok(c.get("one_sided") is True, "ratio: Zoe is one-sided (%s)" % c.get("one_sided"))
ok(c.get("decided") == 5 and c.get("answered") == 1 and c.get("unanswered_streak") == 0,
   "ratio: n 5, a 1, no unanswered streak (%s, %s, %s)" % (
       c.get("decided"), c.get("answered"), c.get("unanswered_streak")))
ns = [n for n in nudges(conf) if n["client"] == Z and n["kind"] == "one-sided"]
ok(len(ns) == 1, "ratio: one one-sided nudge (%d)" % len(ns))
if ns:
    ok(ns[0]["due"] == iso(NOW - 67 * DAY),
       "ratio: due when the run began, %s (%s)" % (iso(NOW - 67 * DAY), ns[0]["due"]))
    ok(ns[0]["about"] == iso(NOW - 97 * DAY) and ns[0]["subject"] == "Question 97",
       "ratio: about the latest unanswered outreach (%s, %s)" % (ns[0]["about"], ns[0]["subject"]))

# rapport --as-of DATE nudges computes from the messages as of DATE, with
# ages counted from DATE. On Zoe's mailbox, at three instants:
#   68 days ago: not yet one-sided (a/n = 1/4); the four unanswered
#     outreach (t0 100..97 days ago, no word from Zoe at all) are 32..29
#     days old, inside [7, 45]: four follow-ups, due t0 + 7 days;
#   67 days ago: one-sided, due that very instant (bounds are inclusive),
#     about "Question 97", 97 - 67 = 30 days old; the four follow-ups too;
#   50 days ago: the outreach is 50..47 days old, past give_up_days (45):
#     no follow-up; still one-sided since 67 days ago.
def at(days):
    r = run(RAPPORT, "-c", conf, "--as-of", iso(NOW - days * DAY), "--json", "nudges")
    return sorted((n["kind"], n["due"], n["age_days"], n["subject"], n["state"])
                  for n in json.loads(r.stdout or "[]"))


fu = [("follow-up", iso(NOW - (t0 - 7) * DAY)) for t0 in (100, 99, 98, 97)]
got = at(68)
ok([(k, d) for k, d, _, _, _ in got] == sorted(fu),
   "as of 68 days ago: the four follow-ups only (%s)" % got)
got = at(67)
ok(sorted((k, d) for k, d, _, _, _ in got) == sorted(fu + [("one-sided", iso(NOW - 67 * DAY))]),
   "as of 67 days ago: the follow-ups and the one-sided nudge (%s)" % got)
ok(("one-sided", iso(NOW - 67 * DAY), 30, "Question 97", "open") in got,
   "as of 67 days ago: one-sided about Question 97, 30 days old, open")
got = at(50)
ok(got == [("one-sided", iso(NOW - 67 * DAY), 47, "Question 97", "open")],
   "as of 50 days ago: only the one-sided nudge, 47 days old (%s)" % got)

# --- 4. reply-owed only while the liaison has not answered ---------------------
# Wanda asked 5 days ago, the liaison answered 4 days ago, Wanda said
# "thanks, all done!" 3 days ago (to the liaison, in To): the liaison has
# answered the projection, so nothing is owed. Walt asked 5 days ago and
# had no answer: reply-owed, due at his message + owed_days (2) = 3 days
# ago.
b = Box("owed")
W1, W2 = "wanda@chem.univ.example", "walt@chem.univ.example"
b.msg("w1-q", W1, ME, 5, "Can you help with ORCID?")
b.msg("w1-a", ME, W1, 4, "Re: Can you help with ORCID?", irt="w1-q")
b.msg("w1-thanks", W1, ME, 3, "Re: Can you help with ORCID?", irt="w1-a")
b.msg("w2-q", W2, ME, 5, "Can you help with Zotero?")
d, conf = setup(b)
imp(conf, d)
owed = {n["client"]: n for n in nudges(conf) if n["kind"] == "reply-owed"}
ok(W1 not in owed, "owed: a closing thanks after the liaison's answer owes nothing")
ok(W2 in owed and owed[W2]["due"] == iso(NOW - 3 * DAY),
   "owed: the unanswered question is owed, due %s (%s)" % (iso(NOW - 3 * DAY), owed.get(W2, {}).get("due")))

# --- 5. List-Unsubscribe alone makes list mail; automated senders; colleagues ----
# A newsletter with only List-Unsubscribe is list mail, so its sender is
# no counterpart; five personal-looking messages from the automated local
# parts §1 added, each answered by the liaison: their senders are never
# clients. The one real client, Vera, is.
b = Box("auto")
b.msg("news", "news@lib.univ.example", ME, 10, "Library news",
      extra=["List-Unsubscribe: <mailto:unsub@lib.univ.example>"])
robots = ["no.address@univ.example", "notifications@canvas.univ.example",
          "newsletters@press.univ.example", "announcement-list@univ.example",
          "bounces-42@mail.univ.example"]
for i, r in enumerate(robots):
    b.msg("robot-%d" % i, r, ME, 8, "Update %d" % i)
    b.msg("robot-r%d" % i, ME, r, 7, "Re: Update %d" % i, irt="robot-%d" % i)
V = "vera@math.univ.example"
b.msg("vera", V, ME, 6, "Hello")
d, conf = setup(b)
imp(conf, d)
cs = clients(conf)
ok("news@lib.univ.example" not in cs, "auto: List-Unsubscribe alone is list mail, its sender no client")
for r in robots:
    ok(r not in cs, "auto: %s is never a client" % r)
ok(V in cs, "auto: the real client is one")

# Two liaisons mail each other: a colleague is never a client of the
# other account, whichever account's mail says so.
b = Box("colleagues")
A, B = ME, "other.liaison@univ.example"
b.msg("c1", A, B, 12, "Team meeting", folder=b.sent)
b.msg("c2", B, A, 11, "Re: Team meeting", irt="c1", folder=b.inbox)
b.msg("c3", A, V, 10, "Data plan", folder=b.sent)
d, conf = setup(b, accounts=[("chem", A), ("phys", B)])
imp(conf, d, account="chem")
# the same mail as seen from the other mailbox
b2 = Box("colleagues")
b2.msg("c1", A, B, 12, "Team meeting", folder=b2.inbox)
b2.msg("c2", B, A, 11, "Re: Team meeting", irt="c1", folder=b2.sent)
for folder, msgs in (("other-INBOX", b2.inbox), ("other-Sent", b2.sent)):
    with open(os.path.join(d, folder + ".mbox"), "w") as f:
        f.write("\n".join(msgs))
r = run(RAPPORTD, "-c", conf, "--account", "phys", "--folder", "INBOX", "--import",
        os.path.join(d, "other-INBOX.mbox"))
r2 = run(RAPPORTD, "-c", conf, "--account", "phys", "--folder", "Sent", "--import",
         os.path.join(d, "other-Sent.mbox"))
ok(r.returncode == 0 and r2.returncode == 0, "colleagues: the other mailbox imports")
all_rows = json.loads(run(RAPPORT, "-c", conf, "--json", "clients").stdout or "[]")
pairs = {(c["liaison"], c["client"]) for c in all_rows}
ok(("chem", B) not in pairs, "colleagues: the other liaison is no client of chem")
ok(("phys", A) not in pairs, "colleagues: nor chem's liaison a client of phys")
ok(("chem", V) in pairs, "colleagues: chem's real client is one")

print("model-rules: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
