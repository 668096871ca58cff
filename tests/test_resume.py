"""A run killed with SIGKILL in the middle of embedding resumes and loses nothing."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from imgorg import EmbedConfig, RunConfig, load_workspace, run

pytestmark = pytest.mark.slow


def test_kill_minus_nine_then_resume_equals_an_uninterrupted_run(cifar_small, tmp_path):
    config = RunConfig(embed=EmbedConfig(batch_size=16, shard_size=32))
    interrupted = tmp_path / "interrupted"
    script = textwrap.dedent(f"""
        import imgorg
        imgorg.run({str(cifar_small)!r}, {str(interrupted)!r},
                   imgorg.RunConfig(embed=imgorg.EmbedConfig(batch_size=16, shard_size=32)))
    """)
    process = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    shards = interrupted / "cache" / "embeddings"
    deadline = time.time() + 120
    while len(list(shards.glob("*/shard-*.parquet"))) < 2:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.time() < deadline, "no shard written within 120 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (interrupted / "manifest.json").exists()  # no half-written workspace pretends to be complete

    done_before = 32 * len(list(shards.glob("*/shard-*.parquet")))
    resumed = run(cifar_small, interrupted, config)
    assert resumed.n_cached == done_before and resumed.n_computed == 300 - done_before  # each image once

    straight = run(cifar_small, tmp_path / "straight", config)
    a, b = load_workspace(interrupted), load_workspace(tmp_path / "straight")
    assert a.catalog.equals(b.catalog)
    np.testing.assert_allclose(a.embeddings, b.embeddings, atol=1e-5)
    assert straight.n_computed == 300
