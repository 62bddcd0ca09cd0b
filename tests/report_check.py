#!/usr/bin/python3
"""The HTML report (issue 14) as a reader and a browser see it: a team of
two liaisons with two years of mail, hostile names and subjects among the
clients; every page parsed by html5lib in strict mode; every history
point compared with `rapport --as-of` at that instant; the pages rendered
by headless chromium at desktop and phone width, with no console error,
no script run and no element injected.
Usage: report_check.py BUILDDIR TMPDIR"""
import glob
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import done, ok, run  # noqa: E402

import html5lib

build, tmp = sys.argv[1:3]
RAPPORTD = os.path.join(build, "src", "rapportd")
RAPPORT = os.path.join(build, "src", "rapport")
NOW = int(time.time()) // 60 * 60 - 60
DAY = 86400
CHEM, PHYS = "chem.lib@univ.example", "phys.lib@univ.example"
SCRIPT = "<script>document.title='pwned'</script>"
IMG = '"><img src=x onerror="document.title=1">'
RTL = "\u202eevil.exe\u202c Person"
LONG = "Subject " + "x" * 10000
S = "{http://www.w3.org/2000/svg}"  # html5lib puts inline SVG in its namespace




rng = random.Random(14)
box = {}
n = [0]


def msg(acct, me, frm, to, t, subject, irt=None):
    n[0] += 1
    mid = "r%d@report.example" % n[0]
    h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
         "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
         "Message-ID: <%s>" % mid]
    if irt:
        h += ["In-Reply-To: <%s>" % irt, "References: <%s>" % irt]
    folder = "%s-%s" % (acct, "Sent" if me in frm else "INBOX")
    box.setdefault(folder, []).append(
        "From %s %s\n%s\n\ntext\n" % (me if me in frm else "x@y.example",
                                      time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)),
                                      "\n".join(h)))
    return mid


def exchange(acct, me, who, days_ago, answered, subject):
    t = NOW - int(days_ago * DAY)
    mid = msg(acct, me, me, who, t, subject)
    if answered:
        msg(acct, me, who, me, t + rng.randrange(3600, 3 * DAY), "Re: " + subject, irt=mid)


clients = {
    "ann@chem.univ.example": ("Ann Steady", "chem", 0.9, range(700, 0, -20)),
    "bob@chem.univ.example": ("Bob Fading", "chem", 0.8, range(700, 200, -15)),
    "cy@chem.univ.example": ("Cy New", "chem", 0.9, range(90, 0, -9)),
    "dee@phys.univ.example": ("Dee Onesided", "chem", 0.1, range(400, 0, -25)),
    "evil1@law.univ.example": (SCRIPT, "chem", 0.5, range(300, 0, -40)),
    "evil2@law.univ.example": (IMG, "chem", 0.5, range(200, 0, -50)),
    "evil3@law.univ.example": (RTL, "phys", 0.5, range(250, 0, -30)),
    "fay@phys.univ.example": ("Fay Both", "phys", 0.9, range(500, 0, -12)),
}
roster = ["name,email,department,liaison"]
for addr, (name, acct, p, days) in clients.items():
    me = CHEM if acct == "chem" else PHYS
    for d in days:
        exchange(acct, me, addr, d, rng.random() < p, LONG if "evil3" in addr and d < 40 else
                 "Topic %d" % d if "evil" not in addr else "Re: " + SCRIPT + IMG)
    dept = "Law <b>&amp;</b> Order" if "law" in addr else "Chemistry"
    if "cy@" in addr:
        continue  # a correspondent: a client from its first message on
    roster.append('"%s",%s,"%s",%s' % (name.replace('"', '""'), addr, dept.replace('"', '""'),
                                       acct if "fay" not in addr else "phys;chem"))
# Fay also corresponds with chem, weakly
for d in range(300, 0, -60):
    exchange("chem", CHEM, "fay@phys.univ.example", d, False, "Chem question %d" % d)

d = os.path.join(tmp, "rep")
os.makedirs(d, exist_ok=True)
for folder, msgs in box.items():
    with open(os.path.join(d, folder + ".mbox"), "w") as f:
        f.write("\n".join(msgs))
with open(os.path.join(d, "roster.csv"), "w") as f:
    f.write("\n".join(roster) + "\n")
conf = os.path.join(d, "r.conf")
site = os.path.join(d, "site")
with open(conf, "w") as f:
    f.write('database = "%s/r.db";\nroster_file = "roster.csv";\nreport_dir = "%s";\n'
            'accounts = (\n  { name = "chem"; liaison = "Carla <Chem>"; identity = [ "%s" ]; },\n'
            '  { name = "phys"; liaison = "Rob Liaison"; identity = [ "%s" ]; } );\n'
            % (d, site, CHEM, PHYS))
for acct in ("chem", "phys"):
    r = run(RAPPORTD, "-c", conf, "--account", acct, "--import",
            os.path.join(d, acct + "-INBOX.mbox"), os.path.join(d, acct + "-Sent.mbox"))
    ok(r.returncode == 0, "%s imports (%s)" % (acct, r.stderr.strip()[-200:]))

# --- rapportd writes it (report_dir), with the database's modes --------------------
r = run(RAPPORTD, "-c", conf, "--recompute")
ok(r.returncode == 0 and os.path.isfile(os.path.join(site, "index.html")),
   "rapportd --recompute writes report_dir (%s)" % r.stderr.strip()[-200:])
ok(oct(os.stat(site).st_mode & 0o777) == "0o700" and
   all(os.stat(p).st_mode & 0o777 == 0o600 for p in glob.glob(site + "/*")),
   "the site has the database's modes (0700, 0600)")
pages = sorted(glob.glob(site + "/*.html"))
ok([os.path.basename(p) for p in pages] == ["index.html", "liaison-chem.html", "liaison-phys.html"],
   "index.html and one page per liaison (%s)" % [os.path.basename(p) for p in pages])
# again: replaced at once, nothing left beside it
inode = os.stat(site).st_ino
r = run(RAPPORT, "-c", conf, "report")
ok(r.returncode == 0 and r.stdout.startswith(site + "/index.html"), "rapport report prints the path")
ok(os.stat(site).st_ino != inode and not glob.glob(site + ".new-*"),
   "a new report replaces the old one by a rename, no temporary left")
os.makedirs(os.path.join(d, "notours"), exist_ok=True)
open(os.path.join(d, "notours", "keep.txt"), "w").write("mine")
r = run(RAPPORT, "-c", conf, "report", "-o", os.path.join(d, "notours"))
ok(r.returncode == 1 and "not a rapport report" in r.stderr and
   os.path.exists(os.path.join(d, "notours", "keep.txt")), "a directory that is not a report is refused")

# --- strict HTML, nothing injected -----------------------------------------------------
trees = {}
for p in pages:
    data = open(p, "rb").read()
    try:
        trees[p] = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(data)
        ok(True, "%s: html5lib parses it in strict mode" % os.path.basename(p))
    except Exception as e:  # html5lib raises ParseError on the first error
        ok(False, "%s: html5lib strict: %s" % (os.path.basename(p), e))
        trees[p] = html5lib.parse(data, namespaceHTMLElements=False)
for p, t in trees.items():
    name = os.path.basename(p)
    ok(not t.findall(".//script") and not t.findall(".//img") and not t.findall(".//iframe"),
       "%s: no script, img or iframe element" % name)
    ok(not [e for e in t.iter() if any(a.lower().startswith("on") for a in e.attrib)],
       "%s: no event handler attribute" % name)
    csp = [m for m in t.findall(".//meta") if m.get("http-equiv") == "Content-Security-Policy"]
    ok(csp and "default-src 'none'" in csp[0].get("content", ""), "%s: a CSP that fetches nothing" % name)
    ok(t.find(".//meta[@name='viewport']") is not None, "%s: a viewport for phones" % name)
    svgs = t.findall(".//" + S + "svg")
    ok(svgs and all(svg.find(S + "title") is not None for svg in svgs),
       "%s: %d charts, each with a <title>" % (name, len(svgs)))
chem = "".join(trees[os.path.join(site, "liaison-chem.html")].itertext())
phys = "".join(trees[os.path.join(site, "liaison-phys.html")].itertext())
ok(SCRIPT in chem and IMG in chem, "hostile names render as text")
ok(RTL in phys, "an RTL override renders as text")
ok("x" * 10001 not in phys + chem, "a 10,000-character subject is cut")
bdi = [e for e in trees[os.path.join(site, "liaison-phys.html")].iter("bdi") if RTL in (e.text or "")]
ok(bdi, "... isolated in <bdi>")

# --- every history point is what --as-of gives ------------------------------------------
asof = {}
checked = bad = 0
for p in pages[1:]:
    acct = os.path.basename(p)[len("liaison-"):-len(".html")]
    for svg in trees[p].findall(".//" + S + "svg"):
        if "big" not in svg.get("class", ""):
            continue
        who = svg.get("data-client")
        for c in svg.findall(S + "circle"):
            at = c.get("data-at")[:19]
            if at not in asof:
                out = run(RAPPORT, "-c", conf, "--as-of", at, "--json", "clients").stdout
                asof[at] = {(x["liaison"], x["client"]): x for x in json.loads(out or "[]")}
            want = asof[at].get((acct, who))
            checked += 1
            if not want or want["tie_strength"] != int(c.get("data-tie")):
                bad += 1
                if bad < 4:
                    print("# %s %s %s: chart %s, --as-of %s" % (acct, who, at, c.get("data-tie"),
                                                               want and want["tie_strength"]))
        # and no point where --as-of has no such client
        months = {c.get("data-at")[:19] for c in svg.findall(S + "circle")}
        for at, rows in asof.items():
            if at not in months and (acct, who) in rows and at[:7] in {m[:7] for m in months}:
                bad += 1
# fading ties: coming apart, or a reconnect nudge (Bob went quiet 200 days ago)
fad = trees[os.path.join(site, "liaison-chem.html")]
ok("Bob Fading" in "".join(fad.itertext()).split("Fading ties", 1)[1].split("Open nudges", 1)[0],
   "fading ties list the one gone quiet (a reconnect)")
ok(checked > 150 and bad == 0, "every history point equals --as-of at its instant (%d points, "
   "%d months, %d differ)" % (checked, len(asof), bad))
big = [x for x in trees[os.path.join(site, "liaison-chem.html")].findall(".//" + S + "svg")
       if "big" in x.get("class", "")]
ann = [x for x in big if x.get("data-client") == "Ann Steady"]
ok(ann and len(ann[0].findall(S + "circle")) == 24, "a relationship of two years: 24 monthly points")
cy = [x for x in big if x.get("data-client") == "cy@chem.univ.example"]
ok(cy and 3 <= len(cy[0].findall(S + "circle")) <= 5,
   "a client of three months: points only since then (%d)" % (cy and len(cy[0].findall(S + "circle"))))

# --- a real browser ---------------------------------------------------------------------
chrome = "/usr/bin/chromium"
if not os.path.exists(chrome):
    ok(os.environ.get("CI") != "true", "chromium is installed (tests/install-deps.sh)")
else:
    prof = os.path.join(tmp, "chrome-profile")
    for p in pages:
        name = os.path.basename(p)[:-5]
        for label, size in (("desktop", "1280,900"), ("phone", "390,844")):
            shot = os.path.join(tmp, "%s-%s.png" % (name, label))
            r = run(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--user-data-dir=" + prof, "--enable-logging=stderr", "--v=0",
                    "--window-size=" + size, "--screenshot=" + shot, "file://" + p, timeout=120)
            errs = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Refused" in l
                    or "Uncaught" in l]
            ok(os.path.getsize(shot) > 5000 if os.path.exists(shot) else False,
               "%s at %s width: a screenshot" % (name, label))
            ok(not errs, "%s at %s width: no console error (%s)" % (name, label, errs[:1]))
        r = run(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + prof,
                "--dump-dom", "file://" + p, timeout=120)
        dom = html5lib.parse(r.stdout, namespaceHTMLElements=False)
        title = dom.find(".//title")
        ok(title is not None and title.text.startswith("rapport: ") and "pwned" not in title.text,
           "%s in the browser: no script ran (title %r)" % (name, title is not None and title.text))
        ok(not dom.findall(".//script") and not dom.findall(".//img"),
           "%s in the browser: no element injected" % name)
        static = trees[p]
        ties = [c.get("data-tie") for c in static.findall(".//" + S + "circle")]
        ok(ties == [c.get("data-tie") for c in dom.findall(".//" + S + "circle")],
           "%s in the browser: the charts' points carry the history's values" % name)
        pts = len(ties)
        svgs = len(static.findall(".//" + S + "svg"))
        ok(svgs and len(dom.findall(".//" + S + "svg")) == svgs and
           len(dom.findall(".//" + S + "circle")) == pts,
           "%s in the browser: every chart (%d) and point (%d) is there" % (name, svgs, pts))

done("report")
