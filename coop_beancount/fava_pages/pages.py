"""The co-op's pages (see the package's docstring): one class per page; the page's
address is its class name (/extension/CoopMembers/).
"""


from __future__ import annotations

from typing import Any

from fava.ext import extension_endpoint
from flask import Response

from coop_beancount.fava_pages import base, views
from coop_beancount.fava_pages.i18n import N_
from coop_beancount.reports.certificates import member_certificates, render_certificate
from coop_beancount.reports.patronage import (
    booked_pools,
    member_notices,
    plugin_settings,
    render_notice,
)
from coop_beancount.reports.pdf import PdfUnavailable, html_to_pdf

UNNAMED = "Beancount"


class CoopOverview(base.CoopPage):
    """The co-op at a glance: money in the bank, income and expenses by month, members,
    savings against retail, hours given, equity outstanding, the next patronage steps."""

    TITLE = N_("Overview")

    def overview(self) -> dict[str, Any]:
        return views.overview_page(self.books, self.start(), self.end(), self.locale())


class CoopMembers(base.CoopPage):
    """Every member; with ?member=KEY, that member's page."""

    TITLE = N_("Members")

    def members(self) -> dict[str, Any]:
        return views.members_page(self.books, self.end(), self.locale())

    def member(self, key: str) -> dict[str, Any]:
        return self.page(views.member_page, self.books, key, self.start(), self.end(),
                         self.locale())


class CoopSharedCosts(base.CoopPage):
    TITLE = N_("Shared costs")

    def costs(self) -> dict[str, Any]:
        return views.shared_costs_page(self.books, self.settings.period, self.start(),
                                       self.end(), self.locale())


class CoopPatronage(base.CoopPage):
    """Patronage dividends by fiscal year; ?year=2025 for one year."""

    TITLE = N_("Patronage")

    def patronage(self) -> dict[str, Any]:
        return self.page(views.patronage_page, self.books, self.year_arg(), self.locale())

    def year_arg(self) -> int | None:
        text = self.arg("year")
        if not text:
            return None
        digits = text.upper().removeprefix("FY")
        if not digits.isdigit() or len(digits) != 4:
            base.not_found(base.TEXTS.gettext("%(text)s is not a fiscal year such as 2025.",
                                              text=repr(text)))
        return int(digits)

    def pdf(self, html: str, file_name: str) -> Response:
        """A printable page as PDF (WeasyPrint, the pdf extra; a 501 without it)."""
        try:
            pdf = html_to_pdf(html)
        except PdfUnavailable as exc:
            base.no_pdf(str(exc))
        name = file_name.removesuffix(".html") + ".pdf"
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    @extension_endpoint("notice")
    def notice(self) -> Response:
        """A member's written notice of allocation for a fiscal year, ready to print; with
        &format=pdf, its PDF (WeasyPrint, the pdf extra)."""
        year, key = self.year_arg(), self.arg("member") or ""
        pools = booked_pools(self.books.entries, self.books.chart, year) if year else []
        found = [n for n in member_notices(self.books, pools) if n.member.key == key]
        if not found:
            base.not_found(base.TEXTS.gettext(
                "No notice of allocation for member %(key)s in FY%(year)s in these books.",
                key=repr(key), year=year or "?"))
        title = self.ledger.options.get("title") or UNNAMED
        settings = plugin_settings(self.books.options)
        if self.arg("format") == "pdf":
            return self.pdf(render_notice(found[0], title, "letter", settings),
                            found[0].file_name)
        html = render_notice(found[0], title, "letter", settings,
                             pdf_url=self.notice_url(found[0].year, key) + "&format=pdf")
        return Response(html, mimetype="text/html")

    @extension_endpoint("certificate")
    def certificate(self) -> Response:
        """A member's per-unit retain certificate for a fiscal year, ready to print (the
        member's address is left off: Fava does not read the private register);
        `&format=pdf`: as PDF."""
        year, key = self.year_arg(), self.arg("member") or ""
        found = [c for c in (member_certificates(self.books, year) if year else [])
                 if c.member.key == key]
        if not found:
            base.not_found(base.TEXTS.gettext(
                "No per-unit retain certificate for member %(key)s in FY%(year)s in these "
                "books.", key=repr(key), year=year or "?"))
        title = self.ledger.options.get("title") or UNNAMED
        settings = plugin_settings(self.books.options)
        if self.arg("format") == "pdf":
            return self.pdf(render_certificate(found[0], title, "letter", settings),
                            found[0].file_name)
        url = self.notice_url(found[0].year, key, "certificate") + "&format=pdf"
        html = render_certificate(found[0], title, "letter", settings, pdf_url=url)
        return Response(html, mimetype="text/html")


class CoopEquity(base.CoopPage):
    """The revolving fund: equity outstanding, redemptions made, the next redemption."""

    TITLE = N_("Members' equity")  # Fava's own pages say "Equity" of the accounts

    def equity(self) -> dict[str, Any]:
        return views.equity_page(self.books, self.end(), self.arg("budget"),
                                 self.settings.redemption_budget, self.locale())


class CoopClients(base.CoopPage):
    """Clients' open invoices by age, who is late, what members wait for, their earnings."""

    TITLE = N_("Clients")

    def clients(self) -> dict[str, Any]:
        return views.clients_page(self.books, self.start(), self.end(), self.locale())
