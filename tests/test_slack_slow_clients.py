"""Slow clients against the `web` process: 100 of them cost no thread, a signed command is still answered at once, and each is cut off in time."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack_api import SlackAPI, signed_headers
from tests.slack_web import WebProcess
from tests.test_slack_http import command_body, eventually, web_env

HEAD = b"POST /slack/events HTTP/1.1\r\nHost: papers\r\nContent-Type: application/x-www-form-urlencoded\r\n"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


def started(folder: Path, slack: SlackAPI, header: str, body: str) -> WebProcess:
    env = web_env(f"sqlite:///{folder / 'papers.db'}", slack, WEB_HEADER_TIMEOUT=header, WEB_BODY_TIMEOUT=body)
    return WebProcess(env, cwd=folder)


@pytest.fixture(scope="module")
def patient(tmp_path_factory: pytest.TempPathFactory, slack: SlackAPI) -> Iterator[WebProcess]:
    """Deadlines longer than the test: the slow clients stay connected while it asks."""
    with started(tmp_path_factory.mktemp("patient"), slack, header="60", body="60") as web:
        yield web


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, slack: SlackAPI) -> Iterator[WebProcess]:
    """Deadlines of a second, so that a test sees them pass."""
    with started(tmp_path_factory.mktemp("strict"), slack, header="1", body="1") as web:
        yield web


class SlowClients:
    """`count` connections: half trickle their request's headers, half a promised body, a byte each `every` seconds."""

    def __init__(self, web: WebProcess, count: int, every: float = 0.5) -> None:
        self.web, self.count, self.every = web, count, every
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        for n in range(self.count):
            sock = socket.create_connection((self.web.host, self.web.port), timeout=10)
            # headers never finished; or finished, promising a body of 1,000 bytes that comes a byte at a time
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: pa" if n % 2 else HEAD + b"Content-Length: 1000\r\n\r\nx"
            )
            self.sockets.append(sock)
        self.thread.start()
        return self

    def trickle(self) -> None:
        while not self.stop.wait(self.every):
            answered, _, _ = select.select(self.sockets, [], [], 0)
            for sock in self.sockets:
                try:
                    if sock not in answered:  # a byte after the server's answer would only make it reset
                        sock.send(b"x")
                except OSError:
                    pass  # closed by the server: what the deadline tests wait for

    def still_open(self) -> int:
        """How many the server has not closed (a closed one reads an answer or end of file at once)."""
        open_ = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                open_ += not sock.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return open_

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


def processes_of(web: WebProcess) -> list[int]:
    """The web process and its children (a server that forks workers serves from them)."""
    children = Path(f"/proc/{web.process.pid}/task/{web.process.pid}/children")
    return [web.process.pid, *(int(pid) for pid in children.read_text().split())]


def threads_of(web: WebProcess) -> int:
    return sum(len(os.listdir(f"/proc/{pid}/task")) for pid in processes_of(web))


def sockets_of(web: WebProcess) -> int:
    """Its open sockets (the index's files open and close as it warms up: not counted)."""
    count = 0
    for pid in processes_of(web):
        folder = f"/proc/{pid}/fd"
        count += sum(1 for fd in os.listdir(folder) if os.readlink(f"{folder}/{fd}").startswith("socket:"))
    return count


def timed(web: WebProcess, method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> tuple:
    began = time.monotonic()
    status, _, answer = web.request(method, path, body, headers)
    return status, answer, time.monotonic() - began


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads and sockets through /proc")
def test_a_hundred_slow_clients_hold_no_thread_and_a_signed_command_is_answered_at_once(
    patient: WebProcess, slack: SlackAPI
) -> None:
    assert patient.request("GET", "/healthz")[0] == 200  # its threads for the database have started
    before, sockets = threads_of(patient), sockets_of(patient)
    with SlowClients(patient, 100) as slow:
        assert slow.still_open() == 100
        # all accepted: a file descriptor each, nothing more (the first count may have held the health
        # check's connection, closing as it was counted)
        assert eventually(lambda: sockets_of(patient) >= sockets + 99)
        assert sockets_of(patient) <= sockets + 100
        assert threads_of(patient) <= before  # and no thread
        body = command_body(slack, "help")
        status, answer, took = timed(patient, "POST", "/slack/events", body, signed_headers(body))
        assert status == 200 and took < 3.0
        assert "/papers find &lt;text&gt;" in json.loads(answer)["text"]
        status, answer, took = timed(patient, "GET", "/healthz")
        assert (status, answer) == (200, "ok: database answered\n") and took < 3.0
        assert slow.still_open() == 100  # they were all there while it answered


def answer_and_close(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed."""
    began, received = time.monotonic(), b""
    sock.settimeout(15)
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass  # a trickled byte crossed the close: reset instead of an end of file, but closed all the same
    return received, time.monotonic() - began


def test_a_body_that_never_completes_is_answered_408_and_closed_after_the_body_timeout(strict: WebProcess) -> None:
    with SlowClients(strict, 0, every=0.2) as slow:
        sock = socket.create_connection((strict.host, strict.port), timeout=10)
        sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\nx")
        slow.sockets.append(sock)  # a byte every 0.2 s: never idle, only slow
        received, took = answer_and_close(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in received.lower()
    assert 0.9 < took < 5.0


def test_headers_that_never_complete_are_answered_408_and_closed_after_the_header_timeout(strict: WebProcess) -> None:
    with SlowClients(strict, 0, every=0.2) as slow:
        sock = socket.create_connection((strict.host, strict.port), timeout=10)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHo")
        slow.sockets.append(sock)
        received, took = answer_and_close(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert 0.9 < took < 5.0


@pytest.mark.slow
def test_a_kept_alive_connection_trickling_its_next_request_is_closed_after_keep_alive_and_the_header_timeout(
    strict: WebProcess,
) -> None:
    connection = http.client.HTTPConnection(strict.host, strict.port, timeout=10)
    connection.request("GET", "/healthz")
    assert connection.getresponse().read() == b"ok: database answered\n"
    assert connection.sock is not None  # kept alive
    with SlowClients(strict, 0, every=0.2) as slow:
        connection.sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # each byte would disarm uvicorn's keep-alive timer
        slow.sockets.append(connection.sock)
        received, took = answer_and_close(connection.sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert 5.0 < took < 10.0  # keep-alive 5 s, then 1 s for the headers


@pytest.mark.slow
def test_a_body_nobody_reads_trickled_after_its_answer_is_closed_after_keep_alive_and_the_header_timeout(
    strict: WebProcess,
) -> None:
    sock = socket.create_connection((strict.host, strict.port), timeout=10)
    sock.sendall(HEAD.replace(b"/slack/events", b"/nowhere") + b"Content-Length: 100000\r\n\r\nx")
    assert sock.recv(4096).startswith(b"HTTP/1.1 404 ")  # answered without reading the body
    stop = threading.Event()

    def trickle() -> None:  # on and on, after the answer: each byte would disarm uvicorn's keep-alive timer
        while not stop.wait(0.2):
            with contextlib.suppress(OSError):
                sock.send(b"x")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        _, took = answer_and_close(sock)
    finally:
        stop.set()
        thread.join(5)
        sock.close()
    assert 5.0 < took < 10.0


def test_a_connection_that_says_nothing_is_closed_after_the_header_timeout(strict: WebProcess) -> None:
    sock = socket.create_connection((strict.host, strict.port), timeout=10)
    received, took = answer_and_close(sock)
    sock.close()
    assert received.startswith(b"HTTP/1.1 408 ") and 0.9 < took < 5.0


def test_a_quick_client_is_not_cut_off_by_the_deadlines(strict: WebProcess, slack: SlackAPI) -> None:
    body = command_body(slack, "help")
    assert strict.request("POST", "/slack/events", body, signed_headers(body))[0] == 200
    assert strict.request("GET", "/nowhere")[0] == 404 and strict.request("GET", "/")[0] == 200  # the landing page
