"""Pictures of the report pages for the docs: each section of the HTML report that has a Power BI page
counterpart, rendered by headless Chromium into ``docs/images/report-<page>.png`` (docs/powerbi.md's page table).

    python -m generator.report.pictures --db msp_csat.duckdb --out docs/images

The same data, Chromium and fonts give the same bytes: the page has no timestamp, the window size is fixed and
the PNG is written without metadata.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageChops

from generator.errors import ToolError
from generator.report.build import ReportOptions, write_report

#: Power BI page (report/report.yaml) → the section of the HTML report that shows it.
SECTIONS = (("headline", "headline"), ("clients", "clients"), ("queues", "queues"), ("trend", "trend"),
            ("technicians", "technicians"), ("low_confidence", "low-confidence"), ("risk", "risk"))
#: The drill-through page's counterpart: a client's QBR page (``report --client``), its first screen.
CLIENT = "Pinnacle Tech"
WIDTH, HEIGHT, CLIENT_HEIGHT = 1000, 4000, 1400
#: headless Chromium without a profile's background work (the report tests run it with the same flags)
HEADLESS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio")
FLAGS = (*HEADLESS, "--force-device-scale-factor=1")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    return next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))),
                None)


def _chromium() -> str:
    path = find_chromium()
    if path is None:
        raise ToolError("chromium is not installed (Debian package chromium)")
    return path


def _only(html: str, section: str) -> str:
    """The page showing the one ``section``."""
    style = (f"<style>body > main > *:not(#{section}) {{ display: none !important; }} "
             f"#{section} {{ margin-top: 0; border-top: 0; }}</style>")
    return html.replace("</head>", style + "</head>", 1)


def _shoot(chromium: str, page: Path, png: Path, height: int) -> None:
    result = subprocess.run([chromium, *FLAGS, f"--window-size={WIDTH},{height}", f"--screenshot={png}",
                             page.resolve().as_uri()], capture_output=True, timeout=120, check=False)
    if result.returncode != 0 or not png.is_file():
        raise ToolError(f"chromium could not render {page.name}: {result.stderr.decode(errors='replace')[-300:]}")


def _save_cropped(shot: Path, out: Path) -> None:
    """``shot`` without the empty space below its content, as a 256-colour PNG without metadata."""
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, rgb.getpixel((rgb.width - 1, rgb.height - 1)))
    box = ImageChops.difference(rgb, background).getbbox()
    if box is not None:
        rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + 24)))
    rgb.quantize(256).save(out, format="PNG", optimize=True)  # 256 colours: a third of the size


def write_pictures(db: str, out: Path) -> list[Path]:
    """Render the pictures of the report of ``db`` into ``out``; returns the files written."""
    chromium = _chromium()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="msp-csat-pictures-") as temporary:
        folder = Path(temporary)
        report = folder / "report.html"
        write_report(ReportOptions(db=db, out=report))
        html = report.read_text(encoding="utf-8")
        for page, section in SECTIONS:
            single = folder / f"{section}.html"
            single.write_text(_only(html, section), encoding="utf-8")
            _shoot(chromium, single, folder / f"{section}.png", HEIGHT)
            _save_cropped(folder / f"{section}.png", out / f"report-{page}.png")
            written.append(out / f"report-{page}.png")
        client = folder / "client.html"
        write_report(ReportOptions(db=db, out=client, client=CLIENT))
        _shoot(chromium, client, folder / "client.png", CLIENT_HEIGHT)
        _save_cropped(folder / "client.png", out / "report-client_detail.png")
        written.append(out / "report-client_detail.png")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m generator.report.pictures --db DB --out FOLDER``."""
    parser = argparse.ArgumentParser(prog="python -m generator.report.pictures", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="the DuckDB file to report on (the demo: gen-measures demo)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"), help="the folder for the PNG files")
    options = parser.parse_args(argv)
    for path in write_pictures(options.db, options.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
