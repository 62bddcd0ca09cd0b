#!/usr/bin/env python3
"""A library team (issue 13, DOMAIN.md §1 "Whose client", §4 "Aggregates"
and "team view"): two, then three liaison accounts, a roster with a
liaison column, small mailboxes, and the numbers worked out here from the
formulas of DOMAIN.md §4 (not from rapport's output).
Usage: team.py BUILDDIR TMPDIR"""
import csv
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import done, klass, median, ok, run, tie, w  # noqa: E402

build, tmp = sys.argv[1:3]
RAPPORTD = os.path.join(build, "src", "rapportd")
RAPPORT = os.path.join(build, "src", "rapport")
NOW = int(time.time()) // 60 * 60 - 60
DAY = 86400
CHEM, PHYS, BIO = "chem.lib@univ.example", "phys.lib@univ.example", "bio.lib@univ.example"
ANN, BEN, CAT, DAN = ("ann@chem.univ.example", "ben@phys.univ.example",
                      "cat@chem.univ.example", "dan@bio.univ.example")




class Box:
    """One account's INBOX and Sent."""

    def __init__(self, me):
        self.me, self.inbox, self.sent = me, [], []

    def msg(self, mid, frm, to, days, subject, irt=None):
        t = NOW - int(days * DAY)
        h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
             "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
             "Message-ID: <%s@team.example>" % mid]
        if irt:
            h += ["In-Reply-To: <%s@team.example>" % irt, "References: <%s@team.example>" % irt]
        (self.sent if frm == self.me else self.inbox).append(
            "From %s %s\n%s\n\ntext\n" % (frm, time.strftime("%a %b %e %H:%M:%S %Y",
                                                             time.gmtime(t)), "\n".join(h)))

    def write(self, d, name):
        paths = []
        for folder, msgs in (("INBOX", self.inbox), ("Sent", self.sent)):
            p = os.path.join(d, "%s-%s.mbox" % (name, folder))
            with open(p, "w") as f:
                f.write("\n".join(msgs))
            paths.append(p)
        return paths






# chem and Ann: three outreach threads (own subjects), 100, 80 and 60 days
# ago, none answered: n = 3, a = 0 (one-sided), O = w(100)+w(80)+w(60),
# I = 0, so R = 0, B = 0 (s = 0 of 3).
chem = Box(CHEM)
for k, d in enumerate((100, 80, 60)):
    chem.msg("ca%d" % k, CHEM, ANN, d, "Reading list %d" % k)
ann_chem = tie(w(100) + w(80) + w(60), 0, 0, 3, 0, 3)
# phys and Ann: Ann starts four threads (50, 40, 30, 20 days ago), each
# answered a day later; phys starts two (35 and 15 days ago), each
# answered a day later. O = w(49)+w(39)+w(29)+w(19)+w(35)+w(15),
# I = w(50)+w(40)+w(30)+w(20)+w(34)+w(14); outreach n = 2, a = 2;
# s = 4 / 6.
phys = Box(PHYS)
for k, d in enumerate((50, 40, 30, 20)):
    phys.msg("pa%d" % k, ANN, PHYS, d, "Question %d" % k)
    phys.msg("pa%dr" % k, PHYS, ANN, d - 1, "Re: Question %d" % k, irt="pa%d" % k)
for k, d in enumerate((35, 15)):
    phys.msg("po%d" % k, PHYS, ANN, d, "New database %d" % k)
    phys.msg("po%dr" % k, ANN, PHYS, d - 1, "Re: New database %d" % k, irt="po%d" % k)
ann_phys = tie(sum(map(w, (49, 39, 29, 19, 35, 15))), sum(map(w, (50, 40, 30, 20, 34, 14))),
               2, 2, 4, 2)
# phys and Ben: Ben writes 10 days ago, phys answers a day later: one
# client-initiated thread, no outreach (P = 1/2), s = 1 so B = 0.
phys.msg("b1", BEN, PHYS, 10, "Lab access")
phys.msg("b1r", PHYS, BEN, 9, "Re: Lab access", irt="b1")
ben_phys = tie(w(9), w(10), 0, 0, 1, 0)
# Cat: on the roster for every account (no liaison named), no mail:
# dormant, tie 0, P = 1/2, a client of each account. Dan: the roster
# names phys (and an account that does not exist): a client of phys
# only, until bio writes to him (the three-account part).
DORMANT = (0, 0.5)

d = os.path.join(tmp, "team")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "roster.csv"), "w") as f:
    f.write("name,email,department,liaison\n"
            "Ann Alpha,%s,Chemistry,chem\n"
            "Ben Beta,%s,Physics,phys\n"
            "Cat Gamma,%s,Chemistry,\n"
            "Dan Delta,%s,Biology,phys;nosuch\n" % (ANN, BEN, CAT, DAN))


def write_conf(accounts):
    conf = os.path.join(d, "r.conf")
    with open(conf, "w") as f:
        f.write('database = "%s/r.db";\nroster_file = "roster.csv";\naccounts = (\n' % d)
        f.write(",\n".join('  { name = "%s"; liaison = "%s"; identity = [ "%s" ]; }' % a
                           for a in accounts))
        f.write("\n);\n")
    return conf


conf = write_conf([("chem", "Carla Chem", CHEM), ("phys", "Rob Liaison", PHYS)])

# the warning names the roster's file and line
r = run(RAPPORTD, "-c", conf, "--check-config")
ok("roster.csv:5" in r.stderr and "nosuch" in r.stderr,
   "an unknown liaison is a warning with file and line (%s)" % r.stderr.strip()[-160:])

# chem's mail only: phys has no mail yet, but its roster clients exist
r = run(RAPPORTD, "-c", conf, "--account", "chem", "--import", *chem.write(d, "chem"))
ok(r.returncode == 0, "chem imports (%s)" % r.stderr.strip()[-200:])


def rows(*extra):
    r = run(RAPPORT, "-c", conf, "--json", "clients", *extra)
    return {(c["liaison"], c["client"]): c for c in json.loads(r.stdout or "[]")}


got = rows()
ok(set(got) == {("chem", "Ann Alpha"), ("chem", "Cat Gamma"), ("phys", "Cat Gamma"),
                ("phys", "Ben Beta"), ("phys", "Dan Delta")},
   "before phys's mail: chem has Ann and Cat, phys its roster (%s)" % sorted(got))

r = run(RAPPORTD, "-c", conf, "--account", "phys", "--import", *phys.write(d, "phys"))
ok(r.returncode == 0, "phys imports (%s)" % r.stderr.strip()[-200:])
got = rows()
want = {("chem", "Ann Alpha"): ann_chem, ("chem", "Cat Gamma"): DORMANT,
        ("phys", "Ann Alpha"): ann_phys, ("phys", "Ben Beta"): ben_phys,
        ("phys", "Cat Gamma"): DORMANT, ("phys", "Dan Delta"): DORMANT}
ok(set(got) == set(want), "whose client: the pairs (%s)" % sorted(got))
for k, (t, p) in want.items():
    c = got.get(k, {})
    ok(c.get("tie_strength") == t and abs(c.get("response_rate", -1) - p) < 1e-9,
       "%s/%s: tie %d, P %.4f (%s, %s)" % (k[0], k[1], t, p, c.get("tie_strength"),
                                          c.get("response_rate")))
ok(got.get(("chem", "Ann Alpha"), {}).get("one_sided") is True, "chem/Ann is one-sided")
ok(klass(ann_phys[0]) == "strong", "the fixture: phys/Ann is strong (%d)" % ann_phys[0])

# stored scores and --as-of agree on whose client: each stored row equals
# the row --as-of computes at that row's instant (the import rescored
# phys only, so chem's rows may be a second older than phys's)
stored = run(RAPPORT, "-c", conf, "--csv", "clients").stdout
rows_stored = list(csv.DictReader(io.StringIO(stored)))
first = rows_stored[0] if rows_stored else {}
same = len(rows_stored) == 6
for t in sorted({r["as_of"] for r in rows_stored}):
    fly = {(r["liaison"], r["client"]): r for r in csv.DictReader(io.StringIO(
        run(RAPPORT, "-c", conf, "--as-of", t[:19], "--csv", "clients").stdout))}
    same &= all(fly.get((r["liaison"], r["client"])) == r for r in rows_stored if r["as_of"] == t)
    same &= len(fly) == 6
ok(same, "stored scores = --as-of at each row's instant (%d rows, %d instants)"
   % (len(rows_stored), len({r["as_of"] for r in rows_stored})))

# per liaison: over that account's clients
lia = {g["liaison"]: g for g in json.loads(run(RAPPORT, "-c", conf, "--json",
                                                "liaisons").stdout or "[]")}
c = lia.get("chem", {})
ok(c.get("clients") == 2 and c.get("by_class", {}).get("weak") == 2 and
   abs(c.get("median_tie_strength", -1) - (ann_chem[0] + 0) / 2) < 1e-9 and
   abs(c.get("median_response_rate", -1) - (0.2 + 0.5) / 2) < 1e-9 and
   abs(c.get("share_one_sided", -1) - 0.5) < 1e-9,
   "liaison chem: 2 clients, median tie %.1f, median P 0.35, half one-sided (%s)"
   % (ann_chem[0] / 2, c))
p = lia.get("phys", {})
ties = [ann_phys[0], ben_phys[0], 0, 0]
ok(p.get("clients") == 4 and abs(p.get("median_tie_strength", -1) - median(ties)) < 1e-9,
   "liaison phys: 4 clients, median tie %s (%s)" % (median(ties), p))

# per department: each client once, by its strongest relationship
dep = {g["department"]: g for g in json.loads(run(RAPPORT, "-c", conf, "--json",
                                                  "departments").stdout or "[]")}
ch = dep.get("Chemistry", {})
ok(ch.get("clients") == 2 and
   abs(ch.get("median_tie_strength", -1) - (ann_phys[0] + 0) / 2) < 1e-9 and
   ch.get("share_one_sided") == 0,
   "Chemistry: Ann once (phys's tie %d), Cat once; none one-sided (%s)" % (ann_phys[0], ch))
ok(dep.get("Biology", {}).get("clients") == 1, "Biology: Dan once")
only = {g["department"]: g for g in json.loads(run(
    RAPPORT, "-c", conf, "--json", "departments", "--liaison", "chem").stdout or "[]")}
ok(abs(only.get("Chemistry", {}).get("median_tie_strength", -1) - ann_chem[0] / 2) < 1e-9 and
   "Biology" not in only, "departments --liaison chem: chem's ties only (%s)" % only)

# the LIAISON column and --liaison (repeatable) on the lists
t = run(RAPPORT, "-c", conf, "clients").stdout
ok(t.splitlines()[0].split()[:3] == ["CLIENT", "LIAISON", "DEPARTMENT"] and
   all(len(l) <= 80 for l in t.splitlines()), "clients: a LIAISON column, 80 columns")
two = rows("--liaison", "chem", "--liaison", "phys")
ok(len(two) == 6 and len(rows("--liaison", "phys")) == 4, "--liaison is repeatable")
r = run(RAPPORT, "-c", conf, "weak", "--liaison", "nobody")
ok(r.returncode == 2 and "nobody" in r.stderr and "chem" in r.stderr,
   "--liaison of no account: exit 2, names the accounts (%s)" % r.stderr.strip())
for cmd in ("weak", "nudges", "departments", "liaisons"):
    r = run(RAPPORT, "-c", conf, cmd, "--liaison", "chem")
    ok(r.returncode in (0, 1) and "unrecognized" not in r.stderr, "%s takes --liaison" % cmd)

# the team view, strongest first, then each account's evidence
r = run(RAPPORT, "-c", conf, "show", "Ann Alpha")
lines = r.stdout.splitlines()
ok(r.returncode == 0 and "team" in lines[0] and lines[1].split()[:2] == ["LIAISON", "TIE"],
   "show: opens with the team view")
ok(len(lines) > 3 and lines[2].split()[:3] == ["Rob", "Liaison", str(ann_phys[0])] and
   lines[3].split()[:2] == ["Carla", "Chem"], "show: strongest first (%s)" % lines[2:4])
ok(lines[3].split()[3] == "weak*" and lines[3].split()[-1] == "1",
   "show: chem's row is weak, one-sided, one open nudge (%s)" % lines[3])
ok(sum(1 for l in lines if l.startswith("  liaison ")) == 2, "show: then both accounts' evidence")

# an introduction: chem's one-sided nudge about Ann names Rob Liaison
nud = json.loads(run(RAPPORT, "-c", conf, "--json", "nudges").stdout or "[]")
one = [n for n in nud if n["liaison"] == "chem" and n["client"] == "Ann Alpha"]
hint = "Rob Liaison has a strong tie (%d) with this client: ask for an introduction" % ann_phys[0]
ok(one and one[0]["kind"] == "one-sided" and hint in one[0]["reason"],
   "one-sided nudge: %s (%s)" % (hint, one and one[0]["reason"]))
ok(not any("introduction" in n["reason"] for n in nud if n["liaison"] == "phys"),
   "no introduction where no other liaison is close")
t = run(RAPPORT, "-c", conf, "nudges").stdout
ok("LIAISON" in t.splitlines()[0] and "ask for an" in t, "nudges table: LIAISON, the hint")
fly = json.loads(run(RAPPORT, "-c", conf, "--as-of", first.get("as_of", "x")[:19], "--json",
                     "nudges").stdout or "[]")
ok([n["reason"] for n in fly] == [n["reason"] for n in nud], "--as-of gives the same hints")

# three accounts: bio writes to Dan (a phys roster client) 5 days ago
bio = Box(BIO)
bio.msg("d1", BIO, DAN, 5, "Herbarium")
conf = write_conf([("bio", "Bea Bio", BIO), ("chem", "Carla Chem", CHEM),
                   ("phys", "Rob Liaison", PHYS)])
r = run(RAPPORTD, "-c", conf, "--account", "bio", "--import", *bio.write(d, "bio"))
ok(r.returncode == 0, "bio imports (%s)" % r.stderr.strip()[-200:])
got = rows()
# pending outreach only: n = 0, O = w(5), I = 0, R = 0, s = 0 of 1
dan_bio = tie(w(5), 0, 0, 0, 0, 1)
ok(set(got) == set(want) | {("bio", "Dan Delta"), ("bio", "Cat Gamma")},
   "three accounts: bio has Dan (by mail) and Cat (the roster) (%s)" % sorted(got))
ok(got.get(("bio", "Dan Delta"), {}).get("tie_strength") == dan_bio[0],
   "bio/Dan: tie %d" % dan_bio[0])
dep = {g["department"]: g for g in json.loads(run(RAPPORT, "-c", conf, "--json",
                                                  "departments").stdout or "[]")}
b = dep.get("Biology", {})
ok(b.get("clients") == 1 and b.get("median_tie_strength") == max(dan_bio[0], 0),
   "Biology: Dan once, by bio's tie %d (%s)" % (dan_bio[0], b))
ok(dep.get("Chemistry", {}).get("clients") == 2, "Chemistry: still 2 clients with 3 accounts")
lia = {g["liaison"]: g["clients"] for g in json.loads(run(RAPPORT, "-c", conf, "--json",
                                                           "liaisons").stdout or "[]")}
ok(lia == {"bio": 2, "chem": 2, "phys": 4}, "per liaison: bio 2, chem 2, phys 4 (%s)" % lia)

done("team")
