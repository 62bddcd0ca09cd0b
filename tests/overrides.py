#!/usr/bin/env python3
"""Overrides (issue 17, DOMAIN.md §1 "Overrides", §5 cadence): not a
client, same person, cadence, on small mailboxes with the numbers worked
out here from DOMAIN.md §4, not from rapport's output. Dates are relative
to NOW, taken once at start.
Usage: overrides.py BUILDDIR TMPDIR"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import done, ok, run, tie, w  # noqa: E402

build, tmp = sys.argv[1:3]
RAPPORTD = os.path.join(build, "src", "rapportd")
RAPPORT = os.path.join(build, "src", "rapport")
NOW = int(time.time()) // 60 * 60 - 60
DAY = 86400
ME, PHYS = "chem.lib@univ.example", "phys.lib@univ.example"
VENDOR = "sales@vendor.example"
WORK, HOME = "pat.work@chem.univ.example", "pat.home@mail.example"
DEAN = "dean@chem.univ.example"






def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


box = {"INBOX": [], "Sent": [], "phys-INBOX": [], "phys-Sent": []}


def msg(mid, frm, to, days, subject, irt=None, me=ME, prefix=""):
    t = NOW - int(days * DAY)
    h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
         "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
         "Message-ID: <%s@over.example>" % mid]
    if irt:
        h += ["In-Reply-To: <%s@over.example>" % irt, "References: <%s@over.example>" % irt]
    folder = prefix + ("Sent" if frm == me else "INBOX")
    box[folder].append("From %s %s\n%s\n\ntext\n" % (
        frm, time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)), "\n".join(h)))


# the vendor: writes 20 days ago, the liaison answers a day later (chem),
# and the same with phys
msg("v1", VENDOR, ME, 20, "Your subscription")
msg("v1r", ME, VENDOR, 19, "Re: Your subscription", irt="v1")
msg("pv1", VENDOR, PHYS, 20, "Your subscription", me=PHYS, prefix="phys-")
msg("pv1r", PHYS, VENDOR, 19, "Re: Your subscription", irt="pv1", me=PHYS, prefix="phys-")
# Pat, one person with two addresses: the liaison's outreach 40 days ago
# went to the work address; Pat answered from home a day later. Merged,
# it is one outreach, answered (39 > 40 - 30): n = 1, a = 1; O = w(40),
# I = w(39); s = 0 of 1 liaison-started, so B = 0.
msg("p1", ME, WORK, 40, "Survey of data needs")
msg("p1r", HOME, ME, 39, "Re: Survey of data needs", irt="p1")
pat = tie(w(40), w(39), 1, 1, 0, 1)
# the dean: the liaison writes every 3 days from 60 to 30 days ago, never
# answered (a weak tie); the usual reconnect rule asks for more than 30
# days of silence (reconnect_days, above 8 x 3): nothing at NOW (30 days).
for k, d in enumerate(range(60, 29, -3)):
    msg("d%d" % k, ME, DEAN, d, "Library update %d" % k)
LAST_DEAN = NOW - 30 * DAY

d = os.path.join(tmp, "over")
os.makedirs(d, exist_ok=True)
for name, msgs in box.items():
    with open(os.path.join(d, name + ".mbox"), "w") as f:
        f.write("\n".join(msgs))
roster = os.path.join(d, "roster.csv")


def write_roster(extra=""):
    with open(roster, "w") as f:
        f.write("name,email,department\nDean Dana,%s,Chemistry\nAnn Roster,ann@chem.univ.example,"
                "Chemistry\nBob Roster,bob@chem.univ.example,Chemistry\n%s" % (DEAN, extra))


write_roster()
conf = os.path.join(d, "r.conf")
with open(conf, "w") as f:
    f.write('database = "%s/r.db";\nroster_file = "roster.csv";\naccounts = (\n'
            '  { name = "chem"; liaison = "Carla Chem"; identity = [ "%s" ]; },\n'
            '  { name = "phys"; identity = [ "%s" ]; } );\n' % (d, ME, PHYS))
for acct, pre in (("chem", ""), ("phys", "phys-")):
    r = run(RAPPORTD, "-c", conf, "--account", acct, "--import",
            os.path.join(d, pre + "INBOX.mbox"), os.path.join(d, pre + "Sent.mbox"))
    ok(r.returncode == 0, "%s imports (%s)" % (acct, r.stderr.strip()[-160:]))


def rp(*args, env=None):
    return run(RAPPORT, "-c", conf, *args, env=env)


def rows(*extra):
    r = rp("--json", *extra, "clients")
    return {(c["liaison"], c["client"]): c for c in json.loads(r.stdout or "[]")}


AT = iso(NOW + 60)


def listings():
    """Everything a liaison reads, as text: the stored tables, and every
    format as of one instant (the stored rows carry the instant they were
    scored at)."""
    out = [rp(*c).stdout for c in (("clients",), ("weak",), ("departments",), ("liaisons",),
                                   ("nudges",))]
    out += [rp("--as-of", AT, f, *c).stdout for f in ("--json", "--csv")
            for c in (("clients",), ("departments",), ("nudges",))]
    out += [rp("--as-of", AT, "show", w).stdout for w in ("Dean Dana", WORK, VENDOR)]
    return "".join(out)


def recompute():
    r = run(RAPPORTD, "-c", conf, "--recompute")
    ok(r.returncode == 0, "rapportd --recompute (%s)" % r.stderr.strip()[-120:])


before = listings()
got = rows()
ok(("chem", VENDOR) in got and ("phys", VENDOR) in got, "before: the vendor is a client of both")
ok(("chem", WORK) in got and ("chem", HOME) in got, "before: Pat is two clients")

# --- not a client ---------------------------------------------------------------
r = rp("ignore", VENDOR, "--reason", "a vendor", "--liaison", "chem")
ok(r.returncode == 0, "ignore --liaison chem (%s)" % r.stderr.strip())
fly = {k for k in json.loads(rp("--as-of", AT, "--json", "clients").stdout or "[]")
       for k in [(k["liaison"], k["client"])]}
ok(("chem", VENDOR) not in fly and ("phys", VENDOR) in fly,
   "--as-of honours it at once, for chem only")
ok(("chem", VENDOR) in rows(), "stored scores change at the next refresh, not before")
recompute()
got = rows()
ok(("chem", VENDOR) not in got and ("phys", VENDOR) in got, "after the refresh: gone from chem only")
dep = {g["department"]: g["clients"] for g in json.loads(rp("--json", "departments").stdout)}
ok(dep.get("(unassigned)") == 3, "(unassigned): the vendor once (phys's), Pat's two addresses (%s)" % dep)
ok(not any(n["client"] == VENDOR and n["liaison"] == "chem"
           for n in json.loads(rp("--json", "nudges", "--all").stdout or "[]") if n["state"] == "open"),
   "and has no open nudge with chem")
r = rp("unignore", VENDOR, "--liaison", "chem")
ok(r.returncode == 0, "unignore")
recompute()
ok(listings() == before, "unignore restores every listing byte for byte")

# --- same person ----------------------------------------------------------------
r = rp("merge", WORK, HOME)
ok(r.returncode == 0, "merge two correspondents (%s)" % r.stderr.strip())
recompute()
got = rows()
c = got.get(("chem", WORK), {})
ok(("chem", HOME) not in got and c, "one client, named after the first (%s)" % sorted(k[1] for k in got))
ok(c.get("liaison_initiated") == 1 and c.get("client_initiated") == 0 and
   c.get("unknown_initiated") == 0, "the thread across both addresses is one outreach")
ok(c.get("decided") == 1 and c.get("answered") == 1, "answered from the other address")
ok(c.get("tie_strength") == pat[0] and abs(c.get("response_rate", 0) - pat[1]) < 1e-6,
   "Pat: tie %d, P %.4f (%s, %s)" % (pat[0], pat[1], c.get("tie_strength"), c.get("response_rate")))
r = rp("merge", "Ann Roster", "Bob Roster")
ok(r.returncode == 1 and "both on the roster" in r.stderr, "two roster clients: refused, saying why")
r = rp("merge", "Ann Roster", "ann@chem.univ.example")
ok(r.returncode == 1 and "one client already" in r.stderr, "a client with itself: refused")
r = rp("merge", "Nobody Here", WORK)
ok(r.returncode == 1 and "no client named" in r.stderr, "an unknown name: refused")
r = rp("unmerge", HOME)
ok(r.returncode == 0, "unmerge")
recompute()
ok(listings() == before, "unmerge restores every listing byte for byte")

# --- cadence ----------------------------------------------------------------------
def reconnect_of(who, *asof):
    r = rp(*asof, "--json", "nudges", "--kind", "reconnect")
    return [n for n in json.loads(r.stdout or "[]") if n["client"] == who]


ok(not reconnect_of("Dean Dana"), "without a cadence: no reconnect nudge for the dean")
ok(rows().get(("chem", "Dean Dana"), {}).get("class") == "weak", "the dean's tie is weak")
r = rp("cadence", "Dean Dana", "20", "--liaison", "chem")
ok(r.returncode == 0, "cadence 20 (%s)" % r.stderr.strip())
ok(not reconnect_of("Dean Dana", "--as-of", iso(LAST_DEAN + 20 * DAY)),
   "day 20 of the silence: no nudge yet")
n = reconnect_of("Dean Dana", "--as-of", iso(LAST_DEAN + 21 * DAY))
ok(len(n) == 1 and n[0]["due"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(LAST_DEAN + 20 * DAY)),
   "day 21: a reconnect nudge, due at the last message + 20 days (%s)" % (n and n[0]["due"]))
ok(n and "every 20 days" in n[0]["reason"], "saying the cadence (%s)" % (n and n[0]["reason"]))
r = rp("cadence", "Dean Dana", "weekly")
ok(r.returncode == 2, "cadence: a bad value is a usage error")

# --- overrides survive a restart and a roster change; the list --------------------
rp("ignore", VENDOR, "--liaison", "chem")
rp("merge", WORK, HOME, env=dict(os.environ, SUDO_USER="alice"))
write_roster("Cy New,cy@chem.univ.example,Chemistry\n")
recompute()
got = rows()
ok(("chem", VENDOR) not in got and ("chem", HOME) not in got and ("chem", "Cy New") in got,
   "after a restart and a roster change the overrides still hold")
n = reconnect_of("Dean Dana")
ok(len(n) == 1, "and the stored nudges have the cadence's")
lst = json.loads(rp("--json", "overrides").stdout or "[]")
kinds = sorted(o["kind"] for o in lst)
ok(kinds == ["cadence", "ignore", "merge"], "overrides lists the three (%s)" % kinds)
by = {o["kind"]: o for o in lst}
ok(by.get("ignore", {}).get("liaison") == "chem" and by.get("merge", {}).get("liaison") is None,
   "with the account each is for, or null for all")
ok(by.get("merge", {}).get("set_by", "").startswith("alice (sudo -u "), "who set it, behind sudo too")
ok(all(o.get("set_at", "").endswith("Z") for o in lst), "and when")
csv = rp("--csv", "overrides").stdout.splitlines()
ok(csv and csv[0] == "id,kind,liaison,subject,target,days,reason,set_by,set_at" and len(csv) == 4,
   "overrides --csv")
r = rp("--json", "ignore", VENDOR)
ok(r.returncode == 2, "ignore refuses --json")

# --- only the service user writes ---------------------------------------------------
os.chown(os.path.join(d, "r.db"), 65534, 65534)
r = rp("ignore", VENDOR)
os.chown(os.path.join(d, "r.db"), 0, 0)
ok(r.returncode == 1 and "only nobody changes it: run sudo -u nobody rapport ignore " + VENDOR in r.stderr
   and "readonly" not in r.stderr.lower(), "a user who cannot write is told how (%s)" % r.stderr.strip())

done("overrides")
