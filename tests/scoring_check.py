#!/usr/bin/env python3
"""Checks rapport's scores on the hand-built mailbox of scoring_fixture.py
against values worked out here from DOMAIN.md §3-§4, independently of
rapport's code. Usage: scoring_check.py BUILDDIR SRCDIR TMPDIR"""
import json
import math
import os
import subprocess
import sys

build, src, tmp = sys.argv[1:4]
RAPPORTD = os.path.join(build, "src", "rapportd")
RAPPORT = os.path.join(build, "src", "rapport")
AS_OF = "2024-07-01"
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)


def w(age):
    """A message's weight: 0.5^(age / 90), age in days."""
    return 0.5 ** (age / 90.0)


def R(o, i):
    return 2 * min(o, i) / (o + i) if o + i else 0.0


def B(client, liaison):
    if client + liaison == 0:
        return 0.0
    s = client / (client + liaison)
    return 2 * min(s, 1 - s)


def tie(o, i, p, b):
    v = 1 - math.exp(-(o + i) / 4)
    return math.floor(100 * v * (0.40 * R(o, i) + 0.35 * p + 0.25 * b) + 0.5)


def klass(t):
    return "strong" if t >= 60 else "moderate" if t >= 30 else "weak"


def expect(o, i, a, n, ci, li, **rest):
    p = (a + 1) / (n + 2)
    b = B(ci, li)
    t = tie(o, i, p, b)
    e = dict(out_weight=o, in_weight=i, reciprocity=R(o, i), response_rate=p,
             answered=a, decided=n, initiation_balance=b, client_initiated=ci,
             liaison_initiated=li, volume=1 - math.exp(-(o + i) / 4), tie_strength=t,
             **{"class": klass(t)})
    e.update(rest)
    return e


EXPECTED = {
    # O: a2 99, a4 49, a5 30, a8 9, a9 5 (a9's INBOX copy is the same message)
    # I: a1 100, a3 50 (also in Archive: counted once), a6 28, a7 10, a10 4
    # threads: a1, a3, a7 started by Ada; a5, a9 by the liaison, both answered
    #   (a6 2 days after a5, a10 1 day after a9): n = 2, a = 2, P = 3/4
    # B: s = 3/5, B = 2 * 0.4 = 0.8
    # phase: 3 threads started by Ada within 180 days, R180 = R > 0.5 -> commitment
    # trend: recent (age <= 90) 50 49 30 28 10 9 5 4 = 8, before (90, 180] 100 99 = 2,
    #   8/2 = 4 > 1.5 -> coming together
    # latencies: Ada median(48 h, 24 h) = 36 h; liaison 24 h, 24 h, 24 h -> 24 h
    "Ada Strong": expect(w(99) + w(49) + w(30) + w(9) + w(5),
                         w(100) + w(50) + w(28) + w(10) + w(4), 2, 2, 3, 2,
                         phase="commitment", trend="coming together", one_sided=False,
                         pending=0, undelivered=0, unknown_initiated=0,
                         department="Chemistry",
                         latencies={"client_median_hours": 36, "liaison_median_hours": 24}),
    # O: b1 200, b2 150, b3 120, b4 100, b5 80, b7 60; I: b6 79 (b8 is an auto-reply)
    # six outreach threads, all decided, one answered: a/n = 1/6 < 0.25 -> one-sided
    #   by ratio; the latest (b7) is unanswered but b5 before it was answered: streak 1
    # P = 2/8; B = 0 (no thread of Bob's); phase exploration (b6 is inbound)
    # trend: recent b5 80, b6 79, b7 60 = 3; before b2 150, b3 120, b4 100 = 3 -> steady
    "Bob Weak": expect(w(200) + w(150) + w(120) + w(100) + w(80) + w(60), w(79), 1, 6, 0, 6,
                       phase="exploration", trend="steady", one_sided=True,
                       unanswered_streak=1, pending=0, department="History",
                       latencies={"client_median_hours": 24, "liaison_median_hours": None}),
    # O: c1 170, c3 150, c5 120, c6 90, c7 40, c8 10; I: c2 168, c4 149
    # decided: c1 A, c3 A, c5 U, c6 U, c7 U (n = 5, a = 2, 0.4 >= 0.25); c8 pending
    #   the 3 latest decided are unanswered -> one-sided by streak
    # P = 3/7; B = 0; trend: recent c6 (exactly 90) c7 c8 = 3, before c1 c2 c3 c4 c5 = 5,
    #   3/5 = 0.6 < 0.67 -> coming apart
    "Cy Streak": expect(w(170) + w(150) + w(120) + w(90) + w(40) + w(10), w(168) + w(149),
                        2, 5, 0, 6, phase="exploration", trend="coming apart",
                        one_sided=True, unanswered_streak=3, pending=1,
                        latencies={"client_median_hours": 36, "liaison_median_hours": None}),
    # O: d1 300, d3 200; I: d2 299; d1 answered, d3 not: P = 2/4
    # last personal message 200 days ago >= 180 -> dormant; nothing within 180 -> steady
    "Dee Dormant": expect(w(300) + w(200), w(299), 1, 2, 0, 2, phase="dormant",
                          trend="steady", one_sided=False),
    # O: e1 45, e3 20; I: 0 (e2 is list mail); e1 decided unanswered, e3 pending
    # P = 1/3; no inbound personal message -> awareness; recent 2, before 0 -> new
    "Eve Aware": expect(w(45) + w(20), 0.0, 0, 1, 0, 2, phase="awareness", trend="new",
                        one_sided=False, pending=1),
    # I: f1 70 (from her second address), f3 65; O: f2 69
    # f3 has no threading headers and "RE:" in its subject: the subject rule puts it
    #   in f1's thread (else it would be a thread of unknown initiator)
    # one thread, started by Fay: B = 2 * min(1, 0) = 0; P = 1/2; liaison latency 24 h
    "Fay Two": expect(w(69), w(70) + w(65), 0, 0, 1, 0, phase="exploration", trend="new",
                      unknown_initiated=0, department="Mathematics",
                      latencies={"client_median_hours": None, "liaison_median_hours": 24}),
    # O: g1 100, g2 60; I: g3 59, g4 58
    # g1 bounced for Gus: undelivered, out of P; g2 answered by g3: n = 1, a = 1, P = 2/3
    # g4 replies to a message that is not stored: unknown initiator
    # B: 0 by Gus, 2 by the liaison -> 0; trend: recent 60 59 58 = 3, before 100 = 1
    #   -> coming together
    "Gus Bounce": expect(w(100) + w(60), w(59) + w(58), 1, 1, 0, 2, undelivered=1,
                         unknown_initiated=1, phase="exploration", trend="coming together"),
    # h1 went to 6 people: a broadcast, not counted (x1..x5 do not become clients)
    # h2 is personal; its parent h1 is stored, so the thread is Hal's: B = 0
    # O = 0, I = w(29): R = 0; department from the rule for chem.univ.example
    "Hal Broadcast": expect(0.0, w(29), 0, 0, 1, 0, department="Chemistry",
                            phase="exploration", trend="new"),
    # O: m2 39, m3 35, m5 33 (the forward still counts as a message); I: m1 40, m4 34
    # threads: m1 Mo's, m3 the liaison's (answered), m5 a forward (unknown)
    # P = 2/3; B = 2 * min(1/2, 1/2) = 1
    "Mo Moderate": expect(w(39) + w(35) + w(33), w(40) + w(34), 1, 1, 1, 1,
                          unknown_initiated=1, phase="exploration", trend="new"),
    # roster only: dormant, P = 1/2, tie 0
    "Rita Roster": expect(0.0, 0.0, 0, 0, 0, 0, phase="dormant", trend="steady",
                          department="Art"),
    # correspondents outside the roster (track_unknown): Uma, and Sam who shares the
    # liaison's domain (counted like anyone; department from the rule univ.example)
    "uma@unknown.example": expect(w(14), w(15), 0, 0, 1, 0, department="(unassigned)",
                                  phase="exploration", trend="new"),
    "sam@univ.example": expect(w(24), w(25), 0, 0, 1, 0, department="Central",
                               phase="exploration", trend="new"),
}


def run(*args, check=True):
    p = subprocess.run(args, capture_output=True, text=True)
    if check and p.returncode != 0:
        print(p.stdout, p.stderr)
    return p


def close(a, b):
    if b is None:
        return a is None
    if isinstance(b, bool) or isinstance(b, str):
        return a == b
    return a is not None and abs(a - b) <= 1e-5 * max(1.0, abs(b))


def compare(rows, expected):
    for name, e in expected.items():
        row = rows.get(name)
        ok(row is not None, "%s: present" % name)
        if row is None:
            continue
        for k, v in e.items():
            if k == "latencies":
                for lk, lv in v.items():
                    ok(close(row["latencies"][lk], lv), "%s: %s = %s (got %s)" %
                       (name, lk, lv, row["latencies"][lk]))
                continue
            ok(close(row.get(k), v), "%s: %s = %s (got %s)" % (name, k, v, row.get(k)))


# ---- track_unknown on ----------------------------------------------------------
d1 = os.path.join(tmp, "on")
os.makedirs(d1)
subprocess.run([sys.executable, os.path.join(src, "tests", "scoring_fixture.py"), d1], check=True)
conf = os.path.join(d1, "rapport.conf")
mboxes = [os.path.join(d1, f) for f in ("INBOX.mbox", "Sent.mbox", "Archive.mbox")]
p = run(RAPPORTD, "-c", conf, "--import", *mboxes)
ok(p.returncode == 0, "import exits 0")
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "--json", "clients")
ok(p.returncode == 0, "rapport --json clients exits 0")
data = json.loads(p.stdout)
rows = {r["client"]: r for r in data}
compare(rows, EXPECTED)
ok(len(rows) == len(EXPECTED), "exactly the expected clients (%d, got %d: %s)" %
   (len(EXPECTED), len(rows), sorted(set(rows) - set(EXPECTED))))
ok(not any(k.startswith("x") for k in rows), "broadcast-only recipients are not clients")
ok(rows.get("Fay Two", {}).get("address") in ("fay@math.univ.example", "f.lee@gmail.example"),
   "Fay's second address is normalised and hers")
ok(all(r["as_of"] == "2024-07-01T00:00:00Z" for r in data), "as_of on every row")

# the weak list: weak or one-sided, not dormant; tie ascending, then O descending
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "--json", "weak")
weak = [r["client"] for r in json.loads(p.stdout)]
want = sorted((n for n, e in EXPECTED.items()
               if e.get("phase") != "dormant" and (e["class"] == "weak" or e.get("one_sided"))),
              key=lambda n: (EXPECTED[n]["tie_strength"], -EXPECTED[n]["out_weight"], n))
ok(weak == want, "weak list order %s (got %s)" % (want, weak))
ok("Dee Dormant" not in weak and "Rita Roster" not in weak, "dormant clients are not in weak")
ok("Bob Weak" in weak and "Cy Streak" in weak, "one-sided clients are in weak")

# stored scores (written by the import's recompute, as of now) are read back the same
# way; here only their presence is checked, the values depend on today's date
p = run(RAPPORT, "-c", conf, "--json", "clients")
stored = json.loads(p.stdout)
ok(len(stored) == len(EXPECTED), "import stored a score row per client (%d)" % len(stored))

# departments: aggregates over the clients of each department
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "--json", "departments")
deps = {d["department"]: d for d in json.loads(p.stdout)}
chem = [n for n, e in EXPECTED.items() if e.get("department") == "Chemistry"]
ties = sorted(EXPECTED[n]["tie_strength"] for n in chem)
med = (ties[0] + ties[1]) / 2 if len(ties) == 2 else ties[len(ties) // 2]
ok(deps.get("Chemistry", {}).get("clients") == 2, "Chemistry has Ada and Hal")
ok(close(deps.get("Chemistry", {}).get("median_tie_strength"), med),
   "Chemistry median tie strength (even count: mean of the two) = %s" % med)
all_p = sorted(e["response_rate"] for e in EXPECTED.values())
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "--json", "liaisons")
li = json.loads(p.stdout)
ok(len(li) == 1 and li[0]["clients"] == len(EXPECTED), "one liaison with every client")
mid = len(all_p) // 2
ok(close(li[0]["median_response_rate"], (all_p[mid - 1] + all_p[mid]) / 2),
   "liaison median P over 12 clients")
ok(close(li[0]["share_one_sided"], 2 / 12), "share one-sided = 2/12")
ok(li[0]["by_phase"] == {"commitment": 1, "exploration": 8, "awareness": 1, "dormant": 2},
   "clients by phase %s" % li[0]["by_phase"])

# show: the timeline explains the score
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "show", "bob@hist.univ.example")
ok(p.returncode == 0, "show by address exits 0")
lines = p.stdout.splitlines()
ok(any("auto" in l and "not counted" in l for l in lines), "show marks the auto-reply not counted")
ok(sum(1 for l in lines if " unanswered " in l) == 5, "show: 5 unanswered outreach threads")
ok(sum(1 for l in lines if " answered " in l) == 1, "show: 1 answered")
ok("5 of 6 outreach threads unanswered" in p.stdout, "show gives the reason")
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "show", "Gus Bounce")
ok("bounced" in p.stdout and "not judged" in p.stdout, "show marks the bounced and the unseen-reply threads")
p = run(RAPPORT, "-c", conf, "--as-of", AS_OF, "show", "Nobody At All", check=False)
ok(p.returncode == 1, "show of an unknown client exits 1")

# ---- track_unknown off ---------------------------------------------------------
d2 = os.path.join(tmp, "off")
os.makedirs(d2)
subprocess.run([sys.executable, os.path.join(src, "tests", "scoring_fixture.py"), d2,
                "--no-track-unknown"], check=True)
conf2 = os.path.join(d2, "rapport.conf")
run(RAPPORTD, "-c", conf2, "--import", *[os.path.join(d2, f) for f in
                                          ("INBOX.mbox", "Sent.mbox", "Archive.mbox")])
p = run(RAPPORT, "-c", conf2, "--as-of", AS_OF, "--json", "clients")
rows2 = {r["client"]: r for r in json.loads(p.stdout)}
ok("uma@unknown.example" not in rows2 and "sam@univ.example" not in rows2,
   "track_unknown off: correspondents outside the roster are not clients")
compare({k: rows2.get(k) for k in ("Ada Strong", "Bob Weak")},
        {k: EXPECTED[k] for k in ("Ada Strong", "Bob Weak")}) if rows2 else None
ok(len(rows2) == 10, "track_unknown off: the 10 roster clients")

print("scoring: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
