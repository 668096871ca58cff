"""parallel.Beside: work in a spawned process while this one goes on, its progress and logs relayed."""

from __future__ import annotations

import logging
import os
import sys
import time

import pytest

from imgorg.errors import ConfigError
from imgorg.parallel import Beside, process_alive, process_pool


def _count(n: int, progress=None) -> tuple[int, int]:
    advance = progress("Counting", n) if progress else None
    for _ in range(n):
        if advance:
            advance(1)
    logging.getLogger("imgorg.test").info("counted %d", n)
    logging.getLogger("imgorg.other").info("not shown: its logger is at WARNING here")
    return os.getpid(), n


def _pairs(n: int, progress=None) -> int:
    from imgorg import progress as _progress

    _progress.start(progress, "Matching", n, unit="pair")(n)
    return n


def test_what_a_stage_counts_reaches_a_progress_bar_that_shows_it_and_not_one_that_does_not():
    # the CLI's bar says "pairs/s" where a stage counts pairs, also from the process beside
    plain, named = [], []
    assert Beside(_pairs, (3,), lambda description, total: plain.append((description, total)) or abs).result() == 3
    assert plain == [("Matching", 3)]

    def with_unit(description, total, unit="img"):
        named.append((description, total, unit))
        return lambda n: None

    Beside(_pairs, (4,), with_unit).result()
    assert named == [("Matching", 4, "pair")]


def _fail(message: str, progress=None):
    raise ConfigError(message)


def test_beside_returns_the_result_of_another_process_and_relays_its_progress_and_logs():
    bars, records = [], []

    def progress(description, total):
        bars.append([description, total, 0])
        return lambda n: bars[-1].__setitem__(2, bars[-1][2] + n)

    class Keep(logging.Handler):  # no level of its own, as `imgorg`'s stderr handler
        def emit(self, record):
            records.append(record.getMessage())

    root, logger, handler = logging.getLogger(), logging.getLogger("imgorg.test"), Keep()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logger.setLevel(logging.INFO)
    try:
        pid, n = Beside(_count, (5,), progress).result()
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
        logger.setLevel(logging.NOTSET)
    assert pid != os.getpid() and n == 5
    assert bars == [["Counting", 5, 5]]
    assert records == ["counted 5"]  # each logger's level here decides, as if logged here


def test_beside_raises_the_other_process_exception():
    with pytest.raises(ConfigError, match="no such kind"):
        Beside(_fail, ("no such kind",)).result()


def _hold(folder: str, progress=None):
    import pathlib

    marker = pathlib.Path(folder, "held")
    marker.mkdir()
    try:
        time.sleep(60)
    finally:  # the review's kept pixels go so
        marker.rmdir()


def test_a_cancelled_beside_process_is_gone_after_its_own_clean_up(tmp_path):
    beside = Beside(_hold, (str(tmp_path),))
    pid = beside._process.pid
    for _ in range(200):  # until the child is inside its function
        if (tmp_path / "held").exists():
            break
        time.sleep(0.05)
    assert (tmp_path / "held").exists()
    start = time.perf_counter()
    beside.cancel()
    assert time.perf_counter() - start < 10 and not process_alive(pid)
    assert not (tmp_path / "held").exists()
    with pytest.raises(RuntimeError, match="stopped: SystemExit"):
        beside.result()


def test_a_script_without_a_main_guard_is_not_run_again_by_the_process_beside(tmp_path):
    # spawn imports the caller's main module in the child; an unguarded script would run again, all of it
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script, count = tmp_path / "script.py", tmp_path / "count.txt"
    script.write_text("from imgorg.parallel import Beside\nfrom tests.test_parallel import _count\n"
                      f"open({str(count)!r}, 'a').write('x')\nprint(Beside(_count, (3,)).result()[1])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3"] and count.read_text() == "x"


def test_a_beside_process_told_to_wait_starts_its_work_only_on_go_with_the_arguments_it_brings(tmp_path):
    import numpy as np

    marker = tmp_path / "held"
    beside = Beside(_hold_briefly, (str(marker),), wait_for_go=True)
    time.sleep(2)  # long enough to import and start, were it not waiting
    assert not marker.exists()
    large = np.arange(4_000_000, dtype=np.float32)  # 16 MB: more than a pipe holds at once
    beside.go(large)
    beside.go("a second go does nothing")
    assert beside.result() == ("done", float(large.sum())) and marker.exists()


def _hold_briefly(path: str, values=None, progress=None) -> tuple[str, float]:
    import pathlib

    pathlib.Path(path).mkdir()
    return "done", float(values.sum())


def test_a_beside_process_never_told_to_go_ends_when_it_is_cancelled(tmp_path):
    beside = Beside(_hold_briefly, (str(tmp_path / "held"),), wait_for_go=True)
    pid = beside._process.pid
    beside.cancel()
    assert not process_alive(pid) and not (tmp_path / "held").exists()


def _faults_of_a_second_block(size: int) -> int:
    """Pages the kernel had to fault in for a block of ``size`` bytes made after one of that size was freed."""
    import resource

    import numpy as np

    np.ones(size, np.uint8)  # made, written and freed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(size, np.uint8)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc thresholds")
def test_a_worker_keeps_the_memory_it_frees_for_the_next_image():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = 16 << 20  # a few 12-MP photos' quality working arrays
    with process_pool(1) as pool:
        kept = pool.submit(_faults_of_a_second_block, size).result()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:  # malloc as it starts
        plain = pool.submit(_faults_of_a_second_block, size).result()
    assert kept < 64 < 256 < plain  # a plain worker faults much of the 4,096 pages in again



def test_workers_forked_after_opencv_ran_threads_here_can_set_its_threads(tmp_path):
    # the crop check's workers call cv2.setNumThreads(1); forked while OpenCV's thread pool ran in the
    # parent, that call hung for good (a second review in one process). In a subprocess, with a timeout.
    import subprocess

    script = tmp_path / "fork_after_opencv.py"
    script.write_text(
        "import cv2, numpy as np\n"
        "from imgorg.parallel import process_pool\n"
        "image = np.random.rand(1500, 1500).astype(np.float32)\n"
        "def blur(_):\n"
        "    cv2.setNumThreads(1)\n"
        "    return float(cv2.GaussianBlur(image, (0, 0), 3).sum())\n"
        "if __name__ == '__main__':\n"
        "    cv2.setNumThreads(2); blur_here = cv2.GaussianBlur(image, (0, 0), 3)  # OpenCV's threads run here\n"
        "    with process_pool(2) as pool:\n"
        "        print(len(list(pool.map(blur, range(4)))))\n"
        "    print(cv2.getNumThreads())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.split() == ["4", "2"], done.stderr  # and restored after


def test_ctrl_c_in_a_pool_ends_its_workers_rather_than_waiting_for_the_work_they_run(tmp_path):
    # `imgorg people` ran on to its end after Ctrl-C: leaving the pool waited for the chunks running
    # (256 photos each, most of a small folder's work)
    import signal
    import subprocess
    import time

    script = tmp_path / "interrupted_pool.py"
    script.write_text(
        "import time\n"
        "from imgorg.parallel import process_pool\n"
        "def slow(_):\n"
        "    time.sleep(30)\n"
        "if __name__ == '__main__':\n"
        "    try:\n"
        "        with process_pool(2) as pool:\n"
        "            print('started', flush=True)\n"
        "            list(pool.map(slow, range(4)))\n"  # a minute of work, each task half of it
        "    except KeyboardInterrupt:\n"
        "        print('interrupted', flush=True)\n")
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(1)
    start = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=60)
    assert "interrupted" in out and time.monotonic() - start < 10  # not the 30 s of the tasks running


def test_workers_forked_after_a_camera_raw_was_decoded_here_decode_one_too(tmp_path):
    # LibRaw decodes with OpenMP: a worker forked after this process decoded a DNG waited for ever at its own
    # (`imgorg.run`, whose embed stage decodes RAW in threads here, then a review of the same photos)
    import subprocess

    pytest.importorskip("rawpy")
    from PIL import Image

    from .dng import write_dng

    (tmp_path / "x.dng").write_bytes(write_dng(Image.new("RGB", (900, 600), (120, 80, 40)), preview=100))
    script = tmp_path / "fork_after_libraw.py"
    script.write_text(
        "import sys\n"
        "from imgorg.images import decode_image\n"
        "from imgorg.parallel import chunked_map\n"
        f"DNG = {str(tmp_path / 'x.dng')!r}\n"
        "def decode(chunk):\n"
        "    return [decode_image(open(DNG, 'rb').read()).size for _ in chunk]\n"
        "if __name__ == '__main__':\n"
        "    decode_image(open(DNG, 'rb').read())  # LibRaw's OpenMP team runs here\n"
        "    print(sum(len(sizes) for sizes in chunked_map(decode, list(range(8)), 2, 2)))\n")
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the workers hung decoding the DNG")
    assert done.returncode == 0 and done.stdout.split() == ["8"], done.stderr
