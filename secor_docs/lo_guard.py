"""Runs one LibreOffice and stops it when secor-docs goes away.

secor-docs holds this guard's standard input open while the conversion runs. End of input, whether secor-docs
closed it (a timeout, Ctrl-C) or died (even by SIGKILL, which no handler in secor-docs can catch), kills
LibreOffice's whole process group and removes its work folder: no orphan soffice.bin, no stray temp folder.
Usage: python -m secor_docs.lo_guard WORK_FOLDER -- soffice ARGS... (standard library only: it starts fast)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading


def main(argv: list[str]) -> int:
    work, command = argv[0], argv[2:]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    abandoned = threading.Event()

    def stop() -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        if proc.poll() is None:
            abandoned.set()
            stop()

    threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: (abandoned.set(), stop()))
    code = proc.wait()
    stop()  # a helper LibreOffice left behind in its group
    if abandoned.is_set():
        shutil.rmtree(work, ignore_errors=True)
        return 143
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
