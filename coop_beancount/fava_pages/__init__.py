"""The co-op's pages in Fava: Overview, Members (and each member's page), Shared costs,
Patronage, Members' equity and Clients (open invoices by age, members' earnings).

Enabled by one line in the books:

    2025-01-01 custom "fava-extension" "coop_beancount.fava_pages"

optionally with settings:

    2025-01-01 custom "fava-extension" "coop_beancount.fava_pages" "{'period': 'quarterly'}"

The settings are `period`, the length of the periods on the Shared costs page
(weekly, monthly, quarterly, yearly; default monthly), and `redemption_budget`
('25000.00'), the budget the Equity page proposes for the next revolving redemption
(the page has a field to try others).
Mistakes in the settings show on Fava's Errors page, at that line.

Pages are read-only (GET), follow Fava's time filter where a date range makes sense
(members and their statements, shared costs, equity), and take their figures from
the same functions as the `coop` command.
"""

# Fava lists a module's pages in the sidebar in the order of their names here (it sorts
# them), and names each page by its class: so the classes live in `pages`, and are named
# here in the order a member reads them.
from coop_beancount.fava_pages.pages import CoopClients as Page5Clients
from coop_beancount.fava_pages.pages import CoopEquity as Page4Equity
from coop_beancount.fava_pages.pages import CoopMembers as Page1Members
from coop_beancount.fava_pages.pages import CoopOverview as Page0Overview
from coop_beancount.fava_pages.pages import CoopPatronage as Page3Patronage
from coop_beancount.fava_pages.pages import CoopSharedCosts as Page2SharedCosts

__all__ = ["Page0Overview", "Page1Members", "Page2SharedCosts", "Page3Patronage", "Page4Equity",
           "Page5Clients"]
