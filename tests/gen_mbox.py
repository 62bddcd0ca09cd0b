#!/usr/bin/env python3
"""Writes a deterministic liaison mailbox as an mboxrd file, for the import
tests and the import benchmark.

  gen_mbox.py OUT [--messages N] [--body BYTES] [--seed S] [--poison]
              [--sent OUT_SENT] [--clients C] [--recent] [--broadcasts SHARE]
              [--received N]

The liaison is liaison@univ.example. Messages go both ways with clients in
several departments; about a third are replies (In-Reply-To, References);
some are list mail, out-of-office replies and bounces. --sent writes the
liaison's outbound messages to a second mbox (the Sent folder) instead.
--poison adds the two messages that crash Debian 12's libetpan
mailmime_parse (boundary="\\"" and message/rfc822 nested 50,000 deep).
"""
import argparse
import random
import time

DEPTS = ["chem", "hist", "phys", "law", "bio", "math"]
SUBJECTS = ["Data management plan", "Library workshop", "Journal access",
            "Research consultation", "Open access fees", "Course reserves",
            "Citation software", "Thesis deposit", "Archive visit"]


def rfc2822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def from_line(sender, t):
    return "From %s %s\n" % (sender, time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)))


def body(rng, size):
    words = ["library", "data", "thanks", "meeting", "the", "research", "From",
             "journal", "access", "please", "and", "week"]
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(12))
        if rng.random() < 0.02:
            line = "From here on, " + line  # needs mboxrd quoting
        out.append(line)
        n += len(line) + 1
    return out


def quote(line):
    # mboxrd: any run of '>' followed by "From " gets one more '>'
    s = line.lstrip(">")
    return ">" + line if s.startswith("From ") else line


def broadcast(rng, i, t, size, per_dept, names):
    # a newsletter from the liaison to one department's clients, by Bcc
    dept = rng.choice(DEPTS)
    bcc = ["%sclient%d@%s.univ.example" % ("Client %d <" % k if names else "", k, dept) +
           (">" if names else "") for k in range(per_dept)]
    h = ["From: Liaison <liaison@univ.example>", "To: liaison@univ.example",
         "Bcc: " + ",\n ".join(bcc), "Date: %s" % rfc2822(t),
         "Message-ID: <b%d.%d@univ.example>" % (i, t), "Subject: Library news for %s" % dept]
    return "liaison@univ.example", True, h + [""] + [quote(l) for l in body(rng, size)]


def message(rng, i, t, size, parents, per_dept):
    dept = rng.choice(DEPTS)
    client = "client%d@%s.univ.example" % (rng.randrange(per_dept), dept)
    outbound = rng.random() < 0.5
    sender, rcpt = ("liaison@univ.example", client) if outbound else (client, "liaison@univ.example")
    mid = "<m%d.%d@%s>" % (i, t, "univ.example" if outbound else dept + ".univ.example")
    h = ["From: %s" % sender, "To: %s" % rcpt, "Date: %s" % rfc2822(t), "Message-ID: %s" % mid]
    subject = rng.choice(SUBJECTS)
    if parents and rng.random() < 0.35:
        p = rng.choice(parents)
        h += ["In-Reply-To: %s" % p, "References: %s" % p]
        subject = "Re: " + subject
    kind = rng.random()
    if kind < 0.05:
        h.append("List-Id: <faculty.lists.univ.example>")
    elif kind < 0.08 and not outbound:
        h.append("Auto-Submitted: auto-replied")
        subject = "Out of office: " + subject
    h.append("Subject: %s" % subject)
    parents.append(mid)
    if len(parents) > 500:
        del parents[:250]
    return sender, outbound, h + [""] + [quote(l) for l in body(rng, size)]


def poison():
    yield ["From: attacker@evil.example", "To: liaison@univ.example",
           "Subject: poison boundary", "Date: Mon, 01 Apr 2024 08:00:00 +0000",
           "Message-ID: <poison-boundary@evil.example>", "MIME-Version: 1.0",
           'Content-Type: multipart/mixed; boundary="\\""', "", '--"',
           "Content-Type: text/plain", "", "x", '--"--']
    nested = ["From: attacker@evil.example", "To: liaison@univ.example",
              "Subject: poison nesting", "Date: Mon, 01 Apr 2024 08:00:01 +0000",
              "Message-ID: <poison-nested@evil.example>", "MIME-Version: 1.0",
              "Content-Type: message/rfc822", ""]
    nested += ["Content-Type: message/rfc822\n"] * 50000
    nested += ["x"]
    yield nested


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--body", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--poison", action="store_true")
    ap.add_argument("--sent")
    ap.add_argument("--clients", type=int, default=1200,
                    help="distinct client addresses (spread over %d departments)" % len(DEPTS))
    ap.add_argument("--recent", action="store_true",
                    help="date the messages over the two years before now (else from 2023-11-14)")
    ap.add_argument("--broadcasts", type=float, default=0,
                    help="this share of the messages are newsletters Bcc'd to a department")
    ap.add_argument("--received", type=int, default=0,
                    help="Received lines on each inbound message (a delivery trace)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    per_dept = max(1, a.clients // len(DEPTS))
    t = 1700000000
    step = 3630  # mean of randrange(60, 7200)
    if a.recent:
        t = int(time.time()) - 2 * 365 * 86400
        step = max(1, 2 * 365 * 86400 // max(1, a.messages))
    parents = []
    inbox = open(a.out, "w", newline="\n")
    sent = open(a.sent, "w", newline="\n") if a.sent else inbox
    for i in range(a.messages):
        t += rng.randrange(1, 2 * step) if a.recent else rng.randrange(60, 7200)
        if a.broadcasts and rng.random() < a.broadcasts:
            sender, outbound, lines = broadcast(rng, i, t, a.body, per_dept, True)
        else:
            sender, outbound, lines = message(rng, i, t, a.body, parents, per_dept)
        if a.received and not outbound:
            lines = ["Received: from mx%d.univ.example (mx%d.univ.example [192.0.2.%d])\n"
                     "\tby imap.univ.example with ESMTPS id %dx%d; %s" % (k, k, k + 1, i, k, rfc2822(t))
                     for k in range(a.received)] + lines
        f = sent if outbound else inbox
        f.write(from_line(sender, t) + "\n".join(lines) + "\n\n")
        if a.poison and i == a.messages // 2:
            for p in poison():
                inbox.write(from_line("attacker@evil.example", t) + "\n".join(p) + "\n\n")
    inbox.close()
    if sent is not inbox:
        sent.close()


if __name__ == "__main__":
    main()
