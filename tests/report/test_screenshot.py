"""The report page renders in a real browser (headless Chromium), when one is installed."""

import shutil
import subprocess
from pathlib import Path

import pytest

from recode_rl.report import collect, render
from tests.report.test_report import _tree

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_report_page_screenshot(tmp_path):
    _tree(tmp_path)
    _, page = render(collect([tmp_path]), tmp_path / "out")
    png = tmp_path / "shot.png"
    proc = subprocess.run(["bash", str(ROOT / "scripts/screenshot_report.sh"), str(page), str(png)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    dark = (img[..., :3].mean(axis=2) < 0.5).mean()
    assert 0.001 < dark < 0.5  # text and plots drawn on a light page, not blank, not black
