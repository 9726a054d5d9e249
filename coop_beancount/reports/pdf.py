"""One of our printable HTML pages as a PDF, through WeasyPrint (the optional extra `pdf`).

Every printable page the co-op makes (a member's notice of allocation, their statement,
Form 1099-PATR copy B pages, patronage certificates, client invoices) is one standalone
HTML document with its own print CSS (`@page { size: letter; margin: ... }`, `@media
print` rules); this module prints it, as a browser's "Save as PDF" would:

    from coop_beancount.reports.pdf import html_to_pdf, PdfUnavailable
    try:
        data = html_to_pdf(render_notice(notice, "Cranberry Growers Co-op", "letter"))
    except PdfUnavailable as exc:       # WeasyPrint (or its Pango) is not installed
        raise click.ClickException(str(exc))
    Path("FY2025-G1.pdf").write_bytes(data)

WeasyPrint is heavy (Pango from the system, fonts), so it is an extra:

    pip install 'coop-beancount[pdf]'
    # and on Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
    #                                 fonts-dejavu-core

Without it, asking for a PDF is a `PdfUnavailable` whose message says how to install it;
nothing else in coop-beancount needs it. The pages link no files (styles inline, no
images from disk): only `data:` addresses are fetched, and with `base_url` files beside
it, never the network (a member's name in a page is text, but a page is printed as it
stands).
"""

from __future__ import annotations

import logging
from typing import Any

#: What to run for PDF output (said in every `PdfUnavailable` message).
INSTALL = "pip install 'coop-beancount[pdf]'"
#: The Debian packages WeasyPrint loads (scripts/bootstrap.sh installs them).
DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


class PdfUnavailable(RuntimeError):
    """A PDF was asked for and WeasyPrint cannot run here; the message says how to fix it."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint, which is not installed: run {INSTALL} "
            f"(on Debian also: apt-get install {DEBIAN_PACKAGES}), or print the HTML page "
            "to PDF from a browser") from None
    except OSError as exc:  # installed, but the system's Pango cannot be loaded
        raise PdfUnavailable(
            f"PDF output needs Pango, which WeasyPrint could not load ({exc}): on Debian "
            f"run apt-get install {DEBIAN_PACKAGES}; elsewhere see WeasyPrint's "
            "installation notes") from None
    # WeasyPrint logs each CSS property it does not know (a browser's, like the screen
    # rules' `:has()`) as a warning: noise to whoever prints a notice.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return weasyprint


def require_pdf() -> None:
    """Raise `PdfUnavailable` unless `html_to_pdf` can run here: a command that writes many
    files asks first, so it refuses before it writes any."""
    _weasyprint()


def pdf_available() -> bool:
    """Whether `html_to_pdf` can run here (WeasyPrint and Pango installed)."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of one printable HTML page (its print CSS applied, as a browser prints it).

    Raises `PdfUnavailable` when WeasyPrint is not installed (the message says
    `pip install 'coop-beancount[pdf]'`)."""
    weasyprint = _weasyprint()
    allowed = {"data", "file"} if base_url else {"data"}
    fetcher = weasyprint.URLFetcher(allowed_protocols=allowed, fail_on_errors=False)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
