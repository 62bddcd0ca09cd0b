#!/usr/bin/env python3
"""The import benchmark's floor: reads every header block of the mbox files
given (mboxrd, "From " lines between messages) and counts the fields, as
cheaply as Python can. Prints messages and header bytes."""
import sys


def main():
    msgs = fields = hbytes = 0
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            in_header = False
            for line in f:
                if line.startswith(b"From "):
                    msgs += 1
                    in_header = True
                elif in_header:
                    if line in (b"\n", b"\r\n"):
                        in_header = False
                    else:
                        hbytes += len(line)
                        if line[:1] not in (b" ", b"\t"):
                            fields += 1
    print("%d messages, %d header fields, %d header bytes" % (msgs, fields, hbytes))


if __name__ == "__main__":
    main()
