"""What the Python tests share: the TAP-like tally (ok, done), running a
program, and DOMAIN.md §4's formulas for the numbers worked out by hand
(the weight of a message, tie strength and P from the sums, the class,
the median). Imported by team.py, overrides.py and report_check.py."""
import math
import subprocess
import sys

_count = {"passed": 0, "failed": 0}


def ok(cond, what):
    _count["passed" if cond else "failed"] += 1
    print(("ok - " if cond else "not ok - ") + what)


def done(name):
    """Prints the summary line and exits 1 if anything failed."""
    print("%s: %d passed, %d failed" % (name, _count["passed"], _count["failed"]))
    sys.exit(1 if _count["failed"] else 0)


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def w(days):
    """The weight of a message that many days old (half-life 90 days)."""
    return 0.5 ** (days / 90.0)


def tie(o, i, a, n, ci, li):
    """Tie strength and P from O, I, answered a of n decided outreach, and
    the client- and liaison-started projection counts."""
    r = 2 * min(o, i) / (o + i) if o + i else 0.0
    p = (a + 1) / (n + 2)
    s = ci / (ci + li) if ci + li else None
    b = 2 * min(s, 1 - s) if s is not None else 0.0
    v = 1 - math.exp(-(o + i) / 4)
    return math.floor(100 * v * (0.40 * r + 0.35 * p + 0.25 * b) + 0.5), p


def klass(t):
    return "strong" if t >= 60 else "moderate" if t >= 30 else "weak"


def median(v):
    v = sorted(v)
    n = len(v)
    return 0 if not n else v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
