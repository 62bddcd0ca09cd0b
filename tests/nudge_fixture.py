#!/usr/bin/env python3
"""A mailbox dated relative to now, in which every nudge kind holds, and
the messages that later end each condition.

    nudge_fixture.py DIR           writes DIR/INBOX.mbox, DIR/Sent.mbox, DIR/rapport.conf
    nudge_fixture.py DIR --later   writes DIR/later.mbox: the replies that resolve them
"""
import sys
import time

NOW = int(time.time())
ME = "liaison@univ.example"
INBOX, SENT, LATER = [], [], []


def msg(folder, mid, frm, to, days, subject, irt=None, cc=None, extra=()):
    t = NOW - int(days * 86400)
    h = ["From: %s" % frm, "To: %s" % to]
    if cc:
        h.append("Cc: %s" % cc)
    h += ["Subject: %s" % subject,
          "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
          "Message-ID: <%s@nudge.example>" % mid]
    if irt:
        h += ["In-Reply-To: <%s@nudge.example>" % irt, "References: <%s@nudge.example>" % irt]
    h += list(extra)
    sender = frm.split("<")[-1].rstrip(">")
    folder.append("From %s %s\n%s\n\ntext\n" % (
        sender, time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)), "\n".join(h)))


def out(mid, to, days, subject, irt=None, **kw):
    msg(SENT, mid, ME, to, days, subject, irt, **kw)


def inn(mid, frm, days, subject, irt=None, **kw):
    msg(INBOX, mid, frm, ME, days, subject, irt, **kw)


# follow-up: outreach 9 days ago, no word back
out("fol1", "fol@chem.univ.example", 9, "Grant proposal support")
# no follow-up: the liaison's "thank you" closes an answered thread
out("tk1", "thanks@chem.univ.example", 20, "Workshop slides")
inn("tk2", "thanks@chem.univ.example", 19, "Re: Workshop slides", "tk1")
out("tk3", "thanks@chem.univ.example", 10, "Re: Workshop slides", "tk2")
# no follow-up: the client started the thread
inn("ci1", "started@chem.univ.example", 20, "Question on citations")
out("ci2", "started@chem.univ.example", 10, "Re: Question on citations", "ci1")
# no follow-up: a forward, and an outreach that bounced
out("fw1", "fwd@chem.univ.example", 10, "Fwd: Open access week")
out("bn1", "gone@chem.univ.example", 10, "Library tour")
msg(INBOX, "bn1-dsn", "MAILER-DAEMON@mx.univ.example", ME, 9.9, "Undelivered Mail",
    extra=["Content-Type: multipart/report; report-type=delivery-status; boundary=B"])
INBOX[-1] = INBOX[-1].replace("\n\ntext\n", "\n\n--B\nContent-Type: message/delivery-status\n\n"
                              "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; gone@chem.univ.example\n"
                              "Action: failed\n\n--B\nContent-Type: text/rfc822-headers\n\n"
                              "Message-ID: <bn1@nudge.example>\n\n--B--\n")
# reply-owed: questions to the liaison 3 and 4 days ago; the same to Cc only owes nothing
inn("ow1", "owe@hist.univ.example", 3, "Interlibrary loan question")
inn("ow3", "owe2@hist.univ.example", 4, "Thesis embargo")
msg(INBOX, "cc1", "cc@hist.univ.example", "someone@hist.univ.example", 3, "FYI: new hours", cc=ME)
# reconnect: a lively exchange for 100 days, then 100 days of silence
for i in range(20):
    d = 200 - 5 * i
    if i % 2:
        inn("rc%da" % i, "recon@phys.univ.example", d, "Topic %d" % i)
        out("rc%db" % i, "recon@phys.univ.example", d - 1, "Re: Topic %d" % i, "rc%da" % i)
    else:
        out("rc%da" % i, "recon@phys.univ.example", d, "Topic %d" % i)
        inn("rc%db" % i, "recon@phys.univ.example", d - 1, "Re: Topic %d" % i, "rc%da" % i)
# one-sided: four outreach threads, none answered
for i, d in enumerate((100, 80, 60, 40)):
    out("os%d" % i, "lonely@law.univ.example", d, "Offer %d" % i)

# what comes later and ends each condition
msg(LATER, "fol2", "fol@chem.univ.example", ME, 0.5, "Re: Grant proposal support", "fol1")
msg(LATER, "ow4", ME, "owe2@hist.univ.example", 0.5, "Re: Thesis embargo", "ow3")
# owe writes again in the same thread: a dismissed nudge stays dismissed
msg(LATER, "ow1b", "owe@hist.univ.example", ME, 2.5, "Re: Interlibrary loan question", "ow1")
msg(LATER, "rc99", "recon@phys.univ.example", ME, 0.5, "Hello again")
# two new offers, both answered within days: 2 of 6 answered, the latest
# answered, so no longer one-sided (a late answer to Offer 3 would not
# count: it comes after the 30-day reply window)
msg(LATER, "os5", ME, "lonely@law.univ.example", 20, "Offer 5")
msg(LATER, "os5r", "lonely@law.univ.example", ME, 19, "Re: Offer 5", "os5")
msg(LATER, "os6", ME, "lonely@law.univ.example", 15, "Offer 6")
msg(LATER, "os6r", "lonely@law.univ.example", ME, 14, "Re: Offer 6", "os6")

CONF = """database = "%s/rapport.db";
accounts = ( { name = "liaison"; identity = [ "liaison@univ.example" ]; } );
"""


def main():
    d = sys.argv[1]
    if "--later" in sys.argv:
        open("%s/later.mbox" % d, "w").write("\n".join(LATER))
        return
    open("%s/INBOX.mbox" % d, "w").write("\n".join(INBOX))
    open("%s/Sent.mbox" % d, "w").write("\n".join(SENT))
    open("%s/rapport.conf" % d, "w").write(CONF % d)


if __name__ == "__main__":
    main()
