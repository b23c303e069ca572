#!/usr/bin/env python3
"""A TCP proxy the chaos script controls, put between the workers and PostgreSQL.

    tcp_proxy.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT

SIGUSR1 cuts: every open connection is closed and new ones are closed at once (an outage);
SIGUSR2 restores. Nothing else is touched: the machine's PostgreSQL keeps running.
"""
import asyncio
import signal
import sys

LISTEN, HOST, PORT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
up = True
open_writers = set()


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def serve(client_r, client_w):
    if not up:
        client_w.close()
        return
    try:
        server_r, server_w = await asyncio.open_connection(HOST, PORT)
    except OSError:
        client_w.close()
        return
    open_writers.update((client_w, server_w))
    try:
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))
    finally:
        open_writers.discard(client_w)
        open_writers.discard(server_w)


def cut():
    global up
    up = False
    for w in list(open_writers):
        w.transport.abort()
    open_writers.clear()
    print("proxy: cut", flush=True)


def restore():
    global up
    up = True
    print("proxy: restored", flush=True)


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, cut)
    loop.add_signal_handler(signal.SIGUSR2, restore)
    server = await asyncio.start_server(serve, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
