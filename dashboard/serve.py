"""Serve a StatDesk app with Streamlit and prepare its pages as soon as it answers.

    python -m dashboard.serve APP_SCRIPT [streamlit run options]

(``statdesk run`` and ``statdesk serve-public`` start the apps this way.)

Streamlit reads the data and computes the statuses the first time a page asks for them, so
the first visitor after a start would wait for all of it (about four seconds for the stat
session on the demo, against about one second afterwards). Here, as soon as the server
answers its health check, each page of the app is run once over the server's own
websocket, as a visitor without a sign-in cookie would open it, and the results are left in
the shared caches. With sign-in configured these runs stop at the sign-in prompt like any
signed-out visitor, so they prepare only what that prompt needs. They change nothing that
a first look at each page would not (the catalog page fills an empty data inventory and
roadmap from the definitions the first time it is opened, an audited write by the system).
The server log says how many pages were prepared, in how long, and names any page that
showed an error. ``STATDESK_PREPARE_PAGES=0`` switches the preparation off.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

#: Pages prepared per app (by the entry script's name), in order; "" is the default page.
PUBLIC_PAGES = ("", "outcome", "about")
READY_TIMEOUT = 120.0  # seconds for the server to answer, and for one page to run
LOG_PREFIX = "StatDesk:"


def pages_for(script: str) -> tuple[str, ...]:
    """The url paths of the pages to prepare for the app whose entry script is ``script``."""
    if Path(script).stem == "public_app":
        return PUBLIC_PAGES
    from dashboard.pages_registry import PAGES

    return ("", *(spec.url_path for spec in PAGES if not spec.default))


def option(args: Sequence[str], name: str, default: str) -> str:
    """The value of a ``--name value`` or ``--name=value`` command-line option."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def _host(address: str) -> str:
    """Where this machine reaches a server listening on ``address``."""
    if address in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{address}]" if ":" in address else address


def run_page(stream_url: str, page: str) -> list[str]:
    """Run one page over the websocket ``stream_url`` until its script has finished; return
    the errors it showed (exception boxes and error alerts), as text."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    errors: list[str] = []
    with connect(stream_url, subprotocols=["streamlit"], max_size=None,  # type: ignore[list-item]
                 open_timeout=READY_TIMEOUT) as ws:
        request = BackMsg()
        request.rerun_script.page_name = page
        request.rerun_script.query_string = ""
        ws.send(request.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=READY_TIMEOUT))
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "exception":
                    errors.append(f"{element.exception.type}: {element.exception.message}")
                elif shown == "alert" and element.alert.format == element.alert.ERROR:
                    errors.append(element.alert.body)
            elif kind == "page_not_found":
                errors.append(f"no page '{page}'")
            elif kind == "script_finished" and msg.script_finished in (
                    msg.FINISHED_SUCCESSFULLY, msg.FINISHED_WITH_COMPILE_ERROR):
                return errors


def prepare(base: str, stream_url: str, pages: Sequence[str]) -> tuple[int, float, dict[str, list[str]]]:
    """Wait until the server at ``base`` answers, then run each page once; return (pages
    run, seconds, errors by page)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server did not answer on {base}")
        time.sleep(0.2)
    started = time.perf_counter()
    errors: dict[str, list[str]] = {}
    for page in pages:
        shown = run_page(stream_url, page)
        if shown:
            errors[page or "(default page)"] = shown
    return len(pages), time.perf_counter() - started, errors


def error_lines(errors: dict[str, list[str]], count: int) -> list[str]:
    """One line per distinct error, naming the pages that show it ("every page" when all of
    the ``count`` pages prepared do)."""
    by_text: dict[str, list[str]] = {}
    for page, shown in errors.items():
        by_text.setdefault(" | ".join(shown)[:500], []).append(page)
    lines = []
    for text, pages in by_text.items():
        if len(pages) == count > 1:
            who = "every page shows"
        elif len(pages) > 1:
            who = f"the pages {', '.join(pages)} show"
        else:
            who = f"the page {pages[0]} shows"
        lines.append(f"{who} an error: {text}")
    return lines


def _prepare_in_background(args: Sequence[str], pages: Sequence[str]) -> None:
    port = option(args, "--server.port", "8501")
    host = _host(option(args, "--server.address", "127.0.0.1"))

    def work() -> None:
        from streamlit import config

        try:
            # a base path given on the command line, else the one in .streamlit/config.toml
            path = (option(args, "--server.baseUrlPath", "")
                    or config.get_option("server.baseUrlPath") or "").strip("/")
            base = f"http://{host}:{port}" + (f"/{path}" if path else "")
            count, took, errors = prepare(base, base.replace("http", "ws", 1)
                                          + "/_stcore/stream", pages)
        except Exception as exc:  # noqa: BLE001 - the server goes on without a prepared cache
            print(f"{LOG_PREFIX} the pages could not be prepared ({type(exc).__name__}: {exc}); "
                  "the first visitor will wait for the data to be read.", file=sys.stderr,
                  flush=True)
            return
        print(f"{LOG_PREFIX} {count} pages prepared in {took:.1f} s.", file=sys.stderr,
              flush=True)
        for line in error_lines(errors, count):
            print(f"{LOG_PREFIX} {line}", file=sys.stderr, flush=True)

    threading.Thread(target=work, name="statdesk-prepare", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.exit("usage: python -m dashboard.serve APP_SCRIPT [streamlit run options]")
    if os.environ.get("STATDESK_PREPARE_PAGES", "1") != "0":
        _prepare_in_background(args[1:], pages_for(args[0]))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    cli.main()


if __name__ == "__main__":
    main()
