#!/usr/bin/env python3
"""A demo library team over the two years before now. Sam's mailbox: 30
clients in six departments with the behaviours liaison work knows (steady
collaborators, one-sided outreach, ties fading and new ones starting,
dormant contacts, questions waiting for an answer), plus list mail,
out-of-office replies, a bounce and monthly broadcasts. Rob's, a second
liaison: five physicists of his own, and two of Sam's clients he works
with too (one of whom rarely answers Sam). The same mailboxes every day,
their dates counted back from today's noon (UTC), so the README's tour
stays true.

    demo_mailbox.py DIR    writes DIR/inbox, DIR/sent (Sam), DIR/rob-inbox,
                           DIR/rob-sent (Rob), *.eml each, and DIR/roster.csv
                           (with a liaison column)
"""
import os
import random
import sys
import time

NOW = int(time.time()) // 86400 * 86400 + 12 * 3600
ME = "Sam Liaison <liaison@univ.example>"
ROB = "Rob Liaison <rob.liaison@univ.example>"
DEPTS = {"Chemistry": "chem", "History": "hist", "Physics": "phys", "Law": "law",
         "Biology": "bio", "Economics": "econ"}
TOPICS = ["data management plan", "journal subscription", "research consultation",
          "open access fees", "course reserves", "citation software", "thesis deposit",
          "archive visit", "grant proposal support", "library instruction session",
          "database trial", "systematic review help", "copyright question",
          "interlibrary loan", "digitisation request", "reading list"]
rng = random.Random(1239)
msgs = []  # (t, folder, text)
count = [0]


def email(who):
    return who.split("<")[-1].rstrip(">")


def add(t, frm, to, subject, irt=None, refs=None, extra=(), body="text", me=ME):
    count[0] += 1
    mid = "demo%d.%d@%s" % (count[0], t, email(frm).split("@")[1])
    h = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
         "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
         "Message-ID: <%s>" % mid]
    if irt:
        h += ["In-Reply-To: <%s>" % irt, "References: %s" % " ".join("<%s>" % r for r in refs)]
    h += list(extra)
    folder = "sent" if email(frm) == email(me) else "inbox"
    if me != ME:
        folder = "rob-" + folder
    msgs.append((t, folder, "\r\n".join(h) + "\r\n\r\n" + body + "\r\n"))
    return mid


def thread(client, days_ago, starter, replies, topic=None, me=ME, r=None):
    """replies: list of delays in days; sides alternate from the starter."""
    r = r or rng
    topic = topic or r.choice(TOPICS)
    t = NOW - int(days_ago * 86400)
    side = starter
    subject = topic[0].upper() + topic[1:]
    frm, to = (me, client) if side == "L" else (client, me)
    mid = add(t, frm, to, subject, me=me)
    refs = [mid]
    for d in replies:
        t += int(d * 86400)
        if t > NOW:
            break
        side = "C" if side == "L" else "L"
        frm, to = (me, client) if side == "L" else (client, me)
        mid = add(t, frm, to, "Re: " + subject, irt=refs[-1], refs=refs, me=me)
        refs.append(mid)


roster = []


def client(name, dept, liaison="sam"):
    local = name.lower().replace("prof. ", "").replace("dr. ", "").replace(" ", ".")
    addr = "%s@%s.univ.example" % (local, DEPTS[dept])
    roster.append((name, addr, dept, liaison))
    return "%s <%s>" % (name, addr)


people = {}
names = [
    ("Prof. Ada Roe", "Chemistry", "collaborator"), ("Dr. Ben Okafor", "Physics", "collaborator"),
    ("Prof. Clara Diaz", "History", "collaborator"), ("Dr. Dev Patel", "Biology", "collaborator"),
    ("Prof. Eve Lind", "Law", "steady"), ("Dr. Farid Haddad", "Economics", "steady"),
    ("Prof. Grace Kim", "Chemistry", "steady"), ("Dr. Hugo Brandt", "History", "steady"),
    ("Prof. Ines Moreau", "Biology", "steady"), ("Prof. Jon Weber", "Physics", "one-sided"),
    ("Dr. Kate Nolan", "Law", "one-sided"), ("Prof. Liam Chen", "Economics", "one-sided"),
    ("Dr. Maya Ito", "History", "one-sided"), ("Prof. Nils Berg", "Chemistry", "one-sided"),
    ("Dr. Olga Petrova", "Physics", "fading"), ("Prof. Paul Meyer", "Biology", "fading"),
    ("Dr. Quinn Adams", "Economics", "fading"), ("Dr. Rosa Silva", "Law", "new"),
    ("Dr. Sven Olsen", "Chemistry", "new"), ("Dr. Tara Singh", "Biology", "new"),
    ("Prof. Uwe Koch", "History", "dormant"), ("Prof. Vera Novak", "Economics", "dormant"),
    ("Dr. Walt Green", "Physics", "dormant"), ("Dr. Xia Wu", "Law", "awareness"),
    ("Dr. Yara Haddad", "Chemistry", "awareness"), ("Dr. Zoe Martin", "History", "owed"),
    ("Dr. Abe Cohen", "Economics", "owed"), ("Prof. Bea Novak", "Biology", "steady"),
    ("Dr. Cal Reyes", "Physics", "steady"), ("Dr. Dina Sato", "Law", "collaborator"),
]
for name, dept, kind in names:
    people[name] = (client(name, dept), kind)

for name, (who, kind) in people.items():
    if kind == "collaborator":   # frequent, reciprocal, both start threads, busier lately
        for d in range(700, 0, -rng.randrange(18, 40)):
            thread(who, d if d > 200 else d / 1.5, rng.choice("LCC"), [rng.uniform(0.2, 2)] * rng.randrange(1, 4))
    elif kind == "steady":       # every few weeks, balanced
        for d in range(650, 5, -rng.randrange(30, 55)):
            thread(who, d, rng.choice("LC"), [rng.uniform(0.5, 4)] * rng.randrange(1, 3))
    elif kind == "one-sided":    # monthly outreach, rarely answered; the latest 8-30 days ago
        for i, d in enumerate(range(360, 8, -rng.randrange(35, 50))):
            thread(who, d, "L", [rng.uniform(1, 5)] if i % 5 == 2 else [])
        thread(who, rng.randrange(9, 30), "L", [])
    elif kind == "fading":       # lively a year ago, thinning, then silent
        for d in range(600, 250, -rng.randrange(12, 20)):
            thread(who, d, rng.choice("LC"), [rng.uniform(0.3, 2)] * rng.randrange(1, 3))
        thread(who, rng.randrange(140, 170), "C", [1])
    elif kind == "new":          # first contact in the last two months
        for d in range(rng.randrange(40, 60), 3, -rng.randrange(6, 12)):
            thread(who, d, rng.choice("LC"), [rng.uniform(0.3, 2)])
    elif kind == "dormant":      # nothing for more than 180 days
        for d in range(rng.randrange(500, 700), 200, -rng.randrange(40, 70)):
            thread(who, d, rng.choice("LC"), [rng.uniform(1, 3)])
    elif kind == "awareness":    # the liaison writes; no answer ever
        for d in (rng.randrange(150, 200), rng.randrange(60, 90), rng.randrange(10, 20)):
            thread(who, d, "L", [])
    elif kind == "owed":         # an exchange, then a question waiting 3-6 days
        thread(who, rng.randrange(100, 200), "C", [1, 1])
        thread(who, rng.randrange(3, 7), "C", [])

# a forwarded notice, which asks for no answer
who, _ = people["Prof. Eve Lind"]
add(NOW - 12 * 86400, ME, who, "Fwd: Open access week programme")
# out-of-office replies to outreach
for name in ("Prof. Jon Weber", "Dr. Kate Nolan"):
    who, _ = people[name]
    add(NOW - 20 * 86400, who, ME, "Out of office: back next week",
        extra=["Auto-Submitted: auto-replied"])
# a bounce: outreach to an address that no longer exists
gone = "Dr. Ken Former <ken.former@phys.univ.example>"
roster.append(("Dr. Ken Former", "ken.former@phys.univ.example", "Physics", "sam"))
t = NOW - 25 * 86400
add(t, ME, gone, "Library account renewal")
bounce_of = "demo%d.%d@univ.example" % (count[0], t)
add(t + 60, "Mail Delivery System <MAILER-DAEMON@mx.univ.example>", ME,
    "Undelivered Mail Returned to Sender",
    extra=["MIME-Version: 1.0",
           'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'],
    body="--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
         "Final-Recipient: rfc822; ken.former@phys.univ.example\r\nAction: failed\r\n"
         "Status: 5.1.1\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
         "Message-ID: <%s>\r\n\r\n--b--" % bounce_of)
# the faculty list and the liaison's monthly newsletter
for d in range(700, 0, -7):
    add(NOW - d * 86400, "Faculty news <news@univ.example>", "faculty@lists.univ.example",
        "Faculty news, week %d" % (d // 7), extra=["List-Id: <faculty.lists.univ.example>"])
all_addrs = ", ".join(email(p[0]) for p in people.values())
for d in range(690, 0, -30):
    add(NOW - d * 86400, ME, all_addrs, "Library newsletter")

# Prof. Roe writes from home now and then: one person, two addresses
# (the demo merges them)
rh = random.Random(77)
for d in (120, 75, 33):
    thread("Ada Roe <ada.roe@home.example>", d, "C", [rh.uniform(0.2, 1)], me=ME, r=rh)

# Rob: his own physicists, and two of Sam's clients he works with as well
rr = random.Random(4242)
for name in ("Dr. Ana Lopes", "Prof. Bo Lindqvist", "Dr. Chen Hao", "Dr. Dara Quinn",
             "Prof. Emil Sauer"):
    who = client(name, "Physics", "rob")
    for d in range(600, 0, -rr.randrange(25, 50)):
        thread(who, d, rr.choice("LC"), [rr.uniform(0.3, 3)] * rr.randrange(1, 3), me=ROB, r=rr)
for name in ("Prof. Jon Weber", "Dr. Cal Reyes"):
    who, _ = people[name]
    for d in range(300, 0, -rr.randrange(12, 20)):
        thread(who, d, rr.choice("LCC"), [rr.uniform(0.2, 2)] * rr.randrange(1, 4), me=ROB, r=rr)


def main():
    out = sys.argv[1]
    for sub in ("inbox", "sent", "rob-inbox", "rob-sent"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for i, (t, folder, text) in enumerate(sorted(msgs)):
        data = text.encode()
        with open(os.path.join(out, folder, "%d.M%dP1.demo,S=%d:2,S" % (t, i, len(data))), "wb") as f:
            f.write(data)
    with open(os.path.join(out, "roster.csv"), "w") as f:
        f.write("name,email,department,liaison\n")
        for name, addr, dept, liaison in roster:
            f.write("%s,%s,%s,%s\n" % (name, addr, dept, liaison))
    print("%d messages, %d clients" % (len(msgs), len(roster)))


if __name__ == "__main__":
    main()
