#!/usr/bin/env python3
"""The hand-built fixture mailbox of the scoring tests, written as three
mbox files (INBOX, Sent, Archive) into a directory, with a rapport.conf.

    scoring_fixture.py DIR [--no-track-unknown]

As-of instant: 2024-07-01T00:00:00Z. Every message is dated a whole
number of days (or, where it says so, a fraction) before it, so that each
weight 0.5^(age/90) in scoring_check.py can be read off the list below.
"""
import sys
import time

AS_OF = 1719792000  # 2024-07-01T00:00:00Z
ME = "liaison@univ.example"

INBOX, SENT, ARCHIVE = [], [], []


def msg(folder, mid, frm, to, age, subject, irt=None, cc=None, extra=(), body="text"):
    t = AS_OF - round(age * 86400)
    h = ["From: %s" % frm, "To: %s" % to]
    if cc:
        h.append("Cc: %s" % cc)
    h += ["Subject: %s" % subject,
          "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
          "Message-ID: <%s@fixture.example>" % mid]
    if irt:
        h += ["In-Reply-To: <%s>" % irt, "References: <%s>" % irt]
    h += list(extra)
    text = "\n".join(h) + "\n\n" + body + "\n"
    sender = frm.split("<")[-1].rstrip(">")
    folder.append("From %s %s\n%s\n" % (sender, time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)), text))


def inbound(mid, frm, age, subject, irt=None, **kw):
    msg(INBOX, mid, frm, ME, age, subject, irt=irt, **kw)


def outbound(mid, to, age, subject, irt=None, **kw):
    msg(SENT, mid, ME, to, age, subject, irt=irt, **kw)


def fid(m):
    return m + "@fixture.example"


# Ada: strong, commitment, coming together; one message in two folders
inbound("a1", "Ada <ada@chem.univ.example>", 100, "Seminar room booking")
outbound("a2", "ada@chem.univ.example", 99, "Re: Seminar room booking", fid("a1"))
inbound("a3", "ada@chem.univ.example", 50, "Journal subscription")
msg(ARCHIVE, "a3", "ada@chem.univ.example", ME, 50, "Journal subscription")  # same message again
outbound("a4", "ada@chem.univ.example", 49, "Re: Journal subscription", fid("a3"))
outbound("a5", "ada@chem.univ.example", 30, "Data workshop")
inbound("a6", "ada@chem.univ.example", 28, "Re: Data workshop", fid("a5"))
inbound("a7", "ada@chem.univ.example", 10, "Poster printing")
outbound("a8", "ada@chem.univ.example", 9, "Re: Poster printing", fid("a7"))
outbound("a9", "ada@chem.univ.example", 5, "Citation manager", cc=ME)
msg(INBOX, "a9", ME, "ada@chem.univ.example", 5, "Citation manager", cc=ME)  # the self-Cc copy
inbound("a10", "ada@chem.univ.example", 4, "Re: Citation manager", fid("a9"))

# Bob: one-sided by ratio (1 of 6 answered); his out-of-office does not count
outbound("b1", "bob@hist.univ.example", 200, "Archive digitisation")
outbound("b2", "bob@hist.univ.example", 150, "Special collections tour")
outbound("b3", "bob@hist.univ.example", 120, "Oral history project")
outbound("b4", "bob@hist.univ.example", 100, "Library liaison hours")
outbound("b5", "bob@hist.univ.example", 80, "Primary sources guide")
inbound("b6", "bob@hist.univ.example", 79, "Re: Primary sources guide", fid("b5"))
outbound("b7", "bob@hist.univ.example", 60, "Exhibition loan")
inbound("b8", "bob@hist.univ.example", 59.5, "Out of office: Re: Exhibition loan", fid("b7"),
        extra=["Auto-Submitted: auto-replied"])

# Cy: one-sided by streak (last 3 unanswered, 2 of 5 answered), coming apart,
# one pending outreach; a message exactly 90 days old counts as recent
outbound("c1", "cy@phys.univ.example", 170, "Research data storage")
inbound("c2", "cy@phys.univ.example", 168, "Re: Research data storage", fid("c1"))
outbound("c3", "cy@phys.univ.example", 150, "Lab notebook software")
inbound("c4", "cy@phys.univ.example", 149, "Re: Lab notebook software", fid("c3"))
outbound("c5", "cy@phys.univ.example", 120, "Preprint server")
outbound("c6", "cy@phys.univ.example", 90, "Grant deadline support")
outbound("c7", "cy@phys.univ.example", 40, "Open data mandate")
outbound("c8", "cy@phys.univ.example", 10, "Repository upgrade")

# Dee: dormant (last personal message 200 days ago)
outbound("d1", "dee@law.univ.example", 300, "Copyright question")
inbound("d2", "dee@law.univ.example", 299, "Re: Copyright question", fid("d1"))
outbound("d3", "dee@law.univ.example", 200, "Follow-up on copyright")

# Eve: awareness (never wrote personally); her list post is not an answer
outbound("e1", "eve@bio.univ.example", 45, "Bioinformatics databases")
inbound("e2", "eve@bio.univ.example", 44, "Re: Bioinformatics databases", fid("e1"),
        extra=["List-Id: <bio-faculty.lists.univ.example>"])
outbound("e3", "eve@bio.univ.example", 20, "Lab visit")

# Fay: two addresses; her follow-up has no threading headers and joins the
# thread by its subject
inbound("f1", "F. Lee <F.Lee+thesis@gmail.example>", 70, "Question about thesis formatting")
outbound("f2", "fay@math.univ.example", 69, "Re: Question about thesis formatting", fid("f1"))
inbound("f3", "fay@math.univ.example", 65, "RE: Question about thesis  formatting")

# Gus: first outreach bounced; a reply to a message that is not stored
outbound("g1", "gus@econ.univ.example", 100, "Economics data sets")
msg(INBOX, "g1-dsn", "Mail Delivery System <MAILER-DAEMON@mx.univ.example>", ME, 99.9,
    "Undelivered Mail Returned to Sender",
    extra=["MIME-Version: 1.0",
           'Content-Type: multipart/report; report-type=delivery-status; boundary="B"'],
    body="--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
         "Final-Recipient: rfc822; gus@econ.univ.example\nAction: failed\nStatus: 5.1.1\n\n"
         "--B\nContent-Type: text/rfc822-headers\n\nFrom: liaison@univ.example\n"
         "Message-ID: <g1@fixture.example>\n\n--B--")
outbound("g2", "gus@econ.univ.example", 60, "Stata workshop")
inbound("g3", "gus@econ.univ.example", 59, "Re: Stata workshop", fid("g2"))
inbound("g4", "gus@econ.univ.example", 58, "Re: your note", "lost@econ.univ.example")

# Hal: a broadcast to six people is not counted; his reply to it is his
outbound("h1", "hal@chem.univ.example, x1@chem.univ.example, x2@chem.univ.example, "
         "x3@chem.univ.example, x4@chem.univ.example, x5@chem.univ.example", 30,
         "New library hours")
inbound("h2", "hal@chem.univ.example", 29, "Re: New library hours", fid("h1"))

# Mo: moderate; a forward starts no thread of either side
inbound("m1", "mo@lang.univ.example", 40, "Language corpora")
outbound("m2", "mo@lang.univ.example", 39, "Re: Language corpora", fid("m1"))
outbound("m3", "mo@lang.univ.example", 35, "Translation tools")
inbound("m4", "mo@lang.univ.example", 34, "Re: Translation tools", fid("m3"))
outbound("m5", "mo@lang.univ.example", 33, "Fwd: Conference call for papers")

# Uma: not in the roster (a client only with track_unknown)
inbound("u1", "uma@unknown.example", 15, "Access request")
outbound("u2", "uma@unknown.example", 14, "Re: Access request", fid("u1"))

# Sam: same domain as the liaison, not in the roster
inbound("s1", "sam@univ.example", 25, "Staff training")
outbound("s2", "sam@univ.example", 24, "Re: Staff training", fid("s1"))

# Rita: in the roster, no mail at all

CONF = """database = "%(dir)s/rapport.db";
track_unknown = %(track)s;
accounts = ( { name = "liaison"; identity = [ "liaison@univ.example" ]; } );
clients = (
  { name = "Ada Strong"; addresses = [ "ada@chem.univ.example" ]; department = "Chemistry"; },
  { name = "Bob Weak"; addresses = [ "bob@hist.univ.example" ]; department = "History"; },
  { name = "Cy Streak"; addresses = [ "cy@phys.univ.example" ]; department = "Physics"; },
  { name = "Dee Dormant"; addresses = [ "dee@law.univ.example" ]; department = "Law"; },
  { name = "Eve Aware"; addresses = [ "eve@bio.univ.example" ]; department = "Biology"; },
  { name = "Fay Two"; addresses = [ "fay@math.univ.example", "F.Lee+thesis@gmail.example" ];
    department = "Mathematics"; },
  { name = "Gus Bounce"; addresses = [ "gus@econ.univ.example" ]; department = "Economics"; },
  { name = "Hal Broadcast"; addresses = [ "hal@chem.univ.example" ]; },
  { name = "Mo Moderate"; addresses = [ "mo@lang.univ.example" ]; department = "Languages"; },
  { name = "Rita Roster"; addresses = [ "rita@art.univ.example" ]; department = "Art"; }
);
departments = (
  { name = "Central"; domains = [ "univ.example" ]; },
  { name = "Chemistry"; domains = [ "chem.univ.example" ]; }
);
"""


def main():
    d = sys.argv[1]
    track = "false" if "--no-track-unknown" in sys.argv else "true"
    for name, folder in (("INBOX", INBOX), ("Sent", SENT), ("Archive", ARCHIVE)):
        with open("%s/%s.mbox" % (d, name), "w") as f:
            f.write("\n".join(folder))
    with open("%s/rapport.conf" % d, "w") as f:
        f.write(CONF % {"dir": d, "track": track})


if __name__ == "__main__":
    main()
