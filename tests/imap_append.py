#!/usr/bin/env python3
"""Appends messages to a folder over IMAPS (test helper; the server's
certificate is not checked: it is our own throwaway dovecot).

  imap_append.py PORT USER PASSWORD FOLDER FILE...    each FILE one message
  imap_append.py PORT USER PASSWORD FOLDER --mbox MBOX  every message of an mbox
  imap_append.py PORT USER PASSWORD --delete FOLDER
"""
import imaplib
import mailbox
import ssl
import sys


def main():
    port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
    m.login(user, pw)
    if sys.argv[4] == "--delete":
        m.delete(sys.argv[5])
        m.logout()
        return
    folder = sys.argv[4]
    if folder != "INBOX":
        m.create(folder)
    msgs = []
    if sys.argv[5] == "--mbox":
        for msg in mailbox.mbox(sys.argv[6]):
            msgs.append(msg.as_bytes())
    else:
        for f in sys.argv[5:]:
            msgs.append(open(f, "rb").read())
    for data in msgs:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        typ, _ = m.append(folder, None, None, data)
        if typ != "OK":
            sys.exit("append failed")
    m.logout()


if __name__ == "__main__":
    main()
