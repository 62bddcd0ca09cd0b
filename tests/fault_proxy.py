#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that misbehaves on purpose, for the fault tests.

  fault_proxy.py LISTEN_PORT UPSTREAM_PORT PLAN [PLAN ...]

Each accepted connection takes the next PLAN; once they are used up every
connection passes through untouched. A PLAN is one of:

  pass          forward both ways
  cut:K         close both sides once K bytes came from the server
  stall:WORD:K  after the server sent WORD (e.g. FETCH) and then K more
                bytes, stop forwarding and hold the connection open
  drip:WORD:K:S after WORD and K more bytes, forward the server's bytes one
                at a time, one every S seconds

The proxy writes one line per connection to stdout ("conn N PLAN") and a
line "ready" once it listens, and stops by itself after 15 minutes at most.
"""
import asyncio
import sys
import time

LIMIT_S = 900


def parse(plan):
    p = plan.split(":")
    if p[0] == "pass":
        return ("pass",)
    if p[0] == "cut":
        return ("cut", int(p[1]))
    if p[0] == "stall":
        return ("stall", p[1].encode(), int(p[2]))
    if p[0] == "drip":
        return ("drip", p[1].encode(), int(p[2]), float(p[3]))
    raise SystemExit("fault_proxy: unknown plan %r" % plan)


class Proxy:
    def __init__(self, upstream, plans):
        self.upstream = upstream
        self.plans = [parse(p) for p in plans]
        self.n = 0

    async def client_to_server(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def server_to_client(self, reader, writer, plan, others):
        seen = 0          # bytes from the server so far
        armed_at = None   # offset where the fault starts
        tail = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if plan[0] == "cut":
                    if seen + len(data) >= plan[1]:
                        writer.write(data[:plan[1] - seen])
                        await writer.drain()
                        break
                elif plan[0] in ("stall", "drip") and armed_at is None:
                    hay = tail + data
                    at = hay.find(plan[1])
                    if at >= 0:
                        armed_at = seen - len(tail) + at + len(plan[1]) + plan[2]
                    tail = hay[-len(plan[1]):]
                if armed_at is not None and seen + len(data) > armed_at:
                    head = max(0, armed_at - seen)
                    writer.write(data[:head])
                    await writer.drain()
                    rest = data[head:]
                    if plan[0] == "stall":
                        # hold everything open until the client gives up
                        while not writer.is_closing():
                            if not await reader.read(65536):
                                break
                        break
                    while True:
                        for i in range(len(rest)):
                            await asyncio.sleep(plan[3])
                            writer.write(rest[i:i + 1])
                            await writer.drain()
                        rest = await reader.read(65536)
                        if not rest:
                            break
                    break
                writer.write(data)
                await writer.drain()
                seen += len(data)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            for w in others:
                w.close()

    async def handle(self, creader, cwriter):
        self.n += 1
        plan = self.plans[self.n - 1] if self.n <= len(self.plans) else ("pass",)
        print("conn %d %s" % (self.n, ":".join(str(x if not isinstance(x, bytes) else
                                                   x.decode()) for x in plan)), flush=True)
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(
            self.client_to_server(creader, swriter),
            self.server_to_client(sreader, cwriter, plan, [swriter]))


async def main():
    port, upstream = int(sys.argv[1]), int(sys.argv[2])
    proxy = Proxy(upstream, sys.argv[3:])
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", port)
    print("ready", flush=True)
    start = time.monotonic()
    async with server:
        while time.monotonic() - start < LIMIT_S:
            await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main())
